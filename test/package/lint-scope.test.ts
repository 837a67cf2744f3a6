// `npm test` lints the project's own folders, named in biome.json, and
// nothing else: a user's outputs in the checkout (`cudaseal lock -o x.json`,
// SBOMs, reports, out/) have any name, so only a list of what is ours keeps
// them out.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIOME = join(ROOT, "node_modules/.bin/biome");

function biomeCheck(dir: string): number | null {
  return spawnSync(BIOME, ["check", "."], { cwd: dir, encoding: "utf8" }).status;
}

test("a user's lock, SBOM and out/ in the checkout are not linted; a misformatted file under src/ is", () => {
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-lint-"));
  try {
    assert.equal(spawnSync("git", ["init", "-q"], { cwd: dir }).status, 0);
    copyFileSync(join(ROOT, "biome.json"), join(dir, "biome.json"));
    mkdirSync(join(dir, "src"));
    mkdirSync(join(dir, "out"));
    writeFileSync(join(dir, "src/a.ts"), "export const a = 1;\n");
    // What the commands write: one-line JSON that biome's formatter would change.
    writeFileSync(join(dir, "x.json"), '{"packages":[{"name":"a"}]}');
    writeFileSync(join(dir, "rt.lock.json"), '{"packages":[{"name":"a"}]}');
    writeFileSync(join(dir, "app.amd64.spdx.json"), '{"spdxVersion":"SPDX-2.3"}');
    writeFileSync(join(dir, "out/index.json"), '{"schemaVersion":2}');
    assert.equal(biomeCheck(dir), 0);
    writeFileSync(join(dir, "src/a.ts"), "export const a =1\n");
    assert.equal(biomeCheck(dir), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
