// Rollback and freeze, against real repositories on 127.0.0.1 signed by a
// real gpg key: a mirror replaying an older InRelease (re-signed by the same
// key, so its signature is good), another mirror of the same archive that is
// behind, a Release dated in the future, and a Packages index that does not
// end where its signed size says.

import assert from "node:assert/strict";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize, sep } from "node:path";
import { describe, test } from "node:test";
import { parseRelease } from "../../src/apt/release.ts";
import { releaseRecordName } from "../../src/apt/release-rollback.ts";
import { readSources } from "../../src/apt/repository.ts";
import type { AptSource } from "../../src/apt/sources.ts";
import { type ErrorCode, isCudasealError } from "../../src/errors.ts";
import { type AptRepo, type AptRepoOptions, clearsign, rfc2822, startAptRepo } from "../helpers/apt-repo.ts";
import { storeFiles, tempStore, tmpFiles } from "../helpers/store.ts";

const HOUR = 3600_000;
const DAY = 24 * HOUR;

async function serve(t: test.TestContext, options: AptRepoOptions = {}): Promise<AptRepo> {
  const repo = await startAptRepo({ packages: [{ name: "hello", version: "1.0" }], ...options });
  t.after(() => repo.close());
  return repo;
}

/** One cache folder shared by every read of a test, as successive builds on one machine share it. */
async function cache(t: test.TestContext) {
  const s = await tempStore();
  t.after(() => s.remove());
  return s;
}

function sourceOf(uri: string, repo: AptRepo, extra: Partial<AptSource> = {}): AptSource {
  return {
    uri,
    suites: [repo.suite],
    components: ["main"],
    keyring: [repo.armoredKeyPath],
    priority: 500,
    ...extra,
  };
}

function read(
  repo: AptRepo,
  s: Awaited<ReturnType<typeof cache>>,
  extra: Partial<Parameters<typeof readSources>[1]> & { source?: Partial<AptSource>; uri?: string } = {},
) {
  const { source, uri, ...options } = extra;
  return readSources([sourceOf(uri ?? repo.url, repo, source)], {
    arches: ["amd64"],
    store: s.store,
    ...options,
  });
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(isCudasealError(err, code), `expected ${code}, got ${(err as Error)?.stack ?? err}`);
    return true;
  });
}

/** Publish the suite again with another Date, signed by the repository's own key: a replay or a re-dating. */
async function redate(repo: AptRepo, date: Date): Promise<void> {
  const releasePath = join(repo.dir, "dists", repo.suite, "Release");
  const text = (await readFile(releasePath, "utf8")).replace(/^Date: .*$/m, `Date: ${rfc2822(date)}`);
  await writeFile(releasePath, text);
  await writeFile(join(repo.dir, "dists", repo.suite, "InRelease"), await clearsign(text, repo.key));
}

/** The dates kept in the cache, as file paths. */
async function kept(s: { root: string }): Promise<string[]> {
  return (await storeFiles(s.root)).filter((f) => f.startsWith("apt-release-dates/"));
}

describe("rollback", () => {
  test("a mirror replaying an older signed InRelease is APT_RELEASE_ROLLBACK; allowRollback lets it through", async (t) => {
    const now = Date.now();
    const repo = await serve(t, { date: new Date(now - HOUR) });
    const s = await cache(t);
    await read(repo, s);
    const floor = await kept(s);
    assert.equal(floor.length, 1);

    await redate(repo, new Date(now - 10 * DAY));
    const indexRequests = repo.count("/dists/trixie/main/binary-amd64/Packages.xz");
    await rejectsWith(read(repo, s), "APT_RELEASE_ROLLBACK");
    // Refused before any index it names was asked for.
    assert.equal(repo.count("/dists/trixie/main/binary-amd64/Packages.xz"), indexRequests);

    // A deliberate move to an older snapshot, for all sources or for one.
    const index = await read(repo, s, { allowRollback: true });
    assert.deepEqual(
      index.available
        .get("amd64")!
        .records()
        .map((p) => p.name),
      ["hello"],
    );
    await read(repo, s, { source: { allowRollback: true } });
    // The newest Date stays the floor: without the leave, the old one is still refused.
    assert.deepEqual(await kept(s), floor);
    await rejectsWith(read(repo, s), "APT_RELEASE_ROLLBACK");

    // The archive moving on is accepted, and raises the floor.
    await redate(repo, new Date(now - 60_000));
    await read(repo, s);
    assert.notDeepEqual(await kept(s), floor);
    await redate(repo, new Date(now - HOUR));
    await rejectsWith(read(repo, s), "APT_RELEASE_ROLLBACK");
  });

  test("switching to another mirror of the same archive that is behind is APT_RELEASE_ROLLBACK", async (t) => {
    const now = Date.now();
    const [current, behind, unrelated] = await Promise.all([
      serve(t, { date: new Date(now - HOUR) }),
      serve(t, { date: new Date(now - 3 * DAY) }),
      serve(t, { date: new Date(now - 3 * DAY), origin: "someone-else", label: "someone-else" }),
    ]);
    const s = await cache(t);
    await read(current, s);
    await rejectsWith(read(behind, s), "APT_RELEASE_ROLLBACK");
    // The same address, another Origin and Label: another archive, with a record of its own.
    await read(unrelated, s);
    assert.equal((await kept(s)).length, 2);
    // Once the mirror catches up, it is read.
    await redate(behind, new Date(now - 60_000));
    await read(behind, s);
  });

  test("a Release without a Date, once a Date was seen, is APT_RELEASE_ROLLBACK", async (t) => {
    const repo = await serve(t, { date: new Date(Date.now() - HOUR) });
    const s = await cache(t);
    await read(repo, s);
    const releasePath = join(repo.dir, "dists", repo.suite, "Release");
    const text = (await readFile(releasePath, "utf8")).replace(/^Date: .*\n/m, "");
    await writeFile(join(repo.dir, "dists", repo.suite, "InRelease"), await clearsign(text, repo.key));
    await rejectsWith(read(repo, s), "APT_RELEASE_ROLLBACK");
  });

  test("mirrors of one archive share a record; pockets, other archives, flat and unnamed repositories do not", () => {
    const release = (fields: string) =>
      parseRelease(`${fields}SHA256:\n ${"0".repeat(64)} 1 main/binary-amd64/Packages\n`);
    const debian = release("Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: trixie\n");
    const name = (r: ReturnType<typeof release>, uri: string, suite: string) =>
      releaseRecordName(r, { uri, suite });
    assert.equal(
      name(debian, "http://a.example/debian", "trixie"),
      name(debian, "http://b.example/d", "trixie"),
    );
    // Suite renamed when trixie was released: still trixie's record.
    const asTesting = release("Origin: Debian\nLabel: Debian\nSuite: testing\nCodename: trixie\n");
    assert.equal(
      name(asTesting, "http://a.example/debian", "trixie"),
      name(debian, "http://b.example/d", "trixie"),
    );
    assert.notEqual(
      name(debian, "http://a.example/debian", "trixie"),
      name(debian, "http://a.example/debian", "stable"),
    );
    // Ubuntu's pockets share a Codename but not a record.
    const noble = release("Origin: Ubuntu\nLabel: Ubuntu\nSuite: noble-updates\nCodename: noble\n");
    assert.notEqual(
      name(noble, "http://u.example", "noble"),
      name(noble, "http://u.example", "noble-updates"),
    );
    const other = release("Origin: Vendor\nLabel: Debian\nSuite: stable\nCodename: trixie\n");
    assert.notEqual(
      name(other, "http://a.example/debian", "trixie"),
      name(debian, "http://a.example/debian", "trixie"),
    );
    // A flat repository and a Release that does not name its archive are kept by URL.
    const flat = release("Origin: NVIDIA\nLabel: NVIDIA CUDA\n");
    assert.notEqual(
      name(flat, "http://n.example/debian12/x86_64", "./"),
      name(flat, "http://n.example/ubuntu2404/x86_64", "./"),
    );
    const unnamed = release("Suite: stable\n");
    assert.notEqual(name(unnamed, "http://a.example", "stable"), name(unnamed, "http://b.example", "stable"));
  });
});

describe("freeze", () => {
  test("a Release dated 10 days ahead is APT_RELEASE_FROM_FUTURE, and no floor is kept from it", async (t) => {
    const future = await serve(t, { date: new Date(Date.now() + 10 * DAY) });
    const s = await cache(t);
    await rejectsWith(read(future, s), "APT_RELEASE_FROM_FUTURE");
    // Five minutes ahead is clock skew, not the future.
    await redate(future, new Date(Date.now() + 4 * 60_000));
    await read(future, s);
    assert.equal((await kept(s)).length, 1);

    // With the date checks waived it is read, but its Date does not become the floor
    // that would refuse every real Release for ten days.
    const s2 = await cache(t);
    await redate(future, new Date(Date.now() + 10 * DAY));
    await read(future, s2, { allowExpired: true });
    assert.deepEqual(await kept(s2), []);
    await redate(future, new Date(Date.now() - HOUR));
    await read(future, s2);
  });
});

/**
 * The repository's files, except `path`, which is sent as its signed bytes
 * followed by `extra` more, in chunks without a declared length and only as
 * fast as the client reads. `sent()` counts what the client was given.
 */
async function serveLonger(t: test.TestContext, repo: AptRepo, path: string, extra: number) {
  const root = normalize(repo.dir) + sep;
  let sent = 0;
  const requests = new Map<string, number>();
  const server: Server = createServer(async (req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    requests.set(urlPath, (requests.get(urlPath) ?? 0) + 1);
    const file = normalize(join(repo.dir, urlPath));
    let bytes: Buffer;
    try {
      if (!file.startsWith(root)) throw new Error("outside");
      bytes = await readFile(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    if (urlPath !== path) {
      res.writeHead(200, { "content-length": bytes.length }).end(bytes);
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream" });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const pieces = [bytes, ...Array.from({ length: Math.ceil(extra / chunk.length) }, () => chunk)];
    for (const piece of pieces) {
      if (res.destroyed) return;
      sent += piece.length;
      if (!res.write(piece)) await Promise.race([once(res, "drain"), once(res, "close")]);
    }
    res.end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent: () => sent,
    count: (p: string) => requests.get(p) ?? 0,
  };
}

describe("index size", () => {
  test("a Packages index served past its signed size is read no further than that size", async (t) => {
    const repo = await serve(t, { formats: ["xz"] });
    const path = "/dists/trixie/main/binary-amd64/Packages.xz";
    const signed = (await readFile(join(repo.dir, path))).length;
    const extra = 64 * 1024 * 1024;
    const mirror = await serveLonger(t, repo, path, extra);
    const s = await cache(t);
    await assert.rejects(read(repo, s, { uri: mirror.url }), (err) => {
      assert.ok(isCudasealError(err, "APT_INDEX_HASH_MISMATCH"), String((err as Error)?.stack));
      assert.ok(isCudasealError(err.cause, "FETCH_TOO_LARGE"), String((err.cause as Error)?.stack));
      assert.equal(err.details?.size, signed);
      return true;
    });
    // Asked for once, not retried, and cut off: what reached the client is the
    // signed size plus what socket buffers hold, nowhere near the whole body.
    assert.equal(mirror.count(path), 1);
    assert.ok(mirror.sent() < signed + 16 * 1024 * 1024, `sent ${mirror.sent()} bytes`);
    assert.deepEqual(await tmpFiles(s.root), []);
    assert.deepEqual(
      (await storeFiles(s.root)).filter((f) => f.startsWith("sha256/")),
      [],
    );
  });
});
