// The compact package index cache against a real signed repository on
// 127.0.0.1: a second read uses the compact entries without the Packages
// files, each kind of damage (truncated, a flipped byte in the tables or in a
// record, another index's entry, an older format) is noticed, said in a note
// and rebuilt, and resolving from the compact form gives the same lock as
// resolving the parsed Packages text.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { AvailablePackages } from "../../src/apt/available.ts";
import { FORMAT_VERSION, MAGIC } from "../../src/apt/index-cache-format.ts";
import { toPackageRecord } from "../../src/apt/package-record.ts";
import { parseRelease } from "../../src/apt/release.ts";
import { readSources } from "../../src/apt/repository.ts";
import type { AptSource } from "../../src/apt/sources.ts";
import { ContentStore } from "../../src/cache/content-store.ts";
import { parseDeb822 } from "../../src/deb/deb822.ts";
import { serializeLock, toLock } from "../../src/resolve/lock.ts";
import { lockFromSources } from "../../src/resolve/lock-from-sources.ts";
import { resolve } from "../../src/resolve/resolver.ts";
import { type AptRepo, type PackageSpec, startAptRepo } from "../helpers/apt-repo.ts";
import { tempStore } from "../helpers/store.ts";

const ARCHES = ["amd64", "arm64"];

// Alternatives, providers of differing Priority, two versions of a name, an arch-all package.
async function serve(t: test.TestContext): Promise<AptRepo> {
  const repo = await startAptRepo({
    arches: ARCHES,
    packages: ARCHES.flatMap((arch): PackageSpec[] => [
      { name: "app", version: "1.0", arch, fields: { Depends: "mta, libfoo (>= 1.5), app-data" } },
      { name: "exim4", version: "4.98", arch, fields: { Provides: "mta", Priority: "optional" } },
      { name: "postfix", version: "3.9", arch, fields: { Provides: "mta (= 3.9)", Priority: "standard" } },
      { name: "libfoo", version: "1.0", arch },
      { name: "libfoo", version: "2.0", arch, fields: { Provides: "libfoo-abi-2" } },
    ]).concat([{ name: "app-data", version: "1.0", arch: "all" }]),
  });
  t.after(() => repo.close());
  return repo;
}

async function store(t: test.TestContext): Promise<{ store: ContentStore; root: string }> {
  const s = await tempStore();
  t.after(() => s.remove());
  return s;
}

function sourceOf(repo: AptRepo): AptSource {
  return {
    uri: repo.url,
    suites: [repo.suite],
    components: repo.components,
    keyring: [repo.armoredKeyPath],
    priority: 500,
  };
}

function read(repo: AptRepo, root: string, notes: string[] = []) {
  return readSources([sourceOf(repo)], {
    arches: ARCHES,
    store: new ContentStore(root),
    onNote: (n) => notes.push(n),
  });
}

async function summary(index: Awaited<ReturnType<typeof read>>, arch: string): Promise<string[]> {
  return index.available
    .get(arch)!
    .records()
    .map((p) => `${p.name}=${p.version}:${p.arch}:${p.sha256}`);
}

/** The entry for main's index of `arch`. */
async function entryOf(repo: AptRepo, root: string, arch: string): Promise<string> {
  const release = parseRelease(await readFile(join(repo.dir, "dists/trixie/Release"), "utf8"));
  const { sha256 } = release.sha256.get(`main/binary-${arch}/Packages.xz`)!;
  return join(root, "apt-index", `v${FORMAT_VERSION}`, `${sha256}-${arch}`);
}

test("a second read uses the compact entries, not the Packages files", async (t) => {
  const repo = await serve(t);
  const s = await store(t);
  const first = await read(repo, s.root);
  assert.deepEqual(await readdir(join(s.root, "apt-index", `v${FORMAT_VERSION}`)).then((f) => f.length), 2);
  // Without the Packages files, and without asking for them again.
  await rm(join(s.root, "sha256"), { recursive: true });
  const again = await read(repo, s.root);
  assert.equal(repo.count("/dists/trixie/main/binary-amd64/Packages.xz"), 1);
  for (const arch of ARCHES) assert.deepEqual(await summary(again, arch), await summary(first, arch));
  const amd64 = again.available.get("amd64")!;
  assert.deepEqual(amd64.names(), ["app", "app-data", "exim4", "libfoo", "postfix"]);
  assert.deepEqual(
    amd64.providing("mta").map((p) => `${p.pkg.name} ${p.provides.op ?? ""}${p.provides.version ?? ""}`),
    ["exim4 ", "postfix =3.9"],
  );
  assert.equal(amd64.hasName("mta"), false);
  assert.deepEqual(amd64.named("app-data")[0].repo, {
    uri: repo.url,
    suite: "trixie",
    component: "main",
    priority: 500,
  });
});

test("a damaged or foreign entry is noticed, removed and rebuilt", async (t) => {
  const repo = await serve(t);
  const s = await store(t);
  const expected = await summary(await read(repo, s.root), "amd64");
  const amd64 = await entryOf(repo, s.root, "amd64");
  const arm64 = await entryOf(repo, s.root, "arm64");
  const good = await readFile(amd64);

  const damages: [string, () => Promise<void>, RegExp][] = [
    ["truncated", () => truncate(amd64, good.length - 7), /truncated/],
    ["a byte of the tables flipped", () => writeFile(amd64, flip(good, good.length - 3)), /checksum/],
    [
      "the entries of two architectures swapped",
      async () => {
        const other = await readFile(arm64);
        await rename(amd64, `${amd64}.x`);
        await writeFile(amd64, other);
        await rename(`${amd64}.x`, arm64);
      },
      /another index/,
    ],
    [
      "an older format version",
      async () => {
        const old = Buffer.from(good);
        old.writeUInt32LE(FORMAT_VERSION - 1, MAGIC.length);
        await writeFile(amd64, old);
      },
      /format version/,
    ],
    [
      "not a cache file at all",
      () => writeFile(amd64, "Package: app\n".repeat(1000)),
      /not a package index cache/,
    ],
  ];
  for (const [what, damage, why] of damages) {
    await damage();
    const notes: string[] = [];
    const index = await read(repo, s.root, notes);
    assert.deepEqual(await summary(index, "amd64"), expected, what);
    assert.ok(
      notes.some((n) => n.includes(amd64) && why.test(n)),
      `${what}: ${JSON.stringify(notes)}`,
    );
    // Rebuilt whole: it opens again with no note.
    assert.deepEqual(await readFile(amd64), good, what);
    const quiet: string[] = [];
    await read(repo, s.root, quiet);
    assert.deepEqual(quiet, [], what);
  }
});

test("a record that fails its checksum is found when read, and the entry rebuilt", async (t) => {
  const repo = await serve(t);
  const s = await store(t);
  const options = {
    sources: [sourceOf(repo)],
    archs: ["amd64"],
    packages: ["app"],
    store: s.store,
  };
  const expected = serializeLock((await lockFromSources(options)).lock);
  const amd64 = await entryOf(repo, s.root, "amd64");
  const good = await readFile(amd64);
  // The first record (app's, after the 4096-byte header): the tables still check out.
  await writeFile(amd64, flip(good, 4096 + 40));
  const notes: string[] = [];
  const again = await lockFromSources({ ...options, onNote: (n) => notes.push(n) });
  assert.equal(serializeLock(again.lock), expected);
  assert.ok(
    notes.some((n) => n.includes(amd64) && /checksum/.test(n)),
    JSON.stringify(notes),
  );
  assert.deepEqual(await readFile(amd64), good);
});

test("the compact form and the parsed Packages text resolve to the same lock", async (t) => {
  const repo = await serve(t);
  const s = await store(t);
  const request = { packages: ["app"], arches: ARCHES };
  const compact = await lockFromSources({
    sources: [sourceOf(repo)],
    archs: ARCHES,
    packages: request.packages,
    store: s.store,
  });
  const resolutions = ARCHES.map((arch) => {
    const text = readFileSync(join(repo.dir, `dists/trixie/main/binary-${arch}/Packages`), "utf8");
    const records = parseDeb822(text).map((p) =>
      toPackageRecord(p, { uri: repo.url, suite: "trixie", component: "main", priority: 500 }),
    );
    // From the list itself, and from the same list behind the lookup interface.
    const fromList = resolve(records, { packages: request.packages, arch });
    const fromLookup = resolve(AvailablePackages.fromRecords(records, arch), {
      packages: request.packages,
      arch,
    });
    assert.deepEqual(fromLookup, fromList);
    return fromList;
  });
  const parsed = toLock(resolutions, { packages: request.packages, arches: ARCHES });
  assert.equal(serializeLock(compact.lock), serializeLock(parsed));
  assert.deepEqual(
    compact.lock.arches.amd64.map((p) => `${p.name}=${p.version}`),
    ["app=1.0", "app-data=1.0", "libfoo=2.0", "postfix=3.9"],
  );
});

function flip(bytes: Buffer, at: number): Buffer {
  const out = Buffer.from(bytes);
  out[at] ^= 0x20;
  return out;
}

test("without the system's xz the compact form is built in this thread, the same", async (t) => {
  const repo = await serve(t);
  const s = await store(t);
  await read(repo, s.root);
  const amd64 = await entryOf(repo, s.root, "amd64");
  const built = await readFile(amd64);
  await rm(join(s.root, "apt-index"), { recursive: true });
  // lzma-native then, which a worker thread cannot load beside the main thread.
  process.env.CUDASEAL_XZ = "native";
  t.after(() => delete process.env.CUDASEAL_XZ);
  await read(repo, s.root);
  assert.deepEqual(await readFile(amd64), built);
});

test("a FIFO in place of an entry is passed over and rebuilt, not waited on", async (t) => {
  const { root } = await store(t);
  const fifo = join(root, "entry");
  execFileSync("mkfifo", [fifo]);
  // In a child: opening a FIFO blocks the whole thread, which no test timeout could end.
  const script = `
    import { openCachedIndex } from ${JSON.stringify(new URL("../../src/apt/index-cache.ts", import.meta.url).href)};
    const notes = [];
    const index = openCachedIndex(${JSON.stringify(fifo)}, "0".repeat(64), "amd64", (n) => notes.push(n));
    process.stdout.write(JSON.stringify({ index: index === undefined ? null : "opened", notes }));
  `;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(child.signal, null, "the open waited on the FIFO");
  assert.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout) as { index: null; notes: string[] };
  assert.equal(result.index, null);
  assert.match(result.notes.join("\n"), /not a regular file/);
});

test("a folder in place of an entry is removed and the entry rebuilt", async (t) => {
  const repo = await serve(t);
  const { store: s, root } = await store(t);
  const read = () => readSources([sourceOf(repo)], { arches: ARCHES, store: s });
  await read();
  const dir = join(root, "apt-index", `v${FORMAT_VERSION}`);
  const [entry] = await readdir(dir);
  await rm(join(dir, entry));
  await mkdir(join(dir, entry, "inside"), { recursive: true });
  const index = await read();
  assert.deepEqual(
    index.available
      .get(entry.endsWith("-amd64") ? "amd64" : "arm64")
      ?.named("app")
      .map((r) => r.version),
    ["1.0"],
  );
  assert.ok((await readFile(join(dir, entry))).subarray(0, MAGIC.length).equals(MAGIC));
});
