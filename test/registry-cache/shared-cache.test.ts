// The registry-backed layer cache end to end, with the real docker-registry
// and a signed apt repository on 127.0.0.1: two builds in two empty cache
// folders sharing one cache repository give the same image, and the second
// downloads no .deb, compresses no layer, and mounts the layers into the
// repository it pushes to instead of uploading them. Then the ways a cache
// goes wrong: entries that lie (a record whose diff id is not its layer's,
// a blob whose bytes were changed in the registry's storage) are refused
// with CACHE_ENTRY_POISONED and the layers built here, or the build fails
// with --cache-strict, as is an entry whose record's meta is not the shape
// the build writes for its layer; a cache registry that cannot be reached is a
// CACHE_REGISTRY_UNREACHABLE warning, and the build goes on without it.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildArgs } from "../build/build-args.ts";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { aptRepoSpec, runCli } from "../helpers/cli.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";

interface Summary {
  digest: string;
  downloadedBytes: number;
  platforms: { layers: { name: string; digest: string; cached: boolean; cacheSource?: string }[] }[];
  registryCache?: { hits: number; poisoned: number; pushed: number; present: number; failed: number };
  warnings: { code: string; message: string }[];
  pushed?: { blobs: number; mounted: number };
}

let work: string;
let repo: AptRepo;
let spec: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-shared-cache-"));
  // Three packages, each big enough (in the plan's eyes) for a layer of its own, and random so no layer is tiny.
  const pkg = (name: string) => ({
    name,
    version: "1.0",
    arch: "amd64",
    fields: { "Installed-Size": "4096" },
    files: { [`usr/share/${name}/data`]: randomBytes(64 * 1024), [`usr/share/${name}/README`]: `${name}\n` },
  });
  repo = await startAptRepo({ packages: [pkg("alpha"), pkg("beta"), pkg("gamma")] });
  spec = join(work, "spec.yaml");
  writeFileSync(
    spec,
    `${aptRepoSpec(repo, "shared", ["alpha", "beta", "gamma"])}layering:\n  ownLayerBytes: 1024\n`,
  );
});

after(async () => {
  await repo?.close();
  rmSync(work, { recursive: true, force: true });
});

/** A build of the spec into its own folders (an empty cache folder named `name`), with `extra` flags, as --json. */
async function buildWith(
  name: string,
  ...extra: string[]
): Promise<{ status: number; summary?: Summary; stderr: string }> {
  const cache = join(work, `cache-${name}`);
  const out = `oci:${join(work, `out-${name}`)}:latest`;
  const r = await runCli([
    ...buildArgs(spec, cache, out, "--source-date-epoch", "1700000000", "--json", ...extra),
  ]);
  return {
    status: r.status,
    summary: r.status === 0 ? (JSON.parse(r.stdout) as Summary) : undefined,
    stderr: r.stderr,
  };
}

function debRequests(): number {
  return [...repo.requests].filter(([path]) => path.endsWith(".deb")).reduce((n, [, count]) => n + count, 0);
}

function layers(s: Summary) {
  return s.platforms.flatMap((p) => p.layers);
}

describe("two workers sharing one cache repository", () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry();
  });
  after(() => registry?.stop());

  test("give identical digests, and the second downloads no .deb, compresses no layer and mounts every layer on push", async () => {
    const cacheRepo = `${registry.host}/ci/cache`;
    const flags = ["--cache-from", cacheRepo, "--cache-to", cacheRepo];
    const debsBefore = debRequests();
    const first = await buildWith("worker-1", ...flags, "--push", `${registry.host}/team/app:1`);
    assert.equal(first.status, 0, first.stderr);
    const one = first.summary!;
    assert.equal(debRequests() - debsBefore, 3, "the first worker downloads each .deb once");
    assert.ok(
      layers(one).every((l) => !l.cached),
      "the first worker builds every layer",
    );
    assert.equal(one.registryCache?.pushed, layers(one).length);
    assert.deepEqual(one.warnings, []);

    const debsBetween = debRequests();
    const second = await buildWith("worker-2", ...flags, "--push", `${registry.host}/team/other:1`);
    assert.equal(second.status, 0, second.stderr);
    const two = second.summary!;
    assert.equal(two.digest, one.digest);
    assert.equal(debRequests(), debsBetween, "the second worker downloads no .deb");
    assert.equal(two.downloadedBytes, 0);
    for (const l of layers(two))
      assert.equal(l.cacheSource, "registry", `${l.name} came from the cache registry`);
    assert.equal(two.registryCache?.hits, layers(two).length);
    assert.equal(two.registryCache?.pushed, 0, "nothing new to write");
    // Every layer blob is mounted from the cache repository, none uploaded again.
    assert.equal(two.pushed?.mounted, layers(two).length);
  });
});

describe("a cache repository with poisoned entries", () => {
  let registry: TestRegistry;
  let cacheRepo: string;
  let built: Summary;
  before(async () => {
    registry = await startRegistry();
    cacheRepo = `${registry.host}/ci/cache`;
    const first = await buildWith("poison-seed", "--cache-to", cacheRepo);
    assert.equal(first.status, 0, first.stderr);
    built = first.summary!;
    const tags = await listTags(registry, "ci/cache");
    assert.equal(tags.length, layers(built).length);
    // One entry's record lies about its layer's diff id; another's layer bytes are changed where the registry keeps them.
    await rewriteRecord(registry, "ci/cache", tags[0], (record) => ({
      ...record,
      blob: { ...(record.blob as object), diffId: `sha256:${"0".repeat(64)}` },
    }));
    const victim = await entryLayer(registry, "ci/cache", tags[1]);
    flipByte(registry, victim);
  });
  after(() => registry?.stop());

  test("are refused with CACHE_ENTRY_POISONED warnings, their layers built here, and the image the same", async () => {
    const r = await buildWith("poison-warn", "--cache-from", cacheRepo);
    assert.equal(r.status, 0, r.stderr);
    const s = r.summary!;
    assert.equal(s.digest, built.digest);
    assert.deepEqual(
      s.warnings.map((w) => w.code),
      ["CACHE_ENTRY_POISONED", "CACHE_ENTRY_POISONED"],
    );
    assert.match(r.stderr, /warning: CACHE_ENTRY_POISONED/);
    assert.equal(layers(s).filter((l) => !l.cached).length, 2, "the two poisoned layers are built here");
    assert.equal(s.registryCache?.poisoned, 2);
    assert.equal(s.registryCache?.hits, layers(s).length - 2);
  });

  test("fail the build with --cache-strict", async () => {
    const r = await buildWith("poison-strict", "--cache-from", cacheRepo, "--cache-strict");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /CACHE_ENTRY_POISONED/);
  });
});

describe("a cache entry whose blob checks out but whose meta has the wrong shape", () => {
  let registry: TestRegistry;
  let cacheRepo: string;
  let built: Summary;
  let tag: string;
  before(async () => {
    registry = await startRegistry();
    cacheRepo = `${registry.host}/ci/cache`;
    const first = await buildWith("meta-seed", "--cache-to", cacheRepo);
    assert.equal(first.status, 0, first.stderr);
    built = first.summary!;
    // Every layer's meta holds its tree: `{}` is what no layer's builder writes, and what the build would trip on.
    tag = (await listTags(registry, "ci/cache"))[0];
    await rewriteRecord(registry, "ci/cache", tag, (record) => ({ ...record, meta: {} }));
  });
  after(() => registry?.stop());

  test("is refused with a CACHE_ENTRY_POISONED warning naming it, its layer built here, and the image the same", async () => {
    const r = await buildWith("meta-warn", "--cache-from", cacheRepo);
    assert.equal(r.status, 0, r.stderr);
    const s = r.summary!;
    assert.equal(s.digest, built.digest);
    assert.deepEqual(
      s.warnings.map((w) => w.code),
      ["CACHE_ENTRY_POISONED"],
    );
    assert.ok(s.warnings[0].message.includes(tag), s.warnings[0].message);
    assert.match(s.warnings[0].message, /meta/);
    assert.equal(layers(s).filter((l) => !l.cached).length, 1, "the poisoned layer is built here");
    assert.equal(s.registryCache?.poisoned, 1);
  });

  test("fails the build with --cache-strict", async () => {
    const r = await buildWith("meta-strict", "--cache-from", cacheRepo, "--cache-strict");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /CACHE_ENTRY_POISONED/);
    assert.doesNotMatch(r.stderr, /INTERNAL/);
  });
});

test("an unreachable cache registry is a warning, and the build goes on without it", async () => {
  const port = await closedPort();
  const cacheRepo = `127.0.0.1:${port}/ci/cache`;
  const r = await buildWith("unreachable", "--cache-from", cacheRepo, "--cache-to", cacheRepo);
  assert.equal(r.status, 0, r.stderr);
  const s = r.summary!;
  assert.deepEqual(
    s.warnings.map((w) => w.code),
    ["CACHE_REGISTRY_UNREACHABLE"],
  );
  assert.match(r.stderr, /warning: CACHE_REGISTRY_UNREACHABLE/);
  assert.ok(layers(s).every((l) => !l.cached));
  assert.equal(s.registryCache?.pushed, 0);
});

test("a cache repository that refuses the writes is a warning, and the build's image is written", async () => {
  const registry = await startRegistry({ auth: "basic" });
  try {
    const r = await buildWith("denied", "--cache-to", `${registry.host}/ci/cache`);
    assert.equal(r.status, 0, r.stderr);
    const s = r.summary!;
    assert.deepEqual(
      s.warnings.map((w) => w.code),
      ["CACHE_REGISTRY_UNREACHABLE"],
    );
    assert.equal(s.registryCache?.pushed, 0);
    assert.equal(s.registryCache?.failed, layers(s).length);
  } finally {
    await registry.stop();
  }
});

// ---------------------------------------------------------------- registry helpers

async function listTags(registry: TestRegistry, name: string): Promise<string[]> {
  const res = await fetch(`http://${registry.host}/v2/${name}/tags/list`);
  return ((await res.json()) as { tags: string[] }).tags.filter((t) => t.startsWith("layer-"));
}

async function getManifest(registry: TestRegistry, name: string, tag: string) {
  const res = await fetch(`http://${registry.host}/v2/${name}/manifests/${tag}`, {
    headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
  });
  assert.equal(res.status, 200);
  return (await res.json()) as {
    config: { digest: string; size: number };
    layers: { digest: string }[];
  } & Record<string, unknown>;
}

async function entryLayer(registry: TestRegistry, name: string, tag: string): Promise<string> {
  return (await getManifest(registry, name, tag)).layers[0].digest;
}

/** Replace the entry's record with `change(record)`, re-tagging its manifest to name the new one. */
async function rewriteRecord(
  registry: TestRegistry,
  name: string,
  tag: string,
  change: (record: Record<string, unknown>) => Record<string, unknown>,
): Promise<void> {
  const manifest = await getManifest(registry, name, tag);
  const old = await fetch(`http://${registry.host}/v2/${name}/blobs/${manifest.config.digest}`);
  const bytes = Buffer.from(JSON.stringify(change((await old.json()) as Record<string, unknown>)));
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  const start = await fetch(`http://${registry.host}/v2/${name}/blobs/uploads/`, { method: "POST" });
  const location = new URL(start.headers.get("location")!, `http://${registry.host}`);
  location.searchParams.set("digest", digest);
  const put = await fetch(location, {
    method: "PUT",
    body: bytes,
    headers: { "content-type": "application/octet-stream" },
  });
  assert.equal(put.status, 201);
  const next = { ...manifest, config: { ...manifest.config, digest, size: bytes.length } };
  const res = await fetch(`http://${registry.host}/v2/${name}/manifests/${tag}`, {
    method: "PUT",
    body: JSON.stringify(next),
    headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
  });
  assert.equal(res.status, 201);
}

/** Change one byte of a blob where the registry stores it: it serves the changed bytes under the old digest. */
function flipByte(registry: TestRegistry, digest: string): void {
  const hex = digest.slice("sha256:".length);
  const path = join(registry.storage, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
  const bytes = readFileSync(path);
  bytes[bytes.length - 20] ^= 0xff;
  writeFileSync(path, bytes);
  assert.ok(readdirSync(join(path, "..")).includes("data"));
}

/** A port of 127.0.0.1 nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
