// The nvidia-cuda built-in source: where its URL comes from, the flat folder
// per architecture, refused distributions and URLs, the shipped NVIDIA keys.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { builtinKeyring, NVIDIA_FINGERPRINTS } from "../../src/apt/keyring.ts";
import { nvidiaSources, systemNvidiaRepository } from "../../src/apt/nvidia-source.ts";
import { readSystemMirrors } from "../../src/apt/system-sources.ts";
import { isCudasealError } from "../../src/errors.ts";

const BASE = "http://127.0.0.1:9/compute/cuda/repos";
const unknown = (e: unknown) => isCudasealError(e, "NVIDIA_REPO_UNKNOWN");

test("one flat source per architecture: x86_64 for amd64, sbsa for arm64, NVIDIA's keys, debian13 by default", () => {
  assert.deepEqual(nvidiaSources({ url: `${BASE}/` }), [
    {
      uri: BASE,
      suites: ["debian13/x86_64/"],
      components: [],
      arches: ["amd64"],
      keyring: ["nvidia"],
      priority: 500,
    },
    {
      uri: BASE,
      suites: ["debian13/sbsa/"],
      components: [],
      arches: ["arm64"],
      keyring: ["nvidia"],
      priority: 500,
    },
  ]);
});

test("distribution, keyring, priority and pins are carried onto every source", () => {
  const pins = [{ package: "libnccl*", priority: 990 }];
  const [only] = nvidiaSources({
    url: BASE,
    distribution: "ubuntu2404",
    arches: ["amd64"],
    keyring: ["/keys/mirror.asc"],
    priority: 600,
    pins,
    allowExpired: true,
  });
  assert.deepEqual(only, {
    uri: BASE,
    suites: ["ubuntu2404/x86_64/"],
    components: [],
    arches: ["amd64"],
    keyring: ["/keys/mirror.asc"],
    priority: 600,
    pins,
    allowExpired: true,
  });
});

test("a URL already ending in a distribution (or its architecture folder) names that tree", () => {
  for (const url of [`${BASE}/debian12`, `${BASE}/debian12/`, `${BASE}/debian12/x86_64/`]) {
    const [s] = nvidiaSources({ url, arches: ["amd64"] });
    assert.equal(s.uri, BASE);
    assert.deepEqual(s.suites, ["debian12/x86_64/"]);
  }
  // …and contradicting distribution: is refused rather than guessed at.
  assert.throws(() => nvidiaSources({ url: `${BASE}/debian12`, distribution: "debian13" }), unknown);
});

test("the entry's url wins over --nvidia-mirror, which wins over the machine's apt sources", () => {
  const system = [
    {
      uri: "http://127.0.0.1:7/compute/cuda/repos/debian12/x86_64/",
      suites: ["/"],
      components: [],
      file: "x",
    },
  ];
  const uri = (o: Parameters<typeof nvidiaSources>[0]) => nvidiaSources({ arches: ["amd64"], ...o })[0].uri;
  assert.equal(
    uri({ url: "http://127.0.0.1:5/a", mirror: "http://127.0.0.1:6/b", system }),
    "http://127.0.0.1:5/a",
  );
  assert.equal(uri({ mirror: "http://127.0.0.1:6/b", system }), "http://127.0.0.1:6/b");
  const fromSystem = nvidiaSources({ arches: ["amd64"], system })[0];
  assert.equal(fromSystem.uri, "http://127.0.0.1:7/compute/cuda/repos");
  // The machine's entry also says which tree, unless the spec does.
  assert.deepEqual(fromSystem.suites, ["debian12/x86_64/"]);
  assert.deepEqual(nvidiaSources({ arches: ["amd64"], system, distribution: "debian13" })[0].suites, [
    "debian13/x86_64/",
  ]);
});

test("NVIDIA entries are found in the machine's sources.list and deb822 files; others are not taken", (t) => {
  const root = mkdtempSync(join(tmpdir(), "cudaseal-apt-root-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "etc/apt/sources.list.d"), { recursive: true });
  writeFileSync(join(root, "etc/apt/sources.list"), "deb http://127.0.0.1:9/debian trixie main\n");
  writeFileSync(
    join(root, "etc/apt/sources.list.d/other.list"),
    "deb [signed-by=/k.gpg] http://127.0.0.1:9/some/flat/repo/ /\n",
  );
  assert.equal(systemNvidiaRepository(readSystemMirrors(root).entries), undefined);
  writeFileSync(
    join(root, "etc/apt/sources.list.d/cuda.sources"),
    "Types: deb\nURIs: http://127.0.0.1:8/mirror/compute/cuda/repos/ubuntu2404/sbsa/\nSuites: /\nSigned-By: /k.gpg\n",
  );
  assert.deepEqual(systemNvidiaRepository(readSystemMirrors(root).entries), {
    base: "http://127.0.0.1:8/mirror/compute/cuda/repos",
    distribution: "ubuntu2404",
  });
});

test("no URL from anywhere is NVIDIA_REPO_UNKNOWN, with a hint to name one", () => {
  assert.throws(
    () => nvidiaSources({ system: [] }),
    (e) =>
      unknown(e) &&
      /url:/.test((e as { hint?: string }).hint ?? "") &&
      /--nvidia-mirror/.test((e as { hint?: string }).hint ?? ""),
  );
});

test("a distribution NVIDIA does not publish, a bad URL or an architecture without a folder is NVIDIA_REPO_UNKNOWN", () => {
  for (const distribution of ["debian99", "trixie", "ubuntu24.04", "../x", "fedora41"]) {
    assert.throws(() => nvidiaSources({ url: BASE, distribution }), unknown, distribution);
  }
  assert.throws(() => nvidiaSources({ url: "ftp://127.0.0.1/cuda" }), unknown);
  assert.throws(() => nvidiaSources({ url: "not a url" }), unknown);
  assert.throws(() => nvidiaSources({ url: BASE, arches: ["riscv64"] }), unknown);
});

test("the shipped NVIDIA keyring holds exactly the two pinned keys, apart from Debian's", async () => {
  const ring = await builtinKeyring("nvidia");
  assert.deepEqual([...ring.fingerprints], [...NVIDIA_FINGERPRINTS]);
  assert.deepEqual(
    [...ring.fingerprints],
    ["EB693B3035CD5710E231E123A4B469963BF863CC", "02182E60104FCDC26EAE1B8597A5D4CB8793F200"],
  );
  for (const key of ring.keys) await key.verifyPrimaryKey();
  const debian = await builtinKeyring();
  assert.ok(!debian.fingerprints.some((f) => NVIDIA_FINGERPRINTS.includes(f)));
  assert.equal(await builtinKeyring("nvidia"), ring, "read once per process");
});
