// The README runs every command as `npx cudaseal …` with the machine's own
// npm, whatever Node that npm runs on; the project brings the Node 24 that
// runs cudaseal. npm checks the project's `engines` against the Node npm
// itself runs on, so a Node 24 floor there warned EBADENGINE on a fresh npx
// cache (and on every `npm install`), about a Node that never runs cudaseal.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The machine's npx: the first on PATH outside a node_modules/.bin. */
function systemNpx(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "" || dir.includes("node_modules")) continue;
    const npx = join(dir, "npx");
    if (existsSync(npx)) return npx;
  }
  return undefined;
}

const npx = systemNpx();

test("the README's `npx cudaseal --version` with the machine's npx prints the version and no EBADENGINE", {
  skip: npx === undefined ? "this machine has no npx on PATH" : false,
}, () => {
  // A fresh npm cache: npx installs the project into its own cache on the
  // first run, and that install is where npm checks engines.
  const cache = mkdtempSync(join(tmpdir(), "cudaseal-npx-"));
  try {
    const r = spawnSync(npx!, ["cudaseal", "--version"], {
      cwd: ROOT,
      encoding: "utf8",
      env: {
        ...process.env,
        npm_config_cache: cache,
        npm_config_offline: "true",
        npm_config_update_notifier: "false",
      },
    });
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
    assert.doesNotMatch(r.stderr, /EBADENGINE|EBADDEVENGINES/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
