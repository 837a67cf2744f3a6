// NVIDIA's CUDA repository shape end to end: a flat repository on 127.0.0.1
// (debian13/x86_64/ with InRelease, Packages and the .debs side by side),
// signed by a test key, beside a Debian-shaped one. Verified as Debian's
// are, mixed by priorities and pins, chosen from by cuda:, and recorded in
// the lock with the repository of every package.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { nvidiaSources } from "../../src/apt/nvidia-source.ts";
import type { AptPin } from "../../src/apt/pins.ts";
import type { AptSource } from "../../src/apt/sources.ts";
import type { LockedPackage } from "../../src/apt/types.ts";
import { isCudasealError } from "../../src/errors.ts";
import { type Lock, parseLock, serializeLock } from "../../src/resolve/lock.ts";
import { lockFromSources } from "../../src/resolve/lock-from-sources.ts";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { runCli } from "../helpers/cli.ts";
import { tempStore } from "../helpers/store.ts";

const TREE = "debian13/x86_64";

let debian: AptRepo;
let nvidia: AptRepo;
let otherKey: AptRepo;
let unsigned: AptRepo;

before(async () => {
  debian = await startAptRepo({
    packages: [
      { name: "app", version: "1.0", fields: { Depends: "libshared" } },
      { name: "libshared", version: "2.0" },
    ],
  });
  const nvidiaPackages = [
    {
      name: "cuda-cudart-12-8",
      version: "12.8.90-1",
      fields: { Depends: "cuda-toolkit-12-8-config-common", Provides: "cuda-cudart" },
    },
    { name: "cuda-toolkit-12-8-config-common", version: "12.8.90-1", arch: "all" },
    { name: "cuda-cudart-13-0", version: "13.0.96-1" },
    { name: "libnccl2", version: "2.21.5-1+cuda12.8" },
    { name: "libnccl2", version: "2.25.1-1+cuda12.8" },
    { name: "libnccl2", version: "2.26.5-1+cuda12.9" },
    { name: "libnccl2", version: "2.27.3-1+cuda13.0" },
    { name: "libshared", version: "1.0" },
  ];
  nvidia = await startAptRepo({
    flat: TREE,
    packages: nvidiaPackages,
    origin: "NVIDIA",
    label: "NVIDIA CUDA",
  });
  otherKey = await startAptRepo({ flat: TREE, packages: nvidiaPackages, signWith: "other" });
  unsigned = await startAptRepo({
    flat: TREE,
    packages: nvidiaPackages,
    inRelease: false,
    releaseGpg: false,
  });
});
after(() => Promise.all([debian?.close(), nvidia?.close(), otherKey?.close(), unsigned?.close()]));

function debianSource(options: { priority?: number; pins?: AptPin[] } = {}): AptSource {
  return {
    uri: debian.url,
    suites: ["trixie"],
    components: ["main"],
    keyring: [debian.armoredKeyPath],
    priority: options.priority ?? 500,
    pins: options.pins,
  };
}

function nvidiaSource(
  repo: AptRepo,
  options: { priority?: number; pins?: AptPin[]; keyring?: string[] } = {},
): AptSource[] {
  return nvidiaSources({
    url: repo.url,
    arches: ["amd64"],
    keyring: options.keyring ?? [repo.armoredKeyPath],
    priority: options.priority,
    pins: options.pins,
  });
}

async function lock(
  t: test.TestContext,
  sources: AptSource[],
  packages: string[],
  cuda: { cuda?: string; cudnn?: number; nccl?: boolean } = {},
) {
  const s = await tempStore();
  t.after(() => s.remove());
  const notes: string[] = [];
  const result = await lockFromSources({
    sources,
    archs: ["amd64"],
    packages,
    cuda,
    store: s.store,
    onNote: (n) => notes.push(n),
  });
  return { ...result, notes };
}

function locked(result: { lock: Lock }): Record<string, LockedPackage> {
  return Object.fromEntries(result.lock.arches.amd64.map((p) => [p.name, p]));
}

describe("a flat NVIDIA-shaped repository", () => {
  test("is verified like Debian's and read from its one folder; the lock records every package's repository", async (t) => {
    const result = await lock(t, [debianSource(), ...nvidiaSource(nvidia)], ["app"], {
      cuda: "12.8",
      nccl: true,
    });
    assert.deepEqual(
      result.suites.map((s) => [s.uri, s.suite, s.signer]),
      [
        [debian.url, "trixie", debian.key.fingerprint],
        [nvidia.url, `${TREE}/`, nvidia.key.fingerprint],
      ],
    );
    assert.deepEqual(result.lock.request.packages, ["app", "cuda-cudart-12-8", "libnccl2=2.25.1-1+cuda12.8"]);
    const pkgs = locked(result);
    assert.deepEqual(Object.keys(pkgs).sort(), [
      "app",
      "cuda-cudart-12-8",
      "cuda-toolkit-12-8-config-common",
      "libnccl2",
      "libshared",
    ]);
    assert.equal(pkgs.libnccl2.version, "2.25.1-1+cuda12.8");
    assert.equal(pkgs["cuda-cudart-12-8"].repository, `${nvidia.url} ${TREE}/`);
    assert.equal(pkgs["cuda-cudart-12-8"].url, `${nvidia.url}/${TREE}/cuda-cudart-12-8_12.8.90-1_amd64.deb`);
    assert.equal(pkgs.app.repository, `${debian.url} trixie main`);
    // At equal priority the higher version wins: Debian's libshared 2.0.
    assert.equal(pkgs.libshared.version, "2.0");
    assert.equal(pkgs.libshared.repository, `${debian.url} trixie main`);
    // The lock reads back as written, repositories included.
    const text = serializeLock(result.lock);
    assert.equal(serializeLock(parseLock(text)), text);
    assert.match(text, /"repository": "http:\/\/127\.0\.0\.1:\d+ debian13\/x86_64\/"/);
    // A lock written before the field existed still reads; a repository the
    // lock's sources do not list is refused.
    const older = text.replace(/^ *"repository": .*\n/gm, "");
    assert.equal(parseLock(older).arches.amd64[0].repository, undefined);
    assert.throws(
      () => parseLock(text.replace(`"${nvidia.url} ${TREE}/"`, `"${nvidia.url} debian12/x86_64/"`)),
      (e) => isCudasealError(e, "LOCK_INVALID") && /repository/.test(e.message),
    );
  });

  test("cuda: a version the repository does not publish is CUDA_VERSION_UNAVAILABLE, listing those it does", async (t) => {
    await assert.rejects(
      lock(t, [debianSource(), ...nvidiaSource(nvidia)], ["app"], { cuda: "12.6" }),
      (e) => isCudasealError(e, "CUDA_VERSION_UNAVAILABLE") && /12\.8, 13\.0/.test(e.message),
    );
  });

  test("cuda: 13.0 with nccl picks the 13.0 build, never a 12.x one", async (t) => {
    const result = await lock(t, nvidiaSource(nvidia), [], { cuda: "13.0", nccl: true });
    assert.equal(locked(result).libnccl2.version, "2.27.3-1+cuda13.0");
    assert.ok(locked(result)["cuda-cudart-13-0"]);
  });

  test("signed by a key not trusted for it is APT_SIGNATURE_UNKNOWN_KEY", async (t) => {
    await assert.rejects(lock(t, nvidiaSource(otherKey), ["libshared"]), (e) =>
      isCudasealError(e, "APT_SIGNATURE_UNKNOWN_KEY"),
    );
  });

  test("not signed at all (a Release, no InRelease or Release.gpg) is APT_SIGNATURE_INVALID", async (t) => {
    await assert.rejects(
      lock(t, nvidiaSource(unsigned), ["libshared"]),
      (e) => isCudasealError(e, "APT_SIGNATURE_INVALID") && /not signed/.test(e.message),
    );
  });

  test("NVIDIA's own keys, the default, do not accept a repository some other key signed", async (t) => {
    await assert.rejects(lock(t, nvidiaSources({ url: nvidia.url, arches: ["amd64"] }), ["libshared"]), (e) =>
      isCudasealError(e, "APT_SIGNATURE_UNKNOWN_KEY"),
    );
  });
});

describe("priorities and pins across a Debian and an NVIDIA repository", () => {
  const chosen = async (t: test.TestContext, sources: AptSource[]) => {
    const pkg = locked(await lock(t, sources, ["libshared"])).libshared as {
      version: string;
      repository?: string;
    };
    return `${pkg.version}@${pkg.repository?.startsWith(nvidia.url) ? "nvidia" : "debian"}`;
  };

  test("the higher source priority wins over the higher version", async (t) => {
    assert.equal(await chosen(t, [debianSource(), ...nvidiaSource(nvidia, { priority: 600 })]), "1.0@nvidia");
  });

  test("a pin gives matching packages its priority from that source", async (t) => {
    const pins = [{ package: "libsh*", priority: 100 }];
    assert.equal(
      await chosen(t, [debianSource(), ...nvidiaSource(nvidia, { priority: 600, pins })]),
      "2.0@debian",
    );
    const up = [{ package: "libshared", priority: 990 }];
    assert.equal(await chosen(t, [debianSource(), ...nvidiaSource(nvidia, { pins: up })]), "1.0@nvidia");
    // A pin that matches nothing changes nothing.
    const none = [{ package: "libcu*", priority: 990 }];
    assert.equal(await chosen(t, [debianSource(), ...nvidiaSource(nvidia, { pins: none })]), "2.0@debian");
  });

  test("a negative pin keeps a package from being installed from that source", async (t) => {
    const pins = [{ package: "libshared", priority: -1 }];
    assert.equal(await chosen(t, [debianSource({ pins }), ...nvidiaSource(nvidia)]), "1.0@nvidia");
  });
});

describe("cudaseal lock with sources: [nvidia-cuda]", () => {
  const spec = (extra: string) =>
    [
      "name: cuda-app",
      "archs: [amd64]",
      "packages: [app]",
      "sources:",
      `  - uri: ${debian.url}`,
      "    suites: [trixie]",
      "    components: [main]",
      `    keyring: [${debian.publicKeyPath}]`,
      "  - name: nvidia-cuda",
      `    url: ${nvidia.url}`,
      `    keyring: [${nvidia.publicKeyPath}]`,
      extra,
      "",
    ].join("\n");

  const run = async (t: test.TestContext, text: string, ...flags: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), "cudaseal-nvidia-cli-"));
    const cache = mkdtempSync(join(tmpdir(), "cudaseal-nvidia-cache-"));
    t.after(() => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    });
    writeFileSync(join(dir, "spec.yaml"), text);
    const out = join(dir, "lock.json");
    const result = await runCli([
      "lock",
      join(dir, "spec.yaml"),
      "-o",
      out,
      "--cache-dir",
      cache,
      "--json",
      ...flags,
    ]);
    return { ...result, out };
  };

  test("writes a lock naming NVIDIA's folder for its packages", async (t) => {
    const r = await run(t, spec('cuda: "12.8"\nnccl: true'));
    assert.equal(r.status, 0, r.stderr);
    const lockFile = parseLock(readFileSync(r.out, "utf8"));
    const cudart = lockFile.arches.amd64.find((p) => p.name === "cuda-cudart-12-8");
    assert.equal(cudart?.repository, `${nvidia.url} ${TREE}/`);
    assert.match(r.stderr, new RegExp(`amd64: 3 from ${nvidia.url.replace(/\./g, "\\.")} debian13/x86_64/`));
  });

  test("a CUDA version with no packages, or a tree NVIDIA does not publish, is refused and writes nothing", async (t) => {
    const missing = await run(t, spec('cuda: "11.0"'));
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /CUDA_VERSION_UNAVAILABLE/);
    assert.match(missing.stderr, /12\.8, 13\.0/);
    assert.equal(existsSync(missing.out), false);

    const tree = await run(t, spec("    distribution: debian99"));
    assert.notEqual(tree.status, 0);
    assert.match(tree.stderr, /NVIDIA_REPO_UNKNOWN/);
    assert.equal(existsSync(tree.out), false);
  });

  test("--nvidia-mirror names the repository when the entry has no url:", async (t) => {
    const text = spec("").replace(`    url: ${nvidia.url}\n`, "");
    const r = await run(t, `${text}cuda: "13.0"\n`, "--nvidia-mirror", nvidia.url);
    assert.equal(r.status, 0, r.stderr);
  });
});
