// Copying into a layout whose index.json is there but lists no manifests:
// a coded IMAGE_INVALID naming the file, and the layout left as it was.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { copyImage } from "../../src/copy/copy-image.ts";
import { isCudasealError } from "../../src/errors.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { makeFixture } from "../oci/fixture-image.ts";

let work: string;
let source: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-layout-destination-"));
  source = join(work, "source");
  await writeOciLayout(source, makeFixture(join(work, "fx")).single);
});

after(() => rmSync(work, { recursive: true, force: true }));

for (const [what, text] of [
  ["manifests that is no list", '{"schemaVersion":2,"manifests":3}'],
  ["no manifests at all", '{"schemaVersion":2}'],
  ["JSON that is no object", "null"],
]) {
  test(`a copy into a layout whose index.json has ${what} is IMAGE_INVALID and changes nothing`, async () => {
    const dir = join(work, what.replaceAll(" ", "-"));
    mkdirSync(dir);
    writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(dir, "index.json"), text);
    await assert.rejects(copyImage(`oci:${source}:v1`, `oci:${dir}:v1`), (err) =>
      isCudasealError(err, "IMAGE_INVALID"),
    );
    assert.equal(readFileSync(join(dir, "index.json"), "utf8"), text);
  });
}
