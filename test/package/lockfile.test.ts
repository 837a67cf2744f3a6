// A fresh `npm install` must leave the clone clean. npm writes every
// platform's optional packages (biome's and others' native binaries) into
// package-lock.json, whatever platform it runs on; a lock that held only one
// platform's was rewritten by the first install.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  engines?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(`${ROOT}/package-lock.json`, "utf8")) as {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
};
const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, "utf8")) as LockEntry;

test("package-lock.json holds every platform's optional packages of each locked package", () => {
  assert.equal(lock.lockfileVersion, 3);
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      // npm's lookup: beside the package, then up the node_modules chain.
      let found = false;
      for (let at = path; ; at = at.slice(0, Math.max(0, at.lastIndexOf("/node_modules/")))) {
        if (lock.packages[`${at === "" ? "" : `${at}/`}node_modules/${name}`]) found = true;
        if (found || at === "") break;
      }
      if (!found) missing.push(`${path} -> ${name}`);
    }
  }
  assert.deepEqual(missing, []);
});

test("package-lock.json's root entry is package.json's dependencies, as npm would write them", () => {
  const root = lock.packages[""];
  assert.deepEqual(root.dependencies ?? {}, pkg.dependencies ?? {});
  assert.deepEqual(root.devDependencies ?? {}, pkg.devDependencies ?? {});
  assert.deepEqual(root.engines, pkg.engines);
});
