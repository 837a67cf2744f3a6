// A spec's `sources:` and the repository flags turned into apt sources: URI
// entries alone replace Debian's defaults, built-in names add to them.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { AptSource } from "../../src/apt/sources.ts";
import { sourcesFrom } from "../../src/cli/sources-options.ts";
import { isCudasealError } from "../../src/errors.ts";
import type { Spec } from "../../src/spec/types.ts";

const DEBIAN = "http://127.0.0.1:9/debian";
const CUDA = "http://127.0.0.1:9/compute/cuda/repos";
let root: string;
let saved: string | undefined;

before(() => {
  // The machine's apt setup, as sourcesFrom reads it: Debian and NVIDIA's debian12 tree.
  root = mkdtempSync(join(tmpdir(), "cudaseal-sources-"));
  mkdirSync(join(root, "etc/apt/sources.list.d"), { recursive: true });
  writeFileSync(join(root, "etc/apt/sources.list"), `deb ${DEBIAN} trixie main\n`);
  writeFileSync(
    join(root, "etc/apt/sources.list.d/cuda.list"),
    `deb [signed-by=/k.gpg] ${CUDA}/debian12/x86_64/ /\n`,
  );
  saved = process.env.CUDASEAL_APT_ROOT;
  process.env.CUDASEAL_APT_ROOT = root;
});
after(() => {
  if (saved === undefined) delete process.env.CUDASEAL_APT_ROOT;
  else process.env.CUDASEAL_APT_ROOT = saved;
  rmSync(root, { recursive: true, force: true });
});

const spec = (sources: Spec["sources"], extra: Partial<Spec> = {}): Spec =>
  ({ name: "x", sources, ...extra }) as Spec;
const where = (sources: AptSource[]) => sources.map((s) => `${s.uri} ${s.suites.join(",")}`);

test("nvidia-cuda adds NVIDIA's folders to Debian's defaults, from the machine's apt setup", () => {
  assert.deepEqual(where(sourcesFrom({}, spec(["nvidia-cuda"]))), [
    `${DEBIAN} trixie,trixie-updates`,
    `${CUDA} debian12/x86_64/`,
    `${CUDA} debian12/sbsa/`,
  ]);
  // Only the architectures built.
  assert.deepEqual(
    where(sourcesFrom({ arch: ["amd64"] }, spec(["nvidia-cuda"]))).at(-1),
    `${CUDA} debian12/x86_64/`,
  );
  assert.deepEqual(
    where(sourcesFrom({}, spec(["nvidia-cuda"], { archs: ["arm64"] }))).at(-1),
    `${CUDA} debian12/sbsa/`,
  );
});

test("URI entries alone replace the defaults; `debian` brings them back, with its priority and pins", () => {
  const uri = { uri: "http://127.0.0.1:9/other", suites: ["x"], keyring: ["/k.asc"] };
  assert.deepEqual(where(sourcesFrom({}, spec([uri, "nvidia-cuda"]))), [
    "http://127.0.0.1:9/other x",
    `${CUDA} debian12/x86_64/`,
    `${CUDA} debian12/sbsa/`,
  ]);
  const pins = [{ package: "libc6", priority: 100 }];
  const withDebian = sourcesFrom({}, spec([uri, { name: "debian", priority: 400, pins }]));
  assert.deepEqual(where(withDebian), ["http://127.0.0.1:9/other x", `${DEBIAN} trixie,trixie-updates`]);
  assert.equal(withDebian[1].priority, 400);
  assert.deepEqual(withDebian[1].pins, pins);
  // Its url: names the Debian mirror in place of the machine's.
  const named = sourcesFrom({}, spec([{ name: "debian", url: "http://127.0.0.1:4/debian/" }]));
  assert.deepEqual(where(named), ["http://127.0.0.1:4/debian trixie,trixie-updates"]);
});

test("url: beats --nvidia-mirror, which beats the machine's entry; keyring: nvidia names the shipped keys", () => {
  const flags = { "nvidia-mirror": "http://127.0.0.1:6/cuda", arch: ["amd64"] };
  const fromFlag = sourcesFrom(flags, spec(["nvidia-cuda"])).at(-1)!;
  assert.equal(fromFlag.uri, "http://127.0.0.1:6/cuda");
  // The flag names no tree: the default.
  assert.deepEqual(fromFlag.suites, ["debian13/x86_64/"]);
  assert.deepEqual(fromFlag.keyring, ["nvidia"]);
  const fromUrl = sourcesFrom(
    flags,
    spec([
      {
        name: "nvidia-cuda",
        url: "http://127.0.0.1:5/cuda",
        distribution: "ubuntu2404",
        keyring: ["/m.asc"],
      },
    ]),
  ).at(-1)!;
  assert.equal(fromUrl.uri, "http://127.0.0.1:5/cuda");
  assert.deepEqual(fromUrl.suites, ["ubuntu2404/x86_64/"]);
  assert.deepEqual(fromUrl.keyring, ["/m.asc"]);
  // keyring: nvidia on a URI entry (a mirror of NVIDIA's tree named by hand).
  const byUri = sourcesFrom(
    {},
    spec([{ uri: `${CUDA}/`, suites: ["debian12/x86_64/"], components: [], keyring: "nvidia" }]),
  );
  assert.deepEqual(byUri[0].keyring, ["nvidia"]);
  // --keyring adds to NVIDIA's keys as to Debian's.
  assert.deepEqual(
    sourcesFrom({ ...flags, keyring: ["/extra.asc"] }, spec(["nvidia-cuda"])).at(-1)!.keyring,
    ["nvidia", "/extra.asc"],
  );
});

test("a preset's bare nvidia-cuda and the including spec's entry are one repository, the spec's fields winning", () => {
  // mergeSpecs appends the include's list and the spec's: both entries arrive.
  const merged = sourcesFrom(
    { arch: ["amd64"] },
    spec(["nvidia-cuda", { name: "nvidia-cuda", url: "http://127.0.0.1:5/cuda", priority: 100 }]),
  );
  const nvidia = merged.filter((s) => s.uri.includes("cuda"));
  assert.equal(nvidia.length, 1);
  assert.equal(nvidia[0].uri, "http://127.0.0.1:5/cuda");
  assert.equal(nvidia[0].priority, 100);
  rmSync(join(root, "etc/apt/sources.list.d/cuda.list"));
  try {
    // The URL-less entry alone would need the machine's entry; merged, it needs none.
    assert.equal(
      sourcesFrom({}, spec(["nvidia-cuda", { name: "nvidia-cuda", url: "http://127.0.0.1:5/cuda" }])).at(-1)!
        .uri,
      "http://127.0.0.1:5/cuda",
    );
  } finally {
    writeFileSync(
      join(root, "etc/apt/sources.list.d/cuda.list"),
      `deb [signed-by=/k.gpg] ${CUDA}/debian12/x86_64/ /\n`,
    );
  }
});

test("with no NVIDIA entry on the machine and no URL given, nvidia-cuda is NVIDIA_REPO_UNKNOWN", () => {
  rmSync(join(root, "etc/apt/sources.list.d/cuda.list"));
  try {
    assert.throws(
      () => sourcesFrom({}, spec(["nvidia-cuda"])),
      (e) => isCudasealError(e, "NVIDIA_REPO_UNKNOWN"),
    );
  } finally {
    writeFileSync(
      join(root, "etc/apt/sources.list.d/cuda.list"),
      `deb [signed-by=/k.gpg] ${CUDA}/debian12/x86_64/ /\n`,
    );
  }
});
