// The resolve stage end to end: a real signed repository on 127.0.0.1, read
// and verified, resolved per architecture, and written down as a lock.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { AptSource } from "../../src/apt/sources.ts";
import type { LockedPackage } from "../../src/apt/types.ts";
import { isCudasealError } from "../../src/errors.ts";
import { parseLock, serializeLock } from "../../src/resolve/lock.ts";
import { lockFromSources } from "../../src/resolve/lock-from-sources.ts";
import { type AptRepo, type PackageSpec, startAptRepo } from "../helpers/apt-repo.ts";
import { tempStore } from "../helpers/store.ts";

const ARCHES = ["amd64", "arm64"];

/** The same package built for each architecture. */
function perArch(spec: PackageSpec): PackageSpec[] {
  return ARCHES.map((arch) => ({ ...spec, arch }));
}

const PACKAGES: PackageSpec[] = [
  // A chain with alternatives, a versioned dependency and a virtual package.
  ...perArch({
    name: "app",
    version: "1.0",
    fields: { Depends: "libfoo1 (>= 1.2), libbar-missing | libbar2, www-browser", Recommends: "app-extras" },
  }),
  ...perArch({ name: "libfoo1", version: "1.0", fields: { Depends: "libc6" } }),
  ...perArch({ name: "libfoo1", version: "1.3", fields: { Depends: "libc6 (>= 2.36)" } }),
  ...perArch({ name: "libbar2", version: "2.0", fields: { "Pre-Depends": "libc6" } }),
  ...perArch({ name: "libc6", version: "2.41-12", fields: { "Multi-Arch": "same" } }),
  { name: "textbrowser", version: "3.0", arch: "all", fields: { Provides: "www-browser" } },
  { name: "app-extras", version: "1.0", arch: "all" },
  // A chain ending in a name nothing provides.
  { name: "broken", version: "1.0", arch: "all", fields: { Depends: "middle" } },
  { name: "middle", version: "1.0", arch: "all", fields: { Depends: "missing-lib (>= 1)" } },
  // A cycle.
  { name: "cyc-a", version: "1.0", arch: "all", fields: { Depends: "cyc-b" } },
  { name: "cyc-b", version: "1.0", arch: "all", fields: { Depends: "cyc-a (= 1.0)" } },
  // A CUDA runtime that names the driver, and the driver, served too.
  ...perArch({
    name: "libcudart12",
    version: "12.4.127~12.4.1-2",
    fields: { Depends: "libcuda1 (>= 550) | libcuda.so.1 (>= 550) | libcuda-12.4-1, libc6 (>= 2.34)" },
  }),
  ...perArch({
    name: "libcuda1",
    version: "550.163.01-2",
    fields: {
      Provides: "libcuda.so.1 (= 550.163.01), libcuda-12.4-1",
      Depends: "libnvidia-ptxjitcompiler1 (= 550.163.01-2), libc6",
    },
  }),
  ...perArch({ name: "libnvidia-ptxjitcompiler1", version: "550.163.01-2", fields: { Depends: "libc6" } }),
];

let repo: AptRepo;

before(async () => {
  repo = await startAptRepo({ arches: ARCHES, packages: PACKAGES });
});
after(() => repo?.close());

function sources(): AptSource[] {
  return [
    {
      uri: repo.url,
      suites: ["trixie"],
      components: ["main"],
      keyring: [repo.armoredKeyPath],
      priority: 500,
    },
  ];
}

async function lock(t: test.TestContext, packages: string[], extra: { recommends?: boolean } = {}) {
  const s = await tempStore();
  t.after(() => s.remove());
  return lockFromSources({ sources: sources(), archs: ARCHES, packages, store: s.store, ...extra });
}

function byName(list: LockedPackage[]): Map<string, LockedPackage> {
  return new Map(list.map((p) => [p.name, p]));
}

describe("lockFromSources", () => {
  test("a chain with alternatives, a versioned and a virtual dependency resolves", async (t) => {
    const result = await lock(t, ["app"]);
    assert.equal(result.suites.length, 1);
    assert.equal(result.suites[0].signer, repo.key.fingerprint);
    assert.deepEqual(Object.keys(result.lock.arches).sort(), ARCHES);
    for (const arch of ARCHES) {
      const locked = byName(result.lock.arches[arch]);
      assert.deepEqual([...locked.keys()], ["app", "libbar2", "libc6", "libfoo1", "textbrowser"]);
      assert.equal(locked.get("libfoo1")!.version, "1.3");
      assert.equal(locked.get("app")!.arch, arch);
      assert.equal(locked.get("textbrowser")!.arch, "all");
      assert.deepEqual(locked.get("app")!.dependsOn, ["libbar2", "libfoo1", "textbrowser"]);
      assert.deepEqual(locked.get("libbar2")!.dependsOn, ["libc6"]);

      // Each entry names the very .deb the repository serves.
      for (const pkg of locked.values()) {
        const deb = repo.debs.find(
          (d) => d.name === pkg.name && d.version === pkg.version && d.arch === pkg.arch,
        );
        assert.ok(deb, `${pkg.name} ${pkg.version} ${pkg.arch} is served`);
        assert.equal(pkg.sha256, deb.sha256);
        assert.equal(pkg.size, deb.size);
        assert.equal(pkg.url, `${repo.url}/${deb.filename}`);
      }
    }
    assert.deepEqual(result.lock.sources, [{ uri: repo.url, suite: "trixie", component: "main" }]);
    assert.deepEqual(result.lock.request, { packages: ["app"], arches: ARCHES });
    // The lock reads back as written.
    const text = serializeLock(result.lock);
    assert.equal(serializeLock(parseLock(text)), text);
  });

  test("Recommends are followed only when asked", async (t) => {
    const result = await lock(t, ["app"], { recommends: true });
    assert.ok(result.lock.arches.amd64.some((p) => p.name === "app-extras"));
    assert.equal(result.lock.request.withRecommends, true);
  });

  test("the same request against the same repository gives the same lock", async (t) => {
    // Each run reads the repository into a store of its own.
    const a = serializeLock((await lock(t, ["app", "libcudart12"])).lock);
    const b = serializeLock((await lock(t, ["app", "libcudart12"])).lock);
    assert.equal(a, b);
  });

  test("an unsatisfiable dependency is RESOLVE_NOT_FOUND with the chain that led to it", async (t) => {
    await assert.rejects(lock(t, ["broken"]), (err) => {
      assert.ok(isCudasealError(err, "RESOLVE_NOT_FOUND"), `got ${(err as Error)?.stack ?? err}`);
      assert.deepEqual(err.details?.chain, ["broken", "middle", "missing-lib (>= 1)"]);
      return true;
    });
  });

  test("a requested name that does not exist is RESOLVE_NOT_FOUND", async (t) => {
    await assert.rejects(lock(t, ["no-such-package"]), (err) => {
      assert.ok(isCudasealError(err, "RESOLVE_NOT_FOUND"), `got ${(err as Error)?.stack ?? err}`);
      assert.deepEqual(err.details?.chain, ["no-such-package"]);
      return true;
    });
  });

  test("a dependency cycle resolves to both packages", async (t) => {
    const result = await lock(t, ["cyc-a"]);
    for (const arch of ARCHES) {
      const locked = byName(result.lock.arches[arch]);
      assert.deepEqual([...locked.keys()], ["cyc-a", "cyc-b"]);
      assert.deepEqual(locked.get("cyc-a")!.dependsOn, ["cyc-b"]);
      assert.deepEqual(locked.get("cyc-b")!.dependsOn, ["cyc-a"]);
    }
  });

  test("the driver is left to the host even though the repository serves libcuda1", async (t) => {
    const result = await lock(t, ["libcudart12"]);
    for (const [i, arch] of ARCHES.entries()) {
      const names = result.lock.arches[arch].map((p) => p.name);
      assert.deepEqual(names, ["libc6", "libcudart12"]);
      assert.ok(!names.some((name) => name.startsWith("libcuda1") || name.startsWith("libnvidia-")));
      assert.equal(result.resolutions[i].arch, arch);
      assert.deepEqual(result.resolutions[i].hostProvided, ["libcuda1"]);
      assert.deepEqual(byName(result.lock.arches[arch]).get("libcudart12")!.dependsOn, ["libc6"]);
    }
  });

  test("asking for the driver itself is RESOLVE_PROVIDED_BY_HOST", async (t) => {
    await assert.rejects(lock(t, ["libcuda1"]), (err) => isCudasealError(err, "RESOLVE_PROVIDED_BY_HOST"));
  });
});
