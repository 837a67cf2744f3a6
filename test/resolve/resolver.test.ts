import assert from "node:assert/strict";
import { test } from "node:test";
import { type CudasealError, isCudasealError } from "../../src/errors.ts";
import { type ResolveRequest, resolve } from "../../src/resolve/index.ts";
import { MAIN, names, packages, pinsOf } from "./helpers.ts";

const request = (pkgs: string[], extra: Partial<ResolveRequest> = {}): ResolveRequest => ({
  packages: pkgs,
  arch: "amd64",
  ...extra,
});

/** Run `fn`, expect a CudasealError with `code`, and hand it back for further checks. */
function failure(code: string, fn: () => unknown): CudasealError {
  try {
    fn();
  } catch (err) {
    assert.ok(isCudasealError(err), `not a CudasealError: ${err}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

const BASE = packages(`
Package: libc6
Version: 2.41-12
Multi-Arch: same
Pre-Depends: libgcc-s1

Package: libgcc-s1
Version: 14.2.0-19
Multi-Arch: same
Depends: libc6 (>= 2.35), gcc-14-base (= 14.2.0-19)

Package: gcc-14-base
Version: 14.2.0-19
Multi-Arch: same
`);

test("a simple chain, sorted, with its dependency edges", () => {
  const index = [
    ...BASE,
    ...packages(`
Package: app
Depends: libfoo2 (>= 3)

Package: libfoo2
Version: 3.1-1
Depends: libbar1, libc6 (>= 2.34)

Package: libbar1
Version: 0.9

Package: unrelated
`),
  ];
  const r = resolve(index, request(["app"]));
  assert.deepEqual(names(r), ["app", "gcc-14-base", "libbar1", "libc6", "libfoo2", "libgcc-s1"]);
  assert.deepEqual(r.dependsOn.get("app"), ["libfoo2"]);
  assert.deepEqual(r.dependsOn.get("libfoo2"), ["libbar1", "libc6"]);
  assert.deepEqual(r.dependsOn.get("libbar1"), []);
  assert.equal(r.arch, "amd64");
  assert.deepEqual(r.hostProvided, []);
});

test("a Pre-Depends cycle terminates with both packages", () => {
  const r = resolve(BASE, request(["libc6"]));
  assert.deepEqual(names(r), ["gcc-14-base", "libc6", "libgcc-s1"]);
  assert.deepEqual(r.dependsOn.get("libc6"), ["libgcc-s1"]);
  assert.deepEqual(r.dependsOn.get("libgcc-s1"), ["gcc-14-base", "libc6"]);
});

test("alternatives: the first installable one, unless another is already selected", () => {
  const index = packages(`
Package: app
Depends: missing | libssl3 | libgnutls30

Package: app2
Depends: liba | libb

Package: libssl3

Package: libgnutls30

Package: liba

Package: libb
`);
  assert.deepEqual(names(resolve(index, request(["app"]))), ["app", "libssl3"]);
  assert.deepEqual(names(resolve(index, request(["app2"]))), ["app2", "liba"]);
  // libb is wanted anyway, so app2's `liba | libb` takes it rather than adding liba.
  assert.deepEqual(names(resolve(index, request(["app2", "libb"]))), ["app2", "libb"]);
});

test("virtual packages: unversioned and versioned Provides", () => {
  const index = packages(`
Package: base-files
Pre-Depends: awk

Package: gawk
Priority: optional
Provides: awk

Package: mawk
Priority: required
Provides: awk

Package: app
Depends: libblas.so.3 (>= 3.1)

Package: libopenblas0
Provides: libblas.so.3 (= 3.2)

Package: libblas-old
Provides: libblas.so.3

Package: strict
Depends: libfoo-api (>= 2)

Package: libfoo
Provides: libfoo-api
`);
  const awk = resolve(index, request(["base-files"]));
  assert.deepEqual(names(awk), ["base-files", "mawk"]);
  assert.deepEqual(awk.dependsOn.get("base-files"), ["mawk"]);
  // apt's preference among providers: Priority required beats optional.
  assert.deepEqual(names(resolve(index, request(["base-files", "gawk"]))), ["base-files", "gawk"]);
  // A versioned dependency is met only by a versioned Provides.
  assert.deepEqual(names(resolve(index, request(["app"]))), ["app", "libopenblas0"]);
  const err = failure("RESOLVE_NOT_FOUND", () => resolve(index, request(["strict"])));
  assert.deepEqual(err.details?.chain, ["strict", "libfoo-api (>= 2)"]);
});

test("Multi-Arch: foreign, same, :any and :native", () => {
  const index = packages(`
Package: python3
Multi-Arch: allowed

Package: perl
Multi-Arch: no

Package: make
Multi-Arch: foreign

Package: libfoo1
Multi-Arch: same

Package: uses-any
Depends: python3:any

Package: uses-perl-any
Depends: perl:any

Package: uses-foreign-tool
Depends: make:i386

Package: uses-same
Depends: libfoo1:amd64, libfoo1:native

Package: wrong-arch
Depends: libfoo1:i386

Package: arch-all
Architecture: all
Depends: libfoo1
`);
  assert.deepEqual(names(resolve(index, request(["uses-any"]))), ["python3", "uses-any"]);
  assert.deepEqual(names(resolve(index, request(["uses-foreign-tool"]))), ["make", "uses-foreign-tool"]);
  assert.deepEqual(names(resolve(index, request(["uses-same"]))), ["libfoo1", "uses-same"]);
  assert.deepEqual(names(resolve(index, request(["arch-all"]))), ["arch-all", "libfoo1"]);
  const notAllowed = failure("RESOLVE_NOT_FOUND", () => resolve(index, request(["uses-perl-any"])));
  assert.deepEqual(notAllowed.details?.chain, ["uses-perl-any", "perl:any"]);
  failure("RESOLVE_NOT_FOUND", () => resolve(index, request(["wrong-arch"])));
});

test("packages of other architectures are never used, and the error says where they exist", () => {
  const index = [
    ...packages(`
Package: app
Depends: only-arm
`),
    ...packages(
      `
Package: only-arm
Architecture: arm64
`,
    ),
  ];
  const err = failure("RESOLVE_NOT_FOUND", () => resolve(index, request(["app"])));
  assert.deepEqual(err.details?.chain, ["app", "only-arm"]);
  assert.match(err.message, /arm64/);
});

test("repository priority, then version, picks the candidate; constraints pick another", () => {
  const vendor = { ...MAIN, uri: "http://127.0.0.1:9/vendor", suite: "/", component: "/", priority: 600 };
  const index = [
    ...packages(`
Package: libnccl2
Version: 2.22.3-1

Package: wants-new
Depends: libnccl2 (>= 2.22)
`),
    ...packages(
      `
Package: libnccl2
Version: 2.21.5-1+cuda12.4
`,
      vendor,
    ),
  ];
  const plain = resolve(index, request(["libnccl2"]));
  assert.deepEqual(pinsOf(plain), ["libnccl2=2.21.5-1+cuda12.4"]);
  assert.equal(plain.packages[0].repo.priority, 600);
  // The preferred candidate fails the constraint, so the other version is taken.
  assert.deepEqual(pinsOf(resolve(index, request(["wants-new"]))), ["libnccl2=2.22.3-1", "wants-new=1.0"]);
  // Same priority: the highest version.
  const same = [...packages("Package: x\nVersion: 1.0\n"), ...packages("Package: x\nVersion: 1.10\n")];
  assert.deepEqual(pinsOf(resolve(same, request(["x"]))), ["x=1.10"]);
});

test("version pins in the request: name=version, (<< v), (>= v)", () => {
  const index = packages(`
Package: libcudart12
Version: 12.4.127~12.4.1-2

Package: libcudart12
Version: 12.6.77-1

Package: libcudart12
Version: 12.0.146~12.0.1-4
`);
  assert.deepEqual(pinsOf(resolve(index, request(["libcudart12"]))), ["libcudart12=12.6.77-1"]);
  assert.deepEqual(pinsOf(resolve(index, request(["libcudart12=12.4.127~12.4.1-2"]))), [
    "libcudart12=12.4.127~12.4.1-2",
  ]);
  assert.deepEqual(pinsOf(resolve(index, request(["libcudart12 (<< 12.4)"]))), [
    "libcudart12=12.0.146~12.0.1-4",
  ]);
  assert.deepEqual(pinsOf(resolve(index, request(["libcudart12:amd64 (>= 12.1)"]))), [
    "libcudart12=12.6.77-1",
  ]);
  const err = failure("RESOLVE_NOT_FOUND", () => resolve(index, request(["libcudart12=13.0"])));
  assert.deepEqual(err.details?.chain, ["libcudart12=13.0"]);
  failure("SPEC_INVALID", () => resolve(index, request(["libcudart12 (>= )"])));
  failure("SPEC_INVALID", () => resolve(index, request(["bad name"])));
});

test("a later constraint on a selected name restarts with the version that fits both", () => {
  const index = packages(`
Package: a
Depends: libx

Package: b
Depends: libx (<< 2)

Package: libx
Version: 2.0

Package: libx
Version: 1.5

Package: c
Depends: libx (>= 2)
`);
  assert.deepEqual(pinsOf(resolve(index, request(["a", "b"]))), ["a=1.0", "b=1.0", "libx=1.5"]);
  const err = failure("RESOLVE_CONFLICT", () => resolve(index, request(["c", "b"])));
  assert.equal(err.details?.package, "libx");
});

test("unsatisfiable: the error names the whole chain and hints at a fix", () => {
  const index = packages(`
Package: app
Depends: libfoo2 (>= 3)

Package: libfoo2
Version: 3.0
Depends: libbar1

Package: old
Depends: libfoo2 (>= 4)
`);
  const missing = failure("RESOLVE_NOT_FOUND", () => resolve(index, request(["app"])));
  assert.deepEqual(missing.details?.chain, ["app", "libfoo2 (>= 3)", "libbar1"]);
  assert.ok(missing.message.startsWith("app -> libfoo2 (>= 3) -> libbar1: not found in any source"));
  assert.match(missing.hint ?? "", /non-free/);
  const tooOld = failure("RESOLVE_NOT_FOUND", () => resolve(index, request(["old"])));
  assert.deepEqual(tooOld.details?.chain, ["old", "libfoo2 (>= 4)"]);
  assert.match(tooOld.message, /only available at version 3\.0/);
  const request1 = failure("RESOLVE_NOT_FOUND", () => resolve(index, request(["nope"])));
  assert.deepEqual(request1.details?.chain, ["nope"]);
});

test("Conflicts and Breaks between selected packages are an error naming both", () => {
  const index = packages(`
Package: python3-torch-cuda
Conflicts: python3-torch

Package: python3-torch

Package: new-lib
Version: 2.0
Breaks: old-tool (<< 2)

Package: old-tool
Version: 1.0

Package: either
Depends: python3-torch | python3-torch-cuda
`);
  const err = failure("RESOLVE_CONFLICT", () =>
    resolve(index, request(["python3-torch", "python3-torch-cuda"])),
  );
  assert.deepEqual([...((err.details?.packages ?? []) as string[])].sort(), [
    "python3-torch",
    "python3-torch-cuda",
  ]);
  failure("RESOLVE_CONFLICT", () => resolve(index, request(["new-lib", "old-tool"])));
  // An alternative that would conflict is passed over for one that does not.
  assert.deepEqual(names(resolve(index, request(["python3-torch-cuda", "either"]))), [
    "either",
    "python3-torch-cuda",
  ]);
});

// Shaped after Debian trixie's CUDA packages and the driver they depend on.
const CUDA = packages(`
Package: libcudart12
Source: nvidia-cuda-toolkit (12.4.1-2)
Version: 12.4.127~12.4.1-2
Multi-Arch: same
Recommends: libcuda1 (>= 550) | libcuda.so.1 (>= 550) | libcuda-12.4-1

Package: nvidia-cuda-dev
Source: nvidia-cuda-toolkit (12.4.1-2)
Version: 12.4.127~12.4.1-2
Depends: libcudart12 (= 12.4.127~12.4.1-2), libnvidia-ml-dev, libcuda1 (>= 550) | libcuda.so.1 (>= 550) | libcuda-12.4-1

Package: libnvidia-ml-dev
Source: nvidia-cuda-toolkit (12.4.1-2)
Version: 12.4.127~12.4.1-2
Depends: libnvidia-ml1 (>= 550) | libnvidia-ml.so.1 (>= 550)

Package: libcuda1
Source: nvidia-graphics-drivers
Version: 550.163.01-2
Provides: libcuda-12.4-1, libcuda.so.1 (= 550.163.01), libcuda1-any
Depends: nvidia-support, libnvidia-ptxjitcompiler1 (= 550.163.01-2)

Package: libnvidia-ml1
Source: nvidia-graphics-drivers
Version: 550.163.01-2
Provides: libnvidia-ml.so.1 (= 550.163.01)

Package: nvidia-new-helper
Source: nvidia-graphics-drivers
Version: 550.163.01-2

Package: uses-new-helper
Depends: nvidia-new-helper

Package: nvtop
Depends: libdrm2 | libnvidia-something1
`);

test("the host's NVIDIA driver is never installed; dependencies on it are left to the host", () => {
  const r = resolve(CUDA, request(["nvidia-cuda-dev"]));
  assert.deepEqual(names(r), ["libcudart12", "libnvidia-ml-dev", "nvidia-cuda-dev"]);
  assert.deepEqual(r.hostProvided, ["libcuda1", "libnvidia-ml1"]);
  assert.deepEqual(r.dependsOn.get("nvidia-cuda-dev"), ["libcudart12", "libnvidia-ml-dev"]);
  // Recommends of the driver are left to the host too.
  const withRecommends = resolve(CUDA, request(["libcudart12"], { withRecommends: true }));
  assert.deepEqual(names(withRecommends), ["libcudart12"]);
  assert.deepEqual(withRecommends.hostProvided, ["libcuda1"]);
  // A driver package under a new name is recognised by its source package.
  const byOrigin = resolve(CUDA, request(["uses-new-helper"]));
  assert.deepEqual(names(byOrigin), ["uses-new-helper"]);
  assert.deepEqual(byOrigin.hostProvided, ["nvidia-new-helper"]);
  // An alternative naming the driver is met by the host even when listed second.
  assert.deepEqual(names(resolve(CUDA, request(["nvtop"]))), ["nvtop"]);
});

test("requesting a driver package is refused", () => {
  for (const name of ["libcuda1", "libcuda.so.1", "libnvidia-ml1", "nvidia-driver", "nvidia-new-helper"]) {
    const err = failure("RESOLVE_PROVIDED_BY_HOST", () => resolve(CUDA, request([name])));
    assert.ok(err.details?.package);
  }
  failure("RESOLVE_PROVIDED_BY_HOST", () => resolve(CUDA, request(["libfoo"], { provided: ["libfoo"] })));
});

test("the request's provided list meets dependencies without installing anything", () => {
  const index = packages(`
Package: app
Depends: libpython3.13 (>= 3.13), libssl3t64

Package: libpython3.13

Package: libssl3t64
`);
  const r = resolve(index, request(["app"], { provided: ["libpython3*"] }));
  assert.deepEqual(names(r), ["app", "libssl3t64"]);
  assert.deepEqual(r.hostProvided, ["libpython3.13"]);
});

// Shaped after Debian trixie contrib: PyTorch with CUDA wants cuDNN, which
// Debian ships only as a download script.
const TORCH = [
  ...packages(
    `
Package: python3-torch-cuda
Source: pytorch-cuda (2.6.0+dfsg-7)
Version: 2.6.0+dfsg-7+b1
Section: contrib/python
Depends: libtorch-cuda-2.6 (= 2.6.0+dfsg-7+b1), libcudart12

Package: libtorch-cuda-2.6
Source: pytorch-cuda (2.6.0+dfsg-7)
Version: 2.6.0+dfsg-7+b1
Section: contrib/libs
Depends: libcudart12, libcuda1 (>= 525) | libcuda.so.1 (>= 525), nvidia-cudnn

Package: nvidia-cudnn
Version: 9.0.0.312~cuda12
Section: contrib/libs
Installed-Size: 70
Provides: libcudnn.so.9
Depends: ca-certificates, curl | wget

Package: fonts-app
Depends: ttf-mscorefonts-installer | fonts-liberation

Package: ttf-mscorefonts-installer
Section: contrib/fonts
Depends: wget

Package: fonts-liberation

Package: libcudart12
Version: 12.4.127~12.4.1-2

Package: ca-certificates

Package: curl

Package: wget

Package: some-installer
Section: contrib/misc
`,
    { ...MAIN, component: "contrib" },
  ),
];

test("a package that fetches its payload in a maintainer script is refused, naming the chain", () => {
  const err = failure("RESOLVE_SCRIPT_FETCHED", () => resolve(TORCH, request(["python3-torch-cuda"])));
  assert.deepEqual(err.details?.chain, [
    "python3-torch-cuda",
    "libtorch-cuda-2.6 (= 2.6.0+dfsg-7+b1)",
    "nvidia-cudnn",
  ]);
  assert.match(err.hint ?? "", /libcudnn9-cuda-12/);
  // Found by the heuristic too: a contrib package named *-installer.
  failure("RESOLVE_SCRIPT_FETCHED", () => resolve(TORCH, request(["some-installer"])));
  // An alternative that ships real files is preferred over a download script.
  assert.deepEqual(names(resolve(TORCH, request(["fonts-app"]))), ["fonts-app", "fonts-liberation"]);
  // Listing the download script as provided (with the real library installed another way) lets it through.
  const provided = resolve(TORCH, request(["python3-torch-cuda"], { provided: ["nvidia-cudnn"] }));
  assert.deepEqual(names(provided), ["libcudart12", "libtorch-cuda-2.6", "python3-torch-cuda"]);
  assert.deepEqual(provided.hostProvided, ["libcuda1", "nvidia-cudnn"]);
});

test("Recommends are installed only when asked, and dropped when they cannot be", () => {
  const index = packages(`
Package: git
Depends: libcurl4
Recommends: less, ssh-client, missing-tool, broken-helper

Package: libcurl4

Package: less

Package: openssh-client
Provides: ssh-client
Recommends: xauth

Package: xauth

Package: broken-helper
Depends: not-there
`);
  assert.deepEqual(names(resolve(index, request(["git"]))), ["git", "libcurl4"]);
  const r = resolve(index, request(["git"], { withRecommends: true }));
  assert.deepEqual(names(r), ["git", "less", "libcurl4", "openssh-client", "xauth"]);
  // Recommends are not dependency edges.
  assert.deepEqual(r.dependsOn.get("git"), ["libcurl4"]);
});

test("excludes: never installed; alternatives look elsewhere", () => {
  const index = packages(`
Package: app
Depends: libblas3 | libopenblas0

Package: libblas3

Package: libopenblas0

Package: needs
Depends: libblas3
`);
  assert.deepEqual(names(resolve(index, request(["app"], { excludes: ["libblas3"] }))), [
    "app",
    "libopenblas0",
  ]);
  const err = failure("RESOLVE_NOT_FOUND", () =>
    resolve(index, request(["needs"], { excludes: ["libblas*"] })),
  );
  assert.deepEqual(err.details?.chain, ["needs", "libblas3"]);
  failure("SPEC_INVALID", () => resolve(index, request(["libblas3"], { excludes: ["libblas3"] })));
});

test("the result does not depend on the order packages are offered in", () => {
  const index = [...BASE, ...CUDA, ...TORCH.filter((p) => p.name !== "nvidia-cudnn")];
  const reference = resolve(index, request(["nvidia-cuda-dev", "libc6", "fonts-app"]));
  const shuffled = [...index].reverse();
  const again = resolve(shuffled, request(["nvidia-cuda-dev", "libc6", "fonts-app"]));
  assert.deepEqual(pinsOf(again), pinsOf(reference));
  assert.deepEqual([...again.dependsOn], [...reference.dependsOn]);
});
