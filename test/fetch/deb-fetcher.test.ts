// fetchDebs against a real signed repository on 127.0.0.1: packages are
// locked from the served indexes, then downloaded into a content store, and
// nothing that does not match the lock is ever kept.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, truncate, writeFile } from "node:fs/promises";
import { describe, test } from "node:test";
import type { LockedPackage } from "../../src/apt/types.ts";
import { ContentStore, hashFile } from "../../src/cache/content-store.ts";
import { isCudasealError } from "../../src/errors.ts";
import { fetchDebs } from "../../src/fetch/deb-fetcher.ts";
import { lockFromSources } from "../../src/resolve/lock-from-sources.ts";
import { type AptRepo, type AptRepoOptions, type PackageSpec, startAptRepo } from "../helpers/apt-repo.ts";
import { storeFiles, tempStore, tmpFiles } from "../helpers/store.ts";

const ARCHES = ["amd64", "arm64"];

const PACKAGES: PackageSpec[] = [
  ...ARCHES.map((arch) => ({
    name: "tool",
    version: "1.0",
    arch,
    fields: { Depends: "libtool1, tool-data" },
    files: { "usr/bin/tool": `#!/bin/sh\necho ${arch}\n` },
  })),
  ...ARCHES.map((arch) => ({
    name: "libtool1",
    version: "1.0",
    arch,
    fields: { "Multi-Arch": "same" },
    files: { [`usr/lib/${arch}-linux-gnu/libtool.so.1`]: "x".repeat(20_000) },
  })),
  { name: "tool-data", version: "1.0", arch: "all", files: { "usr/share/tool/data": "data\n" } },
];

interface Setup {
  repo: AptRepo;
  store: ContentStore;
  root: string;
  /** Locked packages of both architectures (tool-data, arch all, in both). */
  locked: LockedPackage[];
}

/** Serve the packages, lock them from the served indexes, and give a fresh store. */
async function setup(t: test.TestContext, options: AptRepoOptions = {}): Promise<Setup> {
  const repo = await startAptRepo({ arches: ARCHES, packages: PACKAGES, ...options });
  t.after(() => repo.close());
  const s = await tempStore();
  t.after(() => s.remove());
  // Indexes go in a store of their own, so the .deb store holds only .debs.
  const indexes = await tempStore();
  t.after(() => indexes.remove());
  const { lock } = await lockFromSources({
    sources: [
      {
        uri: repo.url,
        suites: ["trixie"],
        components: ["main"],
        keyring: [repo.armoredKeyPath],
        priority: 500,
      },
    ],
    archs: ARCHES,
    packages: ["tool"],
    store: indexes.store,
  });
  const locked = ARCHES.flatMap((arch) => lock.arches[arch]);
  return { repo, store: s.store, root: s.root, locked };
}

function debPath(repo: AptRepo, pkg: LockedPackage): string {
  return `/${repo.debs.find((d) => d.sha256 === pkg.sha256)!.filename}`;
}

/** Every .deb request made to the repository, in all. */
function debRequests(repo: AptRepo): number {
  return [...repo.requests].filter(([path]) => path.endsWith(".deb")).reduce((sum, [, n]) => sum + n, 0);
}

/** Every entry in the store is whole: named by the hash of its bytes. No temporary files. */
async function assertConsistent(root: string): Promise<void> {
  assert.deepEqual(await tmpFiles(root), []);
  for (const path of await storeFiles(root)) {
    const name = path.split("/").pop()!;
    assert.equal(await hashFile(`${root}/${path}`), name, `${path} holds other bytes`);
  }
}

describe("fetchDebs", () => {
  test("downloads every locked .deb into the store, verified, each once", async (t) => {
    const { repo, store, root, locked } = await setup(t);
    assert.equal(locked.length, 6);
    const fetched = await fetchDebs(locked, { store });

    assert.equal(fetched.length, locked.length);
    for (const [i, item] of fetched.entries()) {
      assert.equal(item.pkg, locked[i]);
      assert.equal(item.downloaded, true);
      assert.equal(item.path, store.path(item.pkg.sha256));
      assert.equal(await hashFile(item.path), item.pkg.sha256);
      const served = repo.debs.find((d) => d.sha256 === item.pkg.sha256)!;
      assert.deepEqual(await readFile(item.path), await readFile(served.path));
    }
    // tool-data (arch all) is locked for both architectures but fetched once.
    assert.equal(debRequests(repo), 5);
    for (const pkg of locked) assert.equal(repo.count(debPath(repo, pkg)), 1);
    assert.equal((await storeFiles(root)).length, 5);
    await assertConsistent(root);
  });

  test("a second call downloads nothing", async (t) => {
    const { repo, store, root, locked } = await setup(t);
    await fetchDebs(locked, { store });
    const before = debRequests(repo);

    const again = await fetchDebs(locked, { store });
    assert.ok(again.every((item) => !item.downloaded));
    // A later process, with a store object of its own, re-hashes and still downloads nothing.
    const later = await fetchDebs(locked, { store: new ContentStore(root) });
    assert.ok(later.every((item) => !item.downloaded && item.path === store.path(item.pkg.sha256)));
    assert.equal(debRequests(repo), before);
  });

  test("a .deb altered after indexing is DEB_HASH_MISMATCH and is not kept", async (t) => {
    const { repo, store, root, locked } = await setup(t, { tamperDebs: ["libtool1"] });
    // tamperDebs alters the first .deb of that name (amd64's); arm64's stays good.
    const tampered = repo.debs.find((d) => d.name === "libtool1")!;
    const bad = locked.find((p) => p.sha256 === tampered.sha256)!;
    await assert.rejects(fetchDebs(locked, { store }), (err) => {
      assert.ok(isCudasealError(err, "DEB_HASH_MISMATCH"), `got ${(err as Error)?.stack ?? err}`);
      assert.equal(err.details?.expected, bad.sha256);
      return true;
    });
    assert.equal(existsSync(store.path(bad.sha256)), false);
    // Retried once in case the mirror was mid-update, then refused.
    assert.equal(repo.count(debPath(repo, bad)), 2);
    await assertConsistent(root);
  });

  test("a .deb of another size is DEB_SIZE_MISMATCH and is not kept", async (t) => {
    const { repo, store, root, locked } = await setup(t);
    const target = locked.find((p) => p.name === "tool-data")!;
    await writeFile(repo.debs.find((d) => d.sha256 === target.sha256)!.path, "short\n");
    await assert.rejects(fetchDebs([target], { store }), (err) => {
      assert.ok(isCudasealError(err, "DEB_SIZE_MISMATCH"), `got ${(err as Error)?.stack ?? err}`);
      return true;
    });
    assert.deepEqual(await storeFiles(root), []);
  });

  test("a store entry corrupted on disk is detected and fetched again", async (t) => {
    const { repo, root, locked } = await setup(t);
    await fetchDebs(locked, { store: new ContentStore(root) });
    const victim = locked.find((p) => p.name === "libtool1" && p.arch === "arm64")!;
    const shortened = locked.find((p) => p.name === "tool" && p.arch === "amd64")!;
    const store = new ContentStore(root);
    // Same size, other bytes; and a truncated one.
    const bytes = await readFile(store.path(victim.sha256));
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(store.path(victim.sha256), bytes);
    await truncate(store.path(shortened.sha256), 10);

    const fetched = await fetchDebs(locked, { store });
    const downloaded = fetched.filter((item) => item.downloaded).map((item) => item.pkg.sha256);
    assert.deepEqual(new Set(downloaded), new Set([victim.sha256, shortened.sha256]));
    assert.equal(repo.count(debPath(repo, victim)), 2);
    assert.equal(repo.count(debPath(repo, shortened)), 2);
    for (const item of fetched) assert.equal(await hashFile(item.path), item.pkg.sha256);
    await assertConsistent(root);
  });

  test("two concurrent calls sharing one store both succeed, and the store stays whole", async (t) => {
    const { store, root, locked } = await setup(t);
    const other = new ContentStore(root);
    const [a, b, c] = await Promise.all([
      fetchDebs(locked, { store }),
      fetchDebs([...locked].reverse(), { store }),
      fetchDebs(locked, { store: other, concurrency: 1 }),
    ]);
    for (const result of [a, b, c]) {
      assert.equal(result.length, locked.length);
      for (const item of result) {
        assert.equal(item.path, store.path(item.pkg.sha256));
        assert.equal(await hashFile(item.path), item.pkg.sha256);
      }
    }
    assert.equal((await storeFiles(root)).length, 5);
    await assertConsistent(root);
  });

  test("503 twice, then success: the .deb is fetched", async (t) => {
    const { repo, store, root, locked } = await setup(t);
    const target = locked.find((p) => p.name === "tool" && p.arch === "arm64")!;
    repo.failNext(debPath(repo, target), 2, 503);
    const fetched = await fetchDebs([target], { store });
    assert.equal(fetched[0].downloaded, true);
    assert.equal(await hashFile(fetched[0].path), target.sha256);
    assert.equal(repo.count(debPath(repo, target)), 3);
    await assertConsistent(root);
  });

  test("a .deb the mirror no longer has is FETCH_FAILED without retries", async (t) => {
    const { repo, store, root, locked } = await setup(t);
    const target = locked.find((p) => p.name === "tool-data")!;
    const missing = { ...target, url: `${repo.url}/pool/main/t/tool-data/gone.deb` };
    await assert.rejects(fetchDebs([missing], { store }), (err) => isCudasealError(err, "FETCH_FAILED"));
    assert.equal(repo.count("/pool/main/t/tool-data/gone.deb"), 1);
    assert.deepEqual(await storeFiles(root), []);
  });
});
