// An image's dpkg database comes from whoever made the image: a package name
// or version dpkg would never accept (an escape sequence, a newline) would be
// printed as it is in outdated's table and notes, so the image is refused
// with IMAGE_INVALID before any source is read.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ContentStore } from "../../src/cache/content-store.ts";
import { isCudasealError } from "../../src/errors.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { outdatedImage } from "../../src/outdated/index.ts";
import { makeLayer, platformImage } from "../oci/fixture-image.ts";

const ENTRY = (name: string, version: string, source = "") =>
  `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n${source}`;

for (const [what, status] of [
  ["a name with an escape sequence", ENTRY("evil\u001b[2Jpkg", "1.0")],
  ["a version with an escape sequence", ENTRY("evil", "1.0\u001b]0;owned\u0007")],
  ["a source with an escape sequence", ENTRY("evil", "1.0", "Source: src\u001b[2J\n")],
] as const) {
  test(`an image whose dpkg database holds ${what} is IMAGE_INVALID`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "cudaseal-outdated-hostile-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const layer = makeLayer(dir, "db", {
      "var/lib/dpkg/status": `${ENTRY("libc6", "2.41-12")}\n${status}`,
    });
    await writeOciLayout(join(dir, "layout"), { platforms: [platformImage("amd64", [layer])], tag: "v1" });
    let sourcesRead = false;
    await assert.rejects(
      outdatedImage(`oci:${join(dir, "layout")}:v1`, {
        store: new ContentStore(join(dir, "cache")),
        release: "trixie",
        sourcesFor: () => {
          sourcesRead = true;
          return [];
        },
      }),
      (err) => isCudasealError(err, "IMAGE_INVALID"),
    );
    assert.equal(sourcesRead, false, "refused before any source is read");
  });
}
