// The InRelease kept from the last read of a suite, against a real signed
// repository on 127.0.0.1 that sends ETags: the next read asks with
// If-None-Match and reuses the kept bytes on 304, verifying them again; an
// offline read makes no request at all while Valid-Until holds, and fails
// with a coded error once it has passed or when nothing was kept.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { readKeptInRelease } from "../../src/apt/inrelease-kept.ts";
import { readSources } from "../../src/apt/repository.ts";
import type { AptSource } from "../../src/apt/sources.ts";
import { ContentStore } from "../../src/cache/content-store.ts";
import { type ErrorCode, isCudasealError } from "../../src/errors.ts";
import { type AptRepo, type AptRepoOptions, startAptRepo } from "../helpers/apt-repo.ts";
import { tempStore } from "../helpers/store.ts";

const INRELEASE = "/dists/trixie/InRelease";
const DAY = 24 * 60 * 60 * 1000;

async function serve(t: test.TestContext, options: AptRepoOptions = {}): Promise<AptRepo> {
  const repo = await startAptRepo({ packages: [{ name: "hello", version: "1.0" }], ...options });
  t.after(() => repo.close());
  return repo;
}

async function store(t: test.TestContext): Promise<string> {
  const s = await tempStore();
  t.after(() => s.remove());
  return s.root;
}

function read(repo: AptRepo, root: string, extra: Partial<Parameters<typeof readSources>[1]> = {}) {
  const source: AptSource = {
    uri: repo.url,
    suites: [repo.suite],
    components: repo.components,
    keyring: [repo.armoredKeyPath],
    priority: 500,
  };
  return readSources([source], { arches: ["amd64"], store: new ContentStore(root), ...extra });
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(isCudasealError(err, code), `expected ${code}, got ${(err as Error)?.stack ?? err}`);
    if (message) assert.match((err as Error).message, message);
    assert.ok((err as { hint?: string }).hint);
    return true;
  });
}

const names = (index: Awaited<ReturnType<typeof read>>) =>
  index.available
    .get("amd64")!
    .records()
    .map((p) => p.name);

test("an unchanged InRelease is asked for conditionally; the kept copy, altered, fails its signature", async (t) => {
  const repo = await serve(t);
  const root = await store(t);
  await read(repo, root);
  assert.equal(repo.notModifiedCount(INRELEASE), 0);

  const again = await read(repo, root);
  assert.equal(repo.count(INRELEASE), 2);
  assert.equal(repo.notModifiedCount(INRELEASE), 1);
  assert.equal(again.suites[0].signer, repo.key.fingerprint);
  assert.deepEqual(names(again), ["hello"]);

  // The kept bytes are never trusted for being kept: altered, they fail their signature.
  const [kept] = await readdir(join(root, "apt-inrelease"));
  const path = join(root, "apt-inrelease", kept);
  const data = JSON.parse(await readFile(path, "utf8"));
  const body = Buffer.from(data.body, "base64").toString("utf8");
  data.body = Buffer.from(body.replace("Suite: trixie", "Suite: trixiE")).toString("base64");
  await writeFile(path, JSON.stringify(data));
  await rejectsWith(read(repo, root), "APT_SIGNATURE_INVALID");
  assert.equal(repo.notModifiedCount(INRELEASE), 2);
});

test("--offline makes no request while Valid-Until holds, and refuses past it", async (t) => {
  const repo = await serve(t, { validUntil: new Date(Date.now() + DAY) });
  const root = await store(t);
  await rejectsWith(read(repo, root, { offline: true }), "APT_FETCH_FAILED", /--offline/);
  assert.equal(repo.count(INRELEASE), 0);

  await read(repo, root);
  const before = new Map(repo.requests);
  const offline = await read(repo, root, { offline: true });
  assert.deepEqual(repo.requests, before);
  assert.deepEqual(names(offline), ["hello"]);

  await rejectsWith(
    read(repo, root, { offline: true, now: new Date(Date.now() + 2 * DAY) }),
    "APT_RELEASE_EXPIRED",
    /--offline/,
  );
  assert.deepEqual(repo.requests, before);
});

test("a FIFO where the kept InRelease would be is passed over, not waited on", {
  timeout: 20_000,
}, async (t) => {
  const root = await store(t);
  const url = "http://127.0.0.1:9/dists/trixie/InRelease";
  const dir = join(root, "apt-inrelease");
  await mkdir(dir, { recursive: true });
  execFileSync("mkfifo", [join(dir, `${createHash("sha256").update(url).digest("hex")}.json`)]);
  assert.equal(await readKeptInRelease(root, url), undefined);
});
