// Hostile images must not crash the audit: a bad entry becomes a finding
// (critical where it attacks whoever unpacks the image) and the walk goes on.
// Named after what they do, like node-tar's advisory tests.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { auditImage } from "../../src/audit/index.ts";
import { findingsTable } from "../../src/findings/index.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { peakGrowth } from "../helpers/memory.ts";
import { blob, image, layer } from "./fixture.ts";

const NOW = new Date("2026-06-15T12:00:00Z");
const dir = mkdtempSync(join(tmpdir(), "cudaseal-audit-hostile-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const config = { user: "65532", created: NOW };

async function audit(
  name: string,
  layers: Parameters<typeof image>[0],
  corrupt?: (layoutDir: string) => void,
) {
  const out = join(dir, name);
  await writeOciLayout(out, image(layers, config));
  corrupt?.(out);
  return (await auditImage(`oci:${out}`, { arch: "amd64", now: NOW })).report.findings;
}

test("path traversal, escaping links, link loops and control characters are findings, not crashes", async () => {
  const findings = await audit("traversal", [
    layer(dir, "trav", [
      { name: "../../etc/cron.d/evil", data: "* * * * * root sh\n" },
      { name: "ok/../../../climb", data: "x" },
      { name: "/abs/file", data: "absolute paths are rooted, not refused" },
      { name: "evil-hard", type: "hardlink", linkname: "../../etc/shadow" },
      { name: "usr/lib/escape", type: "symlink", linkname: "../../../../etc/passwd" },
      { name: "usr/lib/abs", type: "symlink", linkname: "/etc/passwd" },
      { name: "loop/a", type: "symlink", linkname: "b" },
      { name: "loop/b", type: "symlink", linkname: "a" },
      { name: "loop/self", type: "symlink", linkname: "self" },
      { name: "dev/null", type: "chardev" },
      { name: "bin/\u001b[31mred", data: "x", mode: 0o4755 },
      { name: "etc2", type: "symlink", linkname: "/etc" },
      { name: "etc2/cron.d/job", data: "* * * * * root sh\n" },
    ]),
    layer(dir, "trav-2", [
      { name: "usr/lib/abs/shadow", data: "through a lower layer's link" },
      { name: "loop", type: "dir" },
      { name: "loop/a/x", data: "loop/a is now a directory in this layer" },
    ]),
  ]);
  const by = (id: string) => findings.filter((f) => f.id === id).map((f) => f.evidence.path);
  assert.deepEqual(by("CS-TAR-PATH-TRAVERSAL").sort(), ["/../../etc/cron.d/evil", "/ok/../../../climb"]);
  assert.equal(findings.find((f) => f.id === "CS-TAR-PATH-TRAVERSAL")?.severity, "critical");
  assert.deepEqual(by("CS-TAR-LINK-ESCAPE").sort(), ["/evil-hard", "/usr/lib/escape"]);
  assert.deepEqual(
    findings.filter((f) => f.id === "CS-TAR-SYMLINK-PARENT").map((f) => [f.evidence.path, f.evidence.layer]),
    [
      ["/etc2/cron.d/job", 0],
      ["/usr/lib/abs/shadow", 1],
      ["/loop/a/x", 1],
    ],
  );
  const table = findingsTable(findings);
  assert.ok(!table.includes("\u001b"), "control characters are escaped");
  assert.match(table, /\\x1b\[31mred is setuid/);
});

test("a truncated layer is a critical finding and the layers after it are still audited", async () => {
  const good = layer(dir, "trunc-good", [{ name: "bin/sh", data: "\u007fELFsh", mode: 0o755 }]);
  const whole = layer(dir, "trunc-src", [{ name: "big", data: "y".repeat(300_000) }]);
  const bytes = execFileSync("cat", [whole.path]);
  const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
  const findings = await audit("truncated", [blob(dir, "trunc", cut, gunzipSync(bytes)), good]);
  const unreadable = findings.filter((f) => f.id === "CS-LAYER-UNREADABLE");
  assert.equal(unreadable.length, 1);
  assert.equal(unreadable[0].evidence.layer, 0);
  assert.equal(unreadable[0].severity, "critical");
  assert.match(unreadable[0].message, /\[(DEB_INVALID|TAR_INVALID)\]/);
  assert.deepEqual(
    findings.filter((f) => f.id === "CS-FILE-SHELL").map((f) => f.evidence.layer),
    [1],
  );
});

test("a blob that does not match its digest, and a layer that is not a tar, are critical findings", async () => {
  const a = layer(dir, "digest-a", [{ name: "etc/a", data: "a\n" }]);
  const b = blob(dir, "not-tar", Buffer.from("this is not a tar archive at all, just text\n".repeat(20)));
  const findings = await audit("digest", [a, b], (out) => {
    // Swap the first layer's bytes for another valid layer's after the layout is written.
    const other = layer(dir, "digest-other", [{ name: "etc/a", data: "tampered\n" }]);
    const blobs = join(out, "blobs", "sha256");
    const target = readdirSync(blobs).find((f) => `sha256:${f}` === a.digest);
    assert.ok(target);
    writeFileSync(join(blobs, target), execFileSync("cat", [other.path]));
  });
  const unreadable = findings.filter((f) => f.id === "CS-LAYER-UNREADABLE");
  assert.deepEqual(
    unreadable.map((f) => f.evidence.layer),
    [0, 1],
  );
  assert.match(unreadable[0].message, /\[IMAGE_INVALID\]/);
  assert.match(unreadable[1].message, /\[TAR_INVALID\]/);
});

test("huge files stream past: only their head is read, credentials files over the cap are still named", async () => {
  const src = join(dir, "huge-src");
  mkdirSync(join(src, "usr/bin"), { recursive: true });
  mkdirSync(join(src, "root"), { recursive: true });
  writeFileSync(join(src, "usr/bin/curl"), "\u007fELF");
  truncateSync(join(src, "usr/bin/curl"), 48 * 1024 * 1024);
  execFileSync("chmod", ["755", join(src, "usr/bin/curl")]);
  writeFileSync(join(src, "root/.env"), "TOKEN=");
  truncateSync(join(src, "root/.env"), 96 * 1024 * 1024);
  const tgz = join(dir, "huge.tar.gz");
  execFileSync("tar", [
    "-I",
    "gzip -1",
    "-cf",
    tgz,
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "-C",
    src,
    ".",
  ]);
  const bytes = execFileSync("cat", [tgz], { maxBuffer: 1 << 30 });
  const huge = blob(dir, "huge", bytes, gunzipSync(bytes));
  const { result: findings, peak: grown } = await peakGrowth(() => audit("huge", [huge]));
  assert.deepEqual(
    findings.filter((f) => f.id === "CS-FILE-NETWORK-TOOL").map((f) => f.evidence.path),
    ["/usr/bin/curl"],
  );
  const env = findings.find((f) => f.id === "CS-SECRET-FILE");
  assert.match(env?.message ?? "", /\/root\/\.env is a \.env file \(100663296 bytes, too large to read\)/);
  assert.ok(
    grown < 32 * 1024 * 1024,
    `reachable buffers grew by ${grown} bytes while auditing 144 MiB of files`,
  );
});
