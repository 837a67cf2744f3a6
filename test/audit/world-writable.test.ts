// World-writable paths are judged by the sticky bit, not by name: Debian's
// /run/lock (1777) is as safe as /tmp, a world-writable directory without the
// bit is a finding wherever it is, and a world-writable file always is.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { auditImage } from "../../src/audit/index.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { image, layer } from "./fixture.ts";

const NOW = new Date("2026-06-15T12:00:00Z");
const dir = mkdtempSync(join(tmpdir(), "cudaseal-audit-ww-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("sticky world-writable directories are not findings; without the bit, and world-writable files, are", async () => {
  const base = layer(dir, "ww-0", [
    // The modes Debian's base-files and systemd ship.
    { name: "tmp", type: "dir", mode: 0o1777 },
    { name: "var/tmp", type: "dir", mode: 0o1777 },
    { name: "run/lock", type: "dir", mode: 0o1777 },
    { name: "dev/shm", type: "dir", mode: 0o1777 },
    // Sticky under any name is the same safe form.
    { name: "opt/app/spool", type: "dir", mode: 0o1777 },
    // Without it, anyone may delete or replace what others put there.
    { name: "srv/drop", type: "dir", mode: 0o777 },
    { name: "var/cache/app", type: "dir", mode: 0o773 },
    { name: "etc/app.conf", data: "x=1\n", mode: 0o666 },
    // The sticky bit means nothing on a file: it is still anyone's to rewrite.
    { name: "opt/app/notes", data: "n\n", mode: 0o1666 },
    { name: "var/log/app", type: "dir", mode: 0o1775 },
  ]);
  // A later layer takes the sticky bit off /var/tmp: the final mode is what counts.
  const later = layer(dir, "ww-1", [{ name: "var/tmp", type: "dir", mode: 0o777 }]);
  await writeOciLayout(join(dir, "img"), image([base, later], { user: "65532:65532", created: NOW }));
  const { report } = await auditImage(`oci:${join(dir, "img")}:v1`, { arch: "amd64", now: NOW });
  const ww = report.findings.filter((f) => f.id === "CS-FILE-WORLD-WRITABLE");
  assert.deepEqual(ww.map((f) => f.evidence.path).sort(), [
    "/etc/app.conf",
    "/opt/app/notes",
    "/srv/drop",
    "/var/cache/app",
    "/var/tmp",
  ]);
  for (const f of ww) assert.equal(f.severity, "medium");
  const drop = ww.find((f) => f.evidence.path === "/srv/drop");
  assert.match(
    drop?.message ?? "",
    /^directory \/srv\/drop is world-writable without the sticky bit \(mode 0777\)/,
  );
  assert.equal(ww.find((f) => f.evidence.path === "/var/tmp")?.evidence.layer, 1);
  assert.match(
    ww.find((f) => f.evidence.path === "/opt/app/notes")?.message ?? "",
    /is world-writable \(mode 1666\)/,
  );
});
