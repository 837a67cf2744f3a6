// The record of InRelease files already verified: the same bytes with the
// same keyring are taken as verified without openpgp.js; changed bytes, a
// changed keyring, a marker for another keyring, a damaged marker or one
// whose signer key has expired since all lead to a full check again.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { verifyInRelease } from "../../src/apt/inrelease.ts";
import { openpgpUses } from "../../src/apt/inrelease-openpgp.ts";
import { type KeyringRef, keyringDigest, verifyInReleaseOnce } from "../../src/apt/inrelease-verified.ts";
import { loadKeyring } from "../../src/apt/keyring.ts";
import { readSources } from "../../src/apt/repository.ts";
import { ContentStore } from "../../src/cache/content-store.ts";
import { isCudasealError } from "../../src/errors.ts";
import { type AptRepo, startAptRepo, testKeys } from "../helpers/apt-repo.ts";
import { tempStore } from "../helpers/store.ts";

async function serve(
  t: test.TestContext,
  options: Parameters<typeof startAptRepo>[0] = {},
): Promise<AptRepo> {
  const repo = await startAptRepo({ packages: [{ name: "hello", version: "1.0" }], ...options });
  t.after(() => repo.close());
  return repo;
}

async function cacheRoot(t: test.TestContext): Promise<string> {
  const s = await tempStore();
  t.after(() => s.remove());
  return s.root;
}

/** A keyring reference that counts its loads. */
function ref(paths: string[]): KeyringRef & { loads: number } {
  const r = {
    loads: 0,
    digest: keyringDigest(paths),
    load: () => {
      r.loads++;
      return loadKeyring(paths);
    },
  };
  return r;
}

const inReleaseOf = (repo: AptRepo) => readFile(join(repo.dir, "dists/trixie/InRelease"));
const markers = async (root: string) => readdir(join(root, "apt-inrelease-verified")).catch(() => []);

test("the same InRelease and keyring are verified once; the second read needs no openpgp.js", async (t) => {
  const repo = await serve(t);
  const root = await cacheRoot(t);
  const bytes = await inReleaseOf(repo);
  const url = `${repo.url}/dists/trixie/InRelease`;
  const expected = await verifyInRelease(bytes, await loadKeyring(repo.armoredKeyPath), { url });

  const keys = ref([repo.armoredKeyPath]);
  const first = await verifyInReleaseOnce(root, bytes, keys, { url });
  assert.equal(keys.loads, 1);
  assert.deepEqual(await markers(root), [], "nothing is kept before the caller says the read is whole");
  await first.remember!();
  assert.equal((await markers(root)).length, 1);

  const uses = openpgpUses();
  const again = ref([repo.armoredKeyPath]);
  const second = await verifyInReleaseOnce(root, bytes, again, { url });
  assert.equal(again.loads, 0);
  assert.equal(openpgpUses(), uses);
  assert.equal(second.remember, undefined);
  assert.deepEqual({ text: second.text, signer: second.signer }, expected);
});

test("changed bytes, another keyring, a damaged marker or an expired key are checked again", async (t) => {
  const repo = await serve(t);
  const other = (await testKeys()).other;
  const tampered = await serve(t, { tamperInRelease: true });
  const root = await cacheRoot(t);
  const bytes = await inReleaseOf(repo);
  const url = `${repo.url}/dists/trixie/InRelease`;
  await (await verifyInReleaseOnce(root, bytes, ref([repo.armoredKeyPath]), { url })).remember!();
  const [marker] = await markers(root);

  // Other bytes: a trailing blank line changes the hash, not the signed text.
  const padded = Buffer.concat([bytes, Buffer.from("\n")]);
  const keys = ref([repo.armoredKeyPath]);
  await verifyInReleaseOnce(root, padded, keys, { url });
  assert.equal(keys.loads, 1);

  // Tampered bytes are refused, whatever was verified before.
  await assert.rejects(
    verifyInReleaseOnce(root, await inReleaseOf(tampered), ref([tampered.armoredKeyPath]), { url }),
    (err) => isCudasealError(err, "APT_SIGNATURE_INVALID"),
  );

  // A keyring without the signer's key: the marker for the right keyring is not used.
  await assert.rejects(verifyInReleaseOnce(root, bytes, ref([other.armoredKeyPath]), { url }), (err) =>
    isCudasealError(err, "APT_SIGNATURE_UNKNOWN_KEY"),
  );
  // The same keyring with a key added is another keyring: checked again.
  const both = ref([repo.armoredKeyPath, other.armoredKeyPath]);
  await verifyInReleaseOnce(root, bytes, both, { url });
  assert.equal(both.loads, 1);

  // A marker renamed to another keyring's name is not that keyring's.
  const otherDigest = (await keyringDigest([other.armoredKeyPath]))!;
  const dir = join(root, "apt-inrelease-verified");
  const text = await readFile(join(dir, marker), "utf8");
  await writeFile(join(dir, marker.replace(/-[0-9a-f]+\.json$/, `-${otherDigest}.json`)), text);
  await assert.rejects(verifyInReleaseOnce(root, bytes, ref([other.armoredKeyPath]), { url }), (err) =>
    isCudasealError(err, "APT_SIGNATURE_UNKNOWN_KEY"),
  );

  // A damaged marker, or one whose signer key has expired since, is ignored.
  for (const damaged of ["{not json", JSON.stringify({ ...JSON.parse(text), keyExpires: 1 })]) {
    await writeFile(join(dir, marker), damaged);
    const again = ref([repo.armoredKeyPath]);
    const verified = await verifyInReleaseOnce(root, bytes, again, { url });
    assert.equal(again.loads, 1);
    assert.equal(verified.signer, repo.key.fingerprint);
    await verified.remember!();
    assert.deepEqual(JSON.parse(await readFile(join(dir, marker), "utf8")), JSON.parse(text));
  }
});

test("a second read of unchanged repositories asks nothing of openpgp.js", async (t) => {
  const repo = await serve(t);
  const root = await cacheRoot(t);
  const read = () =>
    readSources(
      [
        {
          uri: repo.url,
          suites: [repo.suite],
          components: repo.components,
          keyring: [repo.armoredKeyPath],
          priority: 500,
        },
      ],
      { arches: ["amd64"], store: new ContentStore(root) },
    );
  const first = await read();
  const uses = openpgpUses();
  const second = await read();
  assert.equal(openpgpUses(), uses);
  assert.equal(second.suites[0].signer, first.suites[0].signer);
  assert.deepEqual(
    second.available
      .get("amd64")!
      .records()
      .map((p) => p.name),
    ["hello"],
  );
});

test("a FIFO where the marker would be is passed over: the file is verified in full", {
  timeout: 20_000,
}, async (t) => {
  const root = await cacheRoot(t);
  const bytes = Buffer.from("not an InRelease");
  const ring = "0".repeat(64);
  const dir = join(root, "apt-inrelease-verified");
  await mkdir(dir, { recursive: true });
  execFileSync("mkfifo", [join(dir, `${createHash("sha256").update(bytes).digest("hex")}-${ring}.json`)]);
  const loaded = new Error("the keyring was loaded");
  const keys: KeyringRef = {
    digest: Promise.resolve(ring),
    load: () => Promise.reject(loaded),
  };
  await assert.rejects(
    verifyInReleaseOnce(root, bytes, keys, { url: "http://127.0.0.1:9/InRelease" }),
    loaded,
  );
});
