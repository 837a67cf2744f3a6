// Wheel file names, the tags the image's interpreter accepts (checked
// against pip's own list on this machine), and best-wheel selection with the
// reasons a wheel is refused.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { arch as hostArch } from "node:os";
import { test } from "node:test";
import { CudasealError } from "../../src/errors.ts";
import {
  chooseWheel,
  type InterpreterFacts,
  type LockedPythonPackage,
  parseWheelName,
  supportedTags,
} from "../../src/python/index.ts";
import { tagRanks } from "../../src/python/tags.ts";
import { DEBIAN_PYTHON } from "../helpers/wheels.ts";

const TRIXIE: InterpreterFacts = {
  version: [3, 13],
  arch: "amd64",
  glibc: [2, 41],
  executable: "/usr/bin/python3",
};
const SHA = "a".repeat(64);

function pkg(name: string, version: string, filenames: string[]): LockedPythonPackage {
  return {
    name,
    version,
    files: filenames.map((filename) => ({
      filename,
      url: `https://files.example/${filename}`,
      sha256: SHA,
      kind: filename.endsWith(".whl") ? ("wheel" as const) : ("sdist" as const),
    })),
  };
}

function codeOf(fn: () => unknown): { code: string; hint?: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof CudasealError) return { code: e.code, hint: e.hint };
    throw e;
  }
  assert.fail("expected a coded error");
}

test("wheel names parse into name, version, build tag and every tag they expand to", () => {
  const w = parseWheelName("Foo_Bar-1.0.post1-2b-py2.py3-none-any.whl");
  assert.equal(w.name, "foo-bar");
  assert.equal(w.version, "1.0.post1");
  assert.deepEqual(w.build, [2, "b"]);
  assert.deepEqual(w.tags, ["py2-none-any", "py3-none-any"]);
  const t = parseWheelName("torch-2.5.1-cp313-cp313-manylinux1_x86_64.manylinux_2_5_x86_64.whl");
  assert.deepEqual(t.tags, ["cp313-cp313-manylinux1_x86_64", "cp313-cp313-manylinux_2_5_x86_64"]);
  for (const bad of [
    "foo-1.0.tar.gz",
    "foo-1.0-py3-none.whl",
    "foo-1.0-x-py3-none-any.whl",
    "../foo-1.0-py3-none-any.whl",
  ])
    assert.equal(codeOf(() => parseWheelName(bad)).code, "WHEEL_INVALID", bad);
});

test("the interpreter's tags run from cp313-cp313 on the newest glibc to py30-none-any, legacy manylinux names beside their equals", () => {
  const tags = supportedTags(TRIXIE);
  assert.equal(tags[0], "cp313-cp313-manylinux_2_41_x86_64");
  assert.equal(tags.at(-1), "py30-none-any");
  const i = tags.indexOf("cp313-cp313-manylinux_2_17_x86_64");
  assert.equal(tags[i + 1], "cp313-cp313-manylinux2014_x86_64");
  assert.ok(tags.includes("cp313-cp313-manylinux1_x86_64"));
  assert.ok(tags.includes("cp39-abi3-manylinux2014_x86_64"));
  assert.ok(!tags.some((t) => t.includes("musllinux") || t.endsWith("-linux_x86_64")));
  const arm = supportedTags({ ...TRIXIE, arch: "arm64" });
  assert.ok(arm.includes("cp313-cp313-manylinux2014_aarch64"));
  assert.ok(
    !arm.some(
      (t) => t.includes("manylinux_2_16_") || t.includes("manylinux2010") || t.includes("manylinux1_"),
    ),
  );
});

test("the tags match pip's own for this machine's interpreter, less musllinux and the plain linux tag", (t) => {
  const script = `
import json, platform
from pip._vendor.packaging import tags
import sys
print(json.dumps({"tags": [str(t) for t in tags.sys_tags()], "libc": platform.libc_ver()[1], "version": list(sys.version_info[:2])}))
`;
  let reference: { tags: string[]; libc: string; version: [number, number] };
  try {
    reference = JSON.parse(execFileSync(DEBIAN_PYTHON, ["-c", script]).toString());
  } catch {
    t.skip("Debian's python3-pip is not installed");
    return;
  }
  const debArch = hostArch() === "x64" ? "amd64" : hostArch();
  const [major, minor] = reference.libc.split(".").map(Number) as [number, number];
  const ours = supportedTags({
    version: reference.version,
    arch: debArch,
    glibc: [major, minor],
    executable: DEBIAN_PYTHON,
  });
  const theirs = reference.tags.filter(
    (tag) => !tag.includes("musllinux") && !/-linux_[a-z0-9_]+$/.test(tag),
  );
  // Packaging 22 added cpXY-none-any just before pyXY-none-any; Debian 12's pip vendors 21.3.
  const cpAny = `cp${reference.version.join("")}-none-any`;
  if (!theirs.includes(cpAny))
    theirs.splice(theirs.indexOf(`py${reference.version.join("")}-none-any`), 0, cpAny);
  assert.deepEqual(ours, theirs);
});

test("the best wheel is the one whose best tag ranks highest, whatever the lock's order", () => {
  const files = [
    "numpy-2.1.0-py3-none-any.whl",
    "numpy-2.1.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "numpy-2.1.0-cp313-cp313-manylinux_2_28_aarch64.whl",
    "numpy-2.1.0-cp313-cp313-manylinux_2_28_x86_64.whl",
    "numpy-2.1.0-cp313-cp313-musllinux_1_2_x86_64.whl",
    "numpy-2.1.0-cp312-cp312-manylinux_2_28_x86_64.whl",
    "numpy-2.1.0.tar.gz",
  ];
  const ranks = tagRanks(TRIXIE);
  for (const order of [files, [...files].reverse()])
    assert.equal(
      chooseWheel(pkg("numpy", "2.1.0", order), ranks, TRIXIE).filename,
      "numpy-2.1.0-cp313-cp313-manylinux_2_28_x86_64.whl",
    );
  const arm = { ...TRIXIE, arch: "arm64" };
  assert.equal(
    chooseWheel(pkg("numpy", "2.1.0", files), tagRanks(arm), arm).filename,
    "numpy-2.1.0-cp313-cp313-manylinux_2_28_aarch64.whl",
  );
  // An older glibc takes the manylinux2014 wheel; abi3 beats pure Python.
  const old = { ...TRIXIE, glibc: [2, 24] as [number, number] };
  assert.equal(
    chooseWheel(pkg("numpy", "2.1.0", files), tagRanks(old), old).filename,
    "numpy-2.1.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
  );
  const abi3 = [
    "cryptography-43.0-py3-none-any.whl",
    "cryptography-43.0-cp39-abi3-manylinux_2_28_x86_64.whl",
  ];
  assert.equal(chooseWheel(pkg("cryptography", "43.0", abi3), ranks, TRIXIE).filename, abi3[1]);
});

test("a package with no usable wheel is PY_NO_WHEEL, and the hint says why for each", () => {
  const ranks = tagRanks(TRIXIE);
  const sdist = codeOf(() => chooseWheel(pkg("pycuda", "2024.1", ["pycuda-2024.1.tar.gz"]), ranks, TRIXIE));
  assert.equal(sdist.code, "PY_NO_WHEEL");
  assert.match(sdist.hint ?? "", /runs no code/);
  const none = codeOf(() =>
    chooseWheel(
      pkg("fastlib", "1.0", [
        "fastlib-1.0-cp313-cp313-musllinux_1_2_x86_64.whl",
        "fastlib-1.0-cp313-cp313-linux_x86_64.whl",
        "fastlib-1.0-cp313-cp313-manylinux_2_42_x86_64.whl",
        "fastlib-1.0-cp313-cp313t-manylinux_2_28_x86_64.whl",
        "fastlib-1.0-cp312-cp312-manylinux_2_28_x86_64.whl",
        "fastlib-1.0-cp313-cp313-win_amd64.whl",
      ]),
      ranks,
      TRIXIE,
    ),
  );
  assert.equal(none.code, "PY_NO_WHEEL");
  const hint = none.hint ?? "";
  assert.match(hint, /musl libc/);
  assert.match(hint, /auditwheel/);
  assert.match(hint, /needs glibc 2\.42; the image has 2\.41/);
  assert.match(hint, /free-threaded/);
  assert.match(hint, /CPython 3\.12/);
  assert.match(hint, /not Linux/);
});

test("a wheel listed under another package or version is refused as PY_LOCK_INVALID", () => {
  const ranks = tagRanks(TRIXIE);
  assert.equal(
    codeOf(() => chooseWheel(pkg("requests", "2.32.3", ["evil-2.32.3-py3-none-any.whl"]), ranks, TRIXIE))
      .code,
    "PY_LOCK_INVALID",
  );
  assert.equal(
    codeOf(() => chooseWheel(pkg("requests", "2.32.3", ["requests-2.0.0-py3-none-any.whl"]), ranks, TRIXIE))
      .code,
    "PY_LOCK_INVALID",
  );
});
