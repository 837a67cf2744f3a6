// The trusted root from a TUF repository: a real one on 127.0.0.1, its
// root, targets, snapshot and timestamp metadata signed here with ed25519
// keys over TUF's canonical JSON, serving the Fulcio/Rekor stand-ins' trusted
// root as its trusted_root.json target. Fetched and used; then read from the
// cache with the server gone; a target whose hash does not match is refused;
// an unreachable mirror falls back to the cache, then the shipped root, each
// with a warning.

import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { verifyBundle } from "../../src/sign/bundle-verify.ts";
import { parseIdentityToken } from "../../src/sign/identity-token.ts";
import { keylessBundleSigner } from "../../src/sign/keyless-signer.ts";
import { tufTrustedRoot } from "../../src/sign/tuf-root.ts";
import { runCli } from "../helpers/cli.ts";
import {
  identityToken,
  type SigstoreStandIns,
  startSigstore,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../helpers/sigstore.ts";

// TUF's canonical JSON (the OLPC form): keys sorted, no whitespace, strings
// with only '"' and '\' escaped. Everything signed here is ASCII with no
// control characters, so JSON.stringify's escaping agrees.
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

interface TufKey {
  id: string;
  json: { keytype: string; scheme: string; keyval: { public: string } };
  privateKey: KeyObject;
}

function tufKey(): TufKey {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  const json = { keytype: "ed25519", scheme: "ed25519", keyval: { public: raw.toString("hex") } };
  return { id: createHash("sha256").update(canonical(json)).digest("hex"), json, privateKey };
}

function signed(body: Record<string, unknown>, key: TufKey): Buffer {
  const sig = sign(null, Buffer.from(canonical(body)), key.privateKey).toString("hex");
  return Buffer.from(JSON.stringify({ signed: body, signatures: [{ keyid: key.id, sig }] }));
}

const EXPIRES = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");

/** A one-key-per-role TUF repository serving `target` as trusted_root.json (optionally a different `served`). */
function tufRepository(target: Buffer, served = target): Map<string, Buffer> {
  const [root, targets, snapshot, timestamp] = [tufKey(), tufKey(), tufKey(), tufKey()];
  const common = { spec_version: "1.0.31", version: 1, expires: EXPIRES };
  const role = (k: TufKey) => ({ keyids: [k.id], threshold: 1 });
  const rootJson = signed(
    {
      _type: "root",
      ...common,
      consistent_snapshot: false,
      keys: Object.fromEntries([root, targets, snapshot, timestamp].map((k) => [k.id, k.json])),
      roles: {
        root: role(root),
        targets: role(targets),
        snapshot: role(snapshot),
        timestamp: role(timestamp),
      },
    },
    root,
  );
  const targetsJson = signed(
    {
      _type: "targets",
      ...common,
      targets: {
        "trusted_root.json": {
          length: target.length,
          hashes: { sha256: createHash("sha256").update(target).digest("hex") },
        },
      },
    },
    targets,
  );
  const snapshotJson = signed(
    { _type: "snapshot", ...common, meta: { "targets.json": { version: 1 } } },
    snapshot,
  );
  const timestampJson = signed(
    { _type: "timestamp", ...common, meta: { "snapshot.json": { version: 1 } } },
    timestamp,
  );
  return new Map([
    ["/1.root.json", rootJson],
    ["/timestamp.json", timestampJson],
    ["/snapshot.json", snapshotJson],
    ["/targets.json", targetsJson],
    ["/targets/trusted_root.json", served],
  ]);
}

async function serve(files: Map<string, Buffer>): Promise<{ url: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? "");
    const body = files.get(req.url ?? "");
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server, hits };
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe("the trusted root from a TUF repository", () => {
  let sigstore: SigstoreStandIns;
  let dir: string;
  before(async () => {
    sigstore = await startSigstore();
    dir = mkdtempSync(join(tmpdir(), "cudaseal-tuf-"));
  });
  after(async () => {
    await sigstore?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("fetches and verifies the target, then serves it from the cache with the mirror gone", async () => {
    const target = Buffer.from(JSON.stringify(sigstore.trustedRoot));
    const files = tufRepository(target);
    const rootPath = join(dir, "initial-root.json");
    writeFileSync(rootPath, files.get("/1.root.json") as Buffer);
    const cachePath = join(dir, "cache-a");
    const { url, server, hits } = await serve(files);
    const mirrorURL = url;
    try {
      const fetched = await tufTrustedRoot({ cachePath, mirrorURL, rootPath });
      assert.equal(fetched.source, `tuf:${mirrorURL}`);
      assert.equal(fetched.warning, undefined);
      assert.ok(hits.includes("/targets/trusted_root.json"), "the target came from the mirror");
      assert.deepEqual(fetched.root, sigstore.trustedRoot);

      // A keyless bundle from the stand-ins verifies under the root TUF delivered.
      const blob = Buffer.from("weights\n");
      const bundle = await keylessBundleSigner({
        token: parseIdentityToken(identityToken(), "flag"),
        fulcioURL: sigstore.fulcioURL,
        rekorURL: sigstore.rekorURL,
        retries: 0,
      }).signMessage(blob);
      const verified = await verifyBundle(
        JSON.parse(JSON.stringify(bundle)),
        { trustedRoot: fetched.root, identity: { subject: TEST_SUBJECT, issuer: TEST_ISSUER } },
        blob,
      );
      assert.deepEqual(verified.signer, { kind: "certificate", subject: TEST_SUBJECT, issuer: TEST_ISSUER });

      // Offline: the cache alone; the mirror, still up, is not asked anything.
      const asked = hits.length;
      const offline = await tufTrustedRoot({ cachePath, mirrorURL, offline: true });
      assert.equal(hits.length, asked, "no request while offline");
      assert.equal(offline.source, `tuf-cache:${mirrorURL}`);
      assert.equal(offline.warning, undefined);
      assert.deepEqual(offline.root, sigstore.trustedRoot);
    } finally {
      await close(server);
    }

    // Offline again with nothing listening: the same root.
    const offline = await tufTrustedRoot({ cachePath, mirrorURL, offline: true });
    assert.equal(offline.source, `tuf-cache:${mirrorURL}`);
    assert.deepEqual(offline.root, sigstore.trustedRoot);

    // Online but unreachable: the cache, with a warning that says so.
    const fallback = await tufTrustedRoot({ cachePath, mirrorURL });
    assert.equal(fallback.source, `tuf-cache:${mirrorURL}`);
    assert.match(fallback.warning ?? "", /could not be reached.*using the trusted root cached from it/);
    assert.deepEqual(fallback.root, sigstore.trustedRoot);
  });

  it("refuses a target whose hash does not match the signed targets metadata", async () => {
    const target = Buffer.from(JSON.stringify(sigstore.trustedRoot));
    // The same length, so that it is the hash that gives it away: the logs
    // removed, spaces (still JSON) in their place.
    const changed = JSON.stringify({ ...(sigstore.trustedRoot as object), tlogs: [] });
    const tampered = Buffer.from(changed.padEnd(target.length, " "));
    assert.equal(tampered.length, target.length);
    const files = tufRepository(target, tampered);
    const rootPath = join(dir, "initial-root-b.json");
    writeFileSync(rootPath, files.get("/1.root.json") as Buffer);
    const { url, server } = await serve(files);
    try {
      await assert.rejects(
        tufTrustedRoot({ cachePath: join(dir, "cache-b"), mirrorURL: url, rootPath }),
        (e: unknown) => {
          assert.ok(isCudasealError(e, "TRUSTED_ROOT_INVALID"), String(e));
          assert.match((e as Error).message, /LengthOrHashMismatchError/);
          return true;
        },
      );
    } finally {
      await close(server);
    }
  });

  it("refuses metadata not signed by the initial root's keys", async () => {
    const target = Buffer.from(JSON.stringify(sigstore.trustedRoot));
    const files = tufRepository(target);
    const rootPath = join(dir, "initial-root-c.json");
    // The initial root the user trusts is another repository's.
    writeFileSync(rootPath, tufRepository(target).get("/1.root.json") as Buffer);
    const { url, server } = await serve(files);
    try {
      await assert.rejects(
        tufTrustedRoot({ cachePath: join(dir, "cache-c"), mirrorURL: url, rootPath }),
        (e) => isCudasealError(e, "TRUSTED_ROOT_INVALID"),
      );
    } finally {
      await close(server);
    }
  });

  it("falls back to the shipped public-good root, with a warning, when the mirror is unreachable and nothing is cached", async () => {
    const { url, server } = await serve(new Map());
    await close(server); // the port is free again: connections are refused
    const rootPath = join(dir, "initial-root-d.json");
    writeFileSync(rootPath, tufRepository(Buffer.from("{}")).get("/1.root.json") as Buffer);
    const loaded = await tufTrustedRoot({ cachePath: join(dir, "cache-d"), mirrorURL: url, rootPath });
    assert.equal(loaded.source, "public-good");
    assert.match(
      loaded.warning ?? "",
      /could not be reached.*public-good trusted root shipped with cudaseal/,
    );
    const offline = await tufTrustedRoot({
      cachePath: join(dir, "cache-e"),
      mirrorURL: url,
      rootPath,
      offline: true,
    });
    assert.equal(offline.source, "public-good");
    assert.match(offline.warning ?? "", /offline with no unexpired TUF cache/);
  });

  it("verify-blob takes the root from --tuf-mirror, then --offline from --cache-dir, and warns when it falls back", async () => {
    const files = tufRepository(Buffer.from(JSON.stringify(sigstore.trustedRoot)));
    const tufRoot = join(dir, "initial-root-f.json");
    writeFileSync(tufRoot, files.get("/1.root.json") as Buffer);
    const blobPath = join(dir, "blob.txt");
    const bundlePath = join(dir, "blob.sigstore.json");
    const blob = Buffer.from("a release\n");
    writeFileSync(blobPath, blob);
    const bundle = await keylessBundleSigner({
      token: parseIdentityToken(identityToken(), "flag"),
      fulcioURL: sigstore.fulcioURL,
      rekorURL: sigstore.rekorURL,
      retries: 0,
    }).signMessage(blob);
    writeFileSync(bundlePath, JSON.stringify(bundle));
    const cacheDir = join(dir, "cli-cache");
    const identity = ["--certificate-identity", TEST_SUBJECT, "--certificate-oidc-issuer", TEST_ISSUER];
    const verify = (...more: string[]) =>
      runCli([
        "verify-blob",
        blobPath,
        "--bundle",
        bundlePath,
        ...identity,
        "--cache-dir",
        cacheDir,
        "--json",
        ...more,
      ]);
    const { url, server } = await serve(files);
    try {
      const first = await verify("--tuf-mirror", url, "--tuf-root", tufRoot);
      assert.equal(first.status, 0, first.stderr);
      assert.equal(JSON.parse(first.stdout).trustedRoot, `tuf:${url}`);
      assert.doesNotMatch(first.stderr, /warning/);
    } finally {
      await close(server);
    }
    // The mirror from the environment this time; offline, the cache serves it silently.
    const offline = await runCli(
      [
        "verify-blob",
        blobPath,
        "--bundle",
        bundlePath,
        ...identity,
        "--cache-dir",
        cacheDir,
        "--json",
        "--offline",
      ],
      { env: { CUDASEAL_TUF_MIRROR: url } },
    );
    assert.equal(offline.status, 0, offline.stderr);
    assert.equal(JSON.parse(offline.stdout).trustedRoot, `tuf-cache:${url}`);
    assert.doesNotMatch(offline.stderr, /warning/);
    const unreachable = await verify("--tuf-mirror", url);
    assert.equal(unreachable.status, 0, unreachable.stderr);
    assert.equal(JSON.parse(unreachable.stdout).trustedRoot, `tuf-cache:${url}`);
    assert.match(unreachable.stderr, /warning: the TUF repository .* could not be reached.*cached from it/);
  });
});
