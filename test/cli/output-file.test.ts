// A file the user names (-o, --output, --write-lock) in a folder that is not
// there is OUTPUT_FAILED, naming the file, with exit 1: a mistyped path is
// the user's to fix, not a crash reported as a bug (exit 70, INTERNAL).

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../helpers/cli.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "cudaseal-output-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const KEY = join(dir, "cosign.pub");
writeFileSync(
  KEY,
  generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "pem", type: "spki" }),
);
const CATALOG = join(ROOT, "examples", "catalog.yaml");

const cases: [string, string[]][] = [
  ["catalog plan", ["catalog", "plan", CATALOG, "--offline", "-o"]],
  [
    "catalog emit",
    ["catalog", "emit", CATALOG, "--engine", "k8s-jobs", "--image", "registry.example/cudaseal:1", "-o"],
  ],
  ["policy", ["policy", "kyverno-ivp", "--key", KEY, "--image", "registry.example/org/*", "--output"]],
];

for (const [name, args] of cases) {
  test(`${name} into a folder that is not there: OUTPUT_FAILED, nothing written`, async () => {
    const target = join(dir, "absent", `${name.replace(" ", "-")}.out`);
    const r = await runCli([...args, target, "--json"]);
    assert.equal(r.status, 1, r.stderr);
    const error = JSON.parse(r.stdout).error;
    assert.equal(error.code, "OUTPUT_FAILED", r.stdout);
    assert.equal(error.details.path, target);
    assert.equal(existsSync(join(dir, "absent")), false);
  });
}
