// The image's Python as the build reads it from the locked Debian packages:
// the interpreter's minor version, glibc's, and PY_INTERPRETER_MISSING when
// a spec asks for Python packages in an image with no python3.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { LockedPackage } from "../../src/apt/types.ts";
import { imagePython } from "../../src/build/python-interpreter.ts";
import { isCudasealError } from "../../src/errors.ts";

function pkg(name: string, version: string): LockedPackage {
  return {
    name,
    version,
    arch: "amd64",
    source: name,
    sourceVersion: version,
    url: `http://127.0.0.1/${name}.deb`,
    filename: `${name}.deb`,
    size: 1,
    sha256: "0".repeat(64),
    dependsOn: [],
  };
}

// What `packages: [python3]` locks on Debian 13, in part.
const TRIXIE = [
  pkg("libc6", "2.41-12"),
  pkg("python3", "3.13.5-1"),
  pkg("python3-minimal", "3.13.5-1"),
  pkg("python3.13", "3.13.5-2"),
  pkg("python3.13-minimal", "3.13.5-2"),
  pkg("libpython3.13-minimal", "3.13.5-2"),
  pkg("libpython3.13-stdlib", "3.13.5-2"),
];

test("Debian 13's python3 is 3.13 on glibc 2.41, run as /usr/bin/python3", () => {
  assert.deepEqual(imagePython(TRIXIE, "amd64"), {
    version: [3, 13],
    fullVersion: "3.13.5",
    arch: "amd64",
    glibc: [2, 41],
    executable: "/usr/bin/python3",
  });
});

test("a versioned interpreter alone is run by its own name", () => {
  const only = TRIXIE.filter((p) => !p.name.startsWith("python3") || p.name.startsWith("python3.13"));
  assert.equal(imagePython(only, "amd64").executable, "/usr/bin/python3.13");
});

test("an image without python3 is PY_INTERPRETER_MISSING, even with libpython", () => {
  const none = TRIXIE.filter((p) => !p.name.startsWith("python3"));
  assert.throws(
    () => imagePython(none, "arm64"),
    (err) => isCudasealError(err, "PY_INTERPRETER_MISSING"),
  );
});

test("two interpreters are refused: the wheels are for exactly one", () => {
  const two = [...TRIXIE, pkg("python3.12", "3.12.9-1")];
  assert.throws(
    () => imagePython(two, "amd64"),
    (err) => isCudasealError(err, "PY_INTERPRETER_MISSING"),
  );
});
