// readSources against a real signed repository served on 127.0.0.1: what a
// good suite gives back, how each hostile or broken mirror is refused, and
// that a refusal leaves nothing in the content store.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { parseRelease } from "../../src/apt/release.ts";
import { type AptIndex, readSources } from "../../src/apt/repository.ts";
import type { AptSource } from "../../src/apt/sources.ts";
import type { PackageRecord } from "../../src/apt/types.ts";
import { ContentStore } from "../../src/cache/content-store.ts";
import { type ErrorCode, isCudasealError } from "../../src/errors.ts";
import { getBytes } from "../../src/http/get.ts";
import { packageUrl } from "../../src/resolve/lock.ts";
import {
  type AptRepo,
  type AptRepoOptions,
  buildDeb,
  clearsign,
  type DebInput,
  type PackageSpec,
  rfc2822,
  startAptRepo,
} from "../helpers/apt-repo.ts";
import { storeFiles, tempStore, tmpFiles } from "../helpers/store.ts";

const ARCHES = ["amd64", "arm64"];
const INRELEASE = "/dists/trixie/InRelease";

// Two components, two architectures and an arch-all package.
const SPECS: (PackageSpec & { arch: string })[] = [
  { name: "hello", version: "1.0-1", arch: "amd64", fields: { Depends: "hello-data" } },
  { name: "hello", version: "1.0-1", arch: "arm64", fields: { Depends: "hello-data" } },
  { name: "hello-data", version: "1.0-1", arch: "all", fields: { "Multi-Arch": "foreign" } },
  { name: "tool", version: "2.0", arch: "amd64", component: "contrib" },
  { name: "tool", version: "2.0", arch: "arm64", component: "contrib" },
];

let debDir: string;
let debs: DebInput[];

before(async () => {
  debDir = await mkdtemp(join(tmpdir(), "cudaseal-debs-"));
  debs = await Promise.all(
    SPECS.map(async (spec) => ({ path: await buildDeb(spec, debDir), component: spec.component })),
  );
});
after(() => rm(debDir, { recursive: true, force: true }));

/** Serve the test packages with `options`; closed when the test ends. */
async function serve(t: test.TestContext, options: AptRepoOptions = {}): Promise<AptRepo> {
  const repo = await startAptRepo({ components: ["main", "contrib"], arches: ARCHES, debs, ...options });
  t.after(() => repo.close());
  return repo;
}

/** A fresh content store; removed when the test ends. */
async function store(t: test.TestContext): Promise<{ store: ContentStore; root: string }> {
  const s = await tempStore();
  t.after(() => s.remove());
  return s;
}

function sourceOf(repo: AptRepo, extra: Partial<AptSource> = {}): AptSource {
  return {
    uri: repo.url,
    suites: [repo.suite],
    components: repo.components,
    keyring: [repo.armoredKeyPath],
    priority: 500,
    ...extra,
  };
}

function read(
  repo: AptRepo,
  s: { store: ContentStore },
  extra: Partial<Parameters<typeof readSources>[1]> = {},
) {
  return readSources([sourceOf(repo)], { arches: ARCHES, store: s.store, ...extra });
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(isCudasealError(err, code), `expected ${code}, got ${(err as Error)?.stack ?? err}`);
    return true;
  });
}

/** The SHA256 of every index the repository's signed Release names. */
async function signedIndexHashes(repo: AptRepo): Promise<string[]> {
  const text = await readFile(join(repo.dir, "dists", repo.suite, "Release"), "utf8");
  return [...parseRelease(text).sha256.values()].map((entry) => entry.sha256);
}

/** A failure leaves no temporary file, and no entry for any of `hashes`. */
async function assertNothingLeft(s: { store: ContentStore; root: string }, hashes: string[]): Promise<void> {
  assert.deepEqual(await tmpFiles(s.root), []);
  for (const hash of hashes) assert.equal(existsSync(s.store.path(hash)), false, `store holds ${hash}`);
}

function summary(index: AptIndex, arch: string): string[] {
  return (index.available.get(arch)?.records() ?? [])
    .map((p) => `${p.name}:${p.arch}@${p.repo.component}`)
    .sort();
}

/** Requests made to index files (anything under dists/ other than the Release files). */
function indexRequests(repo: AptRepo): string[] {
  return [...repo.requests.keys()].filter(
    (path) => path.startsWith("/dists/") && /Packages|by-hash/.test(path),
  );
}

describe("readSources", () => {
  test("a good repository gives every record, per arch with arch all, and the signer", async (t) => {
    const repo = await serve(t);
    const s = await store(t);
    const index = await read(repo, s);

    assert.deepEqual(summary(index, "amd64"), [
      "hello-data:all@main",
      "hello:amd64@main",
      "tool:amd64@contrib",
    ]);
    assert.deepEqual(summary(index, "arm64"), [
      "hello-data:all@main",
      "hello:arm64@main",
      "tool:arm64@contrib",
    ]);
    assert.equal(index.suites.length, 1);
    assert.equal(index.suites[0].signer, repo.key.fingerprint);
    assert.equal(index.suites[0].suite, "trixie");
    assert.equal(index.suites[0].uri, repo.url);
    assert.deepEqual(index.suites[0].release.components, ["main", "contrib"]);

    // Each record is what the index says of the .deb actually served.
    const hello = index.available
      .get("arm64")!
      .records()
      .find((p) => p.name === "hello")!;
    const published = repo.debs.find((d) => d.name === "hello" && d.arch === "arm64")!;
    assert.equal(hello.sha256, published.sha256);
    assert.equal(hello.size, published.size);
    assert.equal(hello.filename, published.filename);
    assert.deepEqual(hello.repo, { uri: repo.url, suite: "trixie", component: "main", priority: 500 });
    assert.deepEqual(
      hello.depends.map((group) => group.map((r) => r.name)),
      [["hello-data"]],
    );

    // The .xz of each index was used, and nothing else; each index now lies in the store.
    assert.deepEqual(indexRequests(repo).sort(), [
      "/dists/trixie/contrib/binary-amd64/Packages.xz",
      "/dists/trixie/contrib/binary-arm64/Packages.xz",
      "/dists/trixie/main/binary-amd64/Packages.xz",
      "/dists/trixie/main/binary-arm64/Packages.xz",
    ]);
    const files = await storeFiles(s.root);
    assert.equal(files.filter((f) => f.startsWith("sha256/")).length, 4);
    // Beside them, the suite's Date, kept against a later rollback.
    assert.equal(files.filter((f) => f.startsWith("apt-release-dates/")).length, 1);
    assert.deepEqual(await tmpFiles(s.root), []);
  });

  test("reads only the architectures asked for", async (t) => {
    const repo = await serve(t);
    const s = await store(t);
    const index = await readSources([sourceOf(repo)], { arches: ["arm64"], store: s.store });
    assert.deepEqual([...index.available.keys()], ["arm64"]);
    assert.ok(indexRequests(repo).every((path) => !path.includes("amd64")));
  });

  test("a corrupt signature is APT_SIGNATURE_INVALID and fetches no index", async (t) => {
    const repo = await serve(t, { corruptSignature: true });
    const s = await store(t);
    await rejectsWith(read(repo, s), "APT_SIGNATURE_INVALID");
    assert.deepEqual(indexRequests(repo), []);
    assert.deepEqual(await storeFiles(s.root), []);
    await assertNothingLeft(s, await signedIndexHashes(repo));
  });

  test("InRelease changed after signing is APT_SIGNATURE_INVALID", async (t) => {
    const repo = await serve(t, { tamperInRelease: true });
    const s = await store(t);
    await rejectsWith(read(repo, s), "APT_SIGNATURE_INVALID");
    assert.deepEqual(await storeFiles(s.root), []);
  });

  test("a signature by a key not in the keyring is APT_SIGNATURE_UNKNOWN_KEY", async (t) => {
    const repo = await serve(t, { signWith: "other" });
    const s = await store(t);
    await rejectsWith(read(repo, s), "APT_SIGNATURE_UNKNOWN_KEY");
    assert.deepEqual(indexRequests(repo), []);
    assert.deepEqual(await storeFiles(s.root), []);
  });

  test("without InRelease, Release is checked against Release.gpg", async (t) => {
    const repo = await serve(t, { inRelease: false });
    const s = await store(t);
    const index = await read(repo, s);
    assert.equal(index.suites[0].signer, repo.key.fingerprint);
    assert.equal(repo.count("/dists/trixie/Release.gpg"), 1);
    assert.equal(summary(index, "amd64").length, 3);

    const bad = await serve(t, { inRelease: false, corruptSignature: true });
    const s2 = await store(t);
    await rejectsWith(read(bad, s2), "APT_SIGNATURE_INVALID");
    assert.deepEqual(await storeFiles(s2.root), []);
  });

  for (const acquireByHash of [false, true]) {
    test(`an index that does not match the signed Release is APT_INDEX_HASH_MISMATCH${acquireByHash ? " (by hash)" : ""}`, async (t) => {
      const repo = await serve(t, { tamperIndex: true, acquireByHash });
      const s = await store(t);
      await rejectsWith(read(repo, s), "APT_INDEX_HASH_MISMATCH");
      assert.ok(indexRequests(repo).length > 0);
      // Every index was tampered with: nothing may have been kept.
      assert.deepEqual(await storeFiles(s.root), []);
      const tampered = await readFile(join(repo.dir, "dists/trixie/main/binary-amd64/Packages.xz"));
      await assertNothingLeft(s, [
        ...(await signedIndexHashes(repo)),
        createHash("sha256").update(tampered).digest("hex"),
      ]);
    });
  }

  test("an expired Valid-Until is APT_RELEASE_EXPIRED; allowExpired lets it through", async (t) => {
    const repo = await serve(t, {
      date: new Date(Date.now() - 30 * 86_400_000),
      validUntil: new Date(Date.now() - 86_400_000),
    });
    const s = await store(t);
    await rejectsWith(read(repo, s), "APT_RELEASE_EXPIRED");
    assert.deepEqual(indexRequests(repo), []);
    await assertNothingLeft(s, await signedIndexHashes(repo));
    assert.deepEqual(await storeFiles(s.root), []);

    const index = await read(repo, s, { allowExpired: true });
    assert.equal(summary(index, "amd64").length, 3);

    // The per-source switch does the same.
    const perSource = await readSources([sourceOf(repo, { allowExpired: true })], {
      arches: ARCHES,
      store: s.store,
    });
    assert.equal(summary(perSource, "arm64").length, 3);

    // And a clock before Valid-Until needs neither.
    const then = await read(repo, s, { now: new Date(Date.now() - 2 * 86_400_000) });
    assert.equal(summary(then, "amd64").length, 3);
  });

  test("without .xz indexes the .gz ones are used", async (t) => {
    const repo = await serve(t, { formats: ["gz", "plain"] });
    const s = await store(t);
    const index = await read(repo, s);
    assert.equal(summary(index, "amd64").length, 3);
    assert.deepEqual(indexRequests(repo).sort(), [
      "/dists/trixie/contrib/binary-amd64/Packages.gz",
      "/dists/trixie/contrib/binary-arm64/Packages.gz",
      "/dists/trixie/main/binary-amd64/Packages.gz",
      "/dists/trixie/main/binary-arm64/Packages.gz",
    ]);
  });

  test("an .xz the Release names but the mirror lacks falls back to .gz, with a note", async (t) => {
    const repo = await serve(t);
    await unlink(join(repo.dir, "dists/trixie/main/binary-amd64/Packages.xz"));
    const s = await store(t);
    const notes: string[] = [];
    const index = await read(repo, s, { onNote: (note) => notes.push(note) });
    assert.deepEqual(summary(index, "amd64"), [
      "hello-data:all@main",
      "hello:amd64@main",
      "tool:amd64@contrib",
    ]);
    assert.equal(repo.count("/dists/trixie/main/binary-amd64/Packages.xz"), 1);
    assert.equal(repo.count("/dists/trixie/main/binary-amd64/Packages.gz"), 1);
    assert.equal(repo.count("/dists/trixie/main/binary-arm64/Packages.gz"), 0);
    assert.equal(notes.length, 1);
    assert.deepEqual(await tmpFiles(s.root), []);
  });

  test("only plain indexes: the uncompressed Packages is used", async (t) => {
    const repo = await serve(t, { formats: ["plain"] });
    const s = await store(t);
    const index = await read(repo, s);
    assert.equal(summary(index, "arm64").length, 3);
    assert.equal(repo.count("/dists/trixie/main/binary-arm64/Packages"), 1);
  });

  test("5xx answers are retried: twice on InRelease, twice on an index", async (t) => {
    const repo = await serve(t, {
      failures: { [INRELEASE]: 2, "/dists/trixie/main/binary-amd64/Packages.xz": 2 },
    });
    const s = await store(t);
    const index = await read(repo, s);
    assert.equal(summary(index, "amd64").length, 3);
    assert.equal(repo.count(INRELEASE), 3);
    assert.equal(repo.count("/dists/trixie/main/binary-amd64/Packages.xz"), 3);
    assert.deepEqual(await tmpFiles(s.root), []);
  });

  test("a mirror that keeps failing is APT_FETCH_FAILED", { timeout: 60_000 }, async (t) => {
    const repo = await serve(t, { failures: { [INRELEASE]: 100 } });
    const s = await store(t);
    await rejectsWith(read(repo, s), "APT_FETCH_FAILED");
    assert.equal(repo.count(INRELEASE), 5);
    assert.deepEqual(await storeFiles(s.root), []);
  });

  test("a missing suite is APT_FETCH_FAILED", async (t) => {
    const repo = await serve(t);
    const s = await store(t);
    await rejectsWith(
      readSources([sourceOf(repo, { suites: ["bogus"] })], { arches: ARCHES, store: s.store }),
      "APT_FETCH_FAILED",
    );
  });

  test("a component the Release does not list is skipped with a note", async (t) => {
    const repo = await serve(t);
    const s = await store(t);
    const notes: string[] = [];
    const index = await readSources([sourceOf(repo, { components: ["main", "non-free"] })], {
      arches: ARCHES,
      store: s.store,
      onNote: (note) => notes.push(note),
    });
    assert.deepEqual(summary(index, "amd64"), ["hello-data:all@main", "hello:amd64@main"]);
    assert.equal(notes.length, 2);
    assert.ok(notes.every((note) => note.includes("non-free")));
  });

  test("Acquire-By-Hash: indexes are fetched by their signed hash", async (t) => {
    const repo = await serve(t, { acquireByHash: true });
    const s = await store(t);
    const index = await read(repo, s);
    assert.equal(summary(index, "amd64").length, 3);
    const requested = indexRequests(repo);
    assert.equal(requested.length, 4);
    const text = await readFile(join(repo.dir, "dists/trixie/Release"), "utf8");
    const release = parseRelease(text);
    assert.equal(release.acquireByHash, true);
    for (const component of ["main", "contrib"]) {
      for (const arch of ARCHES) {
        const { sha256 } = release.sha256.get(`${component}/binary-${arch}/Packages.xz`)!;
        assert.equal(repo.count(`/dists/trixie/${component}/binary-${arch}/by-hash/SHA256/${sha256}`), 1);
        assert.equal(repo.count(`/dists/trixie/${component}/binary-${arch}/Packages.xz`), 0);
      }
    }
  });

  test("a second read fetches only InRelease; the indexes come from the store", async (t) => {
    const repo = await serve(t);
    const s = await store(t);
    const first = await read(repo, s);
    const before = new Map(repo.requests);
    const filesBefore = await storeFiles(s.root);

    // A new store object over the same directory, as a later process would have.
    const again = await readSources([sourceOf(repo)], { arches: ARCHES, store: new ContentStore(s.root) });
    const made = [...repo.requests]
      .filter(([path, n]) => n !== (before.get(path) ?? 0))
      .map(([path]) => path);
    assert.deepEqual(made, [INRELEASE]);
    assert.equal(repo.count(INRELEASE), 2);
    assert.deepEqual(summary(again, "amd64"), summary(first, "amd64"));
    assert.deepEqual(summary(again, "arm64"), summary(first, "arm64"));
    assert.deepEqual(await storeFiles(s.root), filesBefore);
  });

  test("a corrupt index in the store is fetched again", async (t) => {
    const repo = await serve(t);
    const s = await store(t);
    await read(repo, s);
    const text = await readFile(join(repo.dir, "dists/trixie/Release"), "utf8");
    const entry = parseRelease(text).sha256.get("main/binary-amd64/Packages.xz")!;
    await writeFile(s.store.path(entry.sha256), Buffer.alloc(entry.size, 0x41));
    // Without its compact form, which would otherwise spare reading the file at all.
    await rm(join(s.root, "apt-index"), { recursive: true });

    const again = await readSources([sourceOf(repo)], { arches: ARCHES, store: new ContentStore(s.root) });
    assert.equal(summary(again, "amd64").length, 3);
    assert.equal(repo.count("/dists/trixie/main/binary-amd64/Packages.xz"), 2);
    assert.equal(repo.count("/dists/trixie/main/binary-arm64/Packages.xz"), 1);
  });

  test("a flat repository (one directory, no dists/) is read and its .debs are found", async (t) => {
    const repo = await serve(t);
    // Lay out flat/ beside the archive: main's .debs, one Packages mixing the
    // architectures with Filenames relative to it, and a signed Release.
    const flat = join(repo.dir, "flat");
    await mkdir(flat);
    const paragraphs: string[] = [];
    for (const arch of ARCHES) {
      const text = await readFile(join(repo.dir, `dists/trixie/main/binary-${arch}/Packages`), "utf8");
      for (const paragraph of text.split(/\n\n+/).filter((p) => p.trim() !== "")) {
        const filename = /^Filename: (.*)$/m.exec(paragraph)![1];
        if (paragraphs.some((p) => p.includes(`Filename: ./${basename(filename)}\n`))) continue;
        await copyFile(join(repo.dir, filename), join(flat, basename(filename)));
        paragraphs.push(
          `${paragraph.trim().replace(/^Filename: .*$/m, `Filename: ./${basename(filename)}`)}\n`,
        );
      }
    }
    const packages = Buffer.from(paragraphs.join("\n"));
    const gz = gzipSync(packages);
    const line = (bytes: Buffer, name: string) =>
      ` ${createHash("sha256").update(bytes).digest("hex")} ${bytes.length} ${name}`;
    const release = [
      "Origin: flat-test",
      `Date: ${rfc2822(new Date())}`,
      "SHA256:",
      line(packages, "Packages"),
      line(gz, "Packages.gz"),
      "",
    ].join("\n");
    await writeFile(join(flat, "Packages"), packages);
    await writeFile(join(flat, "Packages.gz"), gz);
    await writeFile(join(flat, "InRelease"), await clearsign(release, repo.key));

    const s = await store(t);
    const index = await readSources([sourceOf(repo, { suites: ["flat/"], components: [] })], {
      arches: ARCHES,
      store: s.store,
    });
    assert.equal(index.suites[0].signer, repo.key.fingerprint);
    // One index for both architectures: each gets its own and the arch-all packages.
    assert.deepEqual(summary(index, "amd64"), ["hello-data:all@flat/", "hello:amd64@flat/"]);
    assert.deepEqual(summary(index, "arm64"), ["hello-data:all@flat/", "hello:arm64@flat/"]);
    assert.ok(repo.count("/flat/Packages.gz") >= 1);
    assert.equal(repo.count("/flat/Packages"), 0);

    // The .deb URL of a flat record is relative to the flat directory.
    const hello: PackageRecord = index.available
      .get("arm64")!
      .records()
      .find((p) => p.name === "hello")!;
    const url = packageUrl(hello);
    assert.equal(url, `${repo.url}/flat/${basename(hello.filename)}`);
    const bytes = await getBytes(url);
    assert.equal(createHash("sha256").update(bytes).digest("hex"), hello.sha256);
  });
});
