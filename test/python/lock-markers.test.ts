// Environment markers evaluated for the image (not the host): checked by
// hand for the cases locks use, and against pip's packaging with the same
// environment over a list of markers.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { CudasealError } from "../../src/errors.ts";
import { environmentFor, evaluateMarker, type InterpreterFacts } from "../../src/python/index.ts";
import { DEBIAN_PYTHON } from "../helpers/wheels.ts";

const TRIXIE_AMD64: InterpreterFacts = {
  version: [3, 13],
  fullVersion: "3.13.5",
  arch: "amd64",
  glibc: [2, 41],
  executable: "/usr/bin/python3",
};

const MARKERS = [
  "python_version >= '3.11'",
  "python_version < '3.10'",
  "python_full_version >= '3.13.1'",
  "python_full_version < '3.13.6' and python_version == '3.13'",
  "platform_machine == 'x86_64'",
  "platform_machine == 'aarch64' or platform_machine == 'arm64'",
  "sys_platform == 'linux' and platform_system == 'Linux'",
  "sys_platform == 'win32' or (sys_platform == 'darwin' and platform_machine == 'arm64')",
  "os_name == 'posix'",
  "platform_python_implementation == 'CPython' and implementation_name == 'cpython'",
  "platform_python_implementation != 'PyPy'",
  "'linux' in sys_platform",
  "'win' not in sys_platform",
  "python_version > '3.9' and python_version <= '3.13'",
  "'3.12' < python_version",
  "python_version ~= '3.10'",
  "python_version == '3.*'",
  "implementation_version >= '3.13'",
  "extra == 'cuda'",
  "extra != 'cuda'",
];

test("markers locks use hold or fail for the image as they would on it", () => {
  const env = environmentFor(TRIXIE_AMD64, { extras: ["cpu"] });
  assert.equal(evaluateMarker("python_version >= '3.11' and platform_machine == 'x86_64'", env), true);
  assert.equal(evaluateMarker("sys_platform == 'darwin'", env), false);
  assert.equal(evaluateMarker(`python_full_version < "3.13.5"`, env), false);
  // PEP 685 (packaging 22 and later): extras compare by normalised name.
  assert.equal(evaluateMarker("extra == 'CPU'", env), true);
  assert.equal(evaluateMarker(undefined, env), true);
  const arm = environmentFor({ ...TRIXIE_AMD64, arch: "arm64" });
  assert.equal(evaluateMarker("platform_machine == 'aarch64'", arm), true);
});

test("PEP 751's extras and dependency_groups are sets tested with in", () => {
  const env = environmentFor(TRIXIE_AMD64, { extras: ["cli"], groups: ["Dev"] });
  assert.equal(evaluateMarker("'cli' in extras", env), true);
  assert.equal(evaluateMarker("'gui' in extras", env), false);
  assert.equal(evaluateMarker("'dev' in dependency_groups and 'docs' not in dependency_groups", env), true);
  assert.throws(
    () => evaluateMarker("extras == 'cli'", env),
    (e: unknown) => e instanceof CudasealError && e.code === "PY_LOCK_INVALID",
  );
});

test("a marker that is not PEP 508 is refused as PY_LOCK_INVALID", () => {
  const env = environmentFor(TRIXIE_AMD64);
  for (const bad of [
    "python_version >=",
    "shell_name == 'bash'",
    "(python_version > '3'",
    "python_version >= '3' and",
    "'a' 'b'",
    // Deep enough to exhaust a recursive parser's stack.
    `${"(".repeat(5000)}os_name == 'posix'${")".repeat(5000)}`,
  ])
    assert.throws(
      () => evaluateMarker(bad, env),
      (e: unknown) => e instanceof CudasealError && e.code === "PY_LOCK_INVALID",
      bad,
    );
});

test("an architecture Python wheels are not chosen for is refused as PY_NO_WHEEL", () => {
  assert.throws(
    () => environmentFor({ ...TRIXIE_AMD64, arch: "mips64el" }),
    (e: unknown) => e instanceof CudasealError && e.code === "PY_NO_WHEEL",
  );
});

test("markers evaluate as pip's packaging evaluates them in the same environment", (t) => {
  const env = environmentFor(TRIXIE_AMD64, { extras: ["cpu"] });
  const pyEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === "string"));
  const script = `
import json, sys
from pip._vendor.packaging.markers import Marker
data = json.load(sys.stdin)
print(json.dumps([Marker(m).evaluate(dict(data["env"], extra="cpu")) for m in data["markers"]]))
`;
  let reference: boolean[];
  try {
    reference = JSON.parse(
      execFileSync(DEBIAN_PYTHON, ["-c", script], {
        input: JSON.stringify({ env: pyEnv, markers: MARKERS }),
      }).toString(),
    );
  } catch {
    t.skip("Debian's python3-pip is not installed");
    return;
  }
  const ours = MARKERS.map((m) => evaluateMarker(m, env));
  assert.deepEqual(
    MARKERS.map((m, i) => `${m}: ${ours[i]}`),
    MARKERS.map((m, i) => `${m}: ${reference[i]}`),
  );
});
