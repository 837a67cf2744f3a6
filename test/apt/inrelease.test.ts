import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as openpgp from "openpgp";
import { verifyDetached, verifyInRelease } from "../../src/apt/inrelease.ts";
import { type Keyring, keyringFromBytes, loadKeyring, loadKeyringFile } from "../../src/apt/keyring.ts";
import { type ErrorCode, isCudasealError } from "../../src/errors.ts";
import { getBytes } from "../../src/http/get.ts";
import { type AptRepo, clearsign, startAptRepo, type TestKeys, testKeys } from "../helpers/apt-repo.ts";

let keys: TestKeys;
let trusted: Keyring;
let repo: AptRepo;
let inRelease: Buffer;
let release: Buffer;

before(async () => {
  keys = await testKeys();
  trusted = await loadKeyringFile(keys.repo.armoredKeyPath);
  repo = await startAptRepo({ packages: [{ name: "hello", version: "1.0" }] });
  inRelease = await readFile(join(repo.dir, "dists/trixie/InRelease"));
  release = await readFile(join(repo.dir, "dists/trixie/Release"));
});
after(() => repo.close());

const ctx = { url: "http://127.0.0.1/dists/trixie/InRelease" };

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, check?: (err: Error) => void) {
  await assert.rejects(promise, (err) => {
    assert.ok(isCudasealError(err, code), `expected ${code}, got ${(err as Error)?.stack ?? err}`);
    check?.(err);
    return true;
  });
}

describe("InRelease", () => {
  test("a good signature gives back exactly the signed text and the signer", async () => {
    const result = await verifyInRelease(inRelease, trusted, ctx);
    assert.equal(result.signer, keys.repo.fingerprint);
    // The line break before the signature armor belongs to the frame.
    assert.equal(`${result.text}\n`, release.toString("utf8"));
  });

  test("works as fetched from the served repository, after the server's 5xx answers", async () => {
    repo.failNext("/dists/trixie/InRelease", 2);
    const bytes = await getBytes(`${repo.url}/dists/trixie/InRelease`, { baseDelayMs: 1 });
    const result = await verifyInRelease(bytes, trusted, ctx);
    assert.match(result.text, /^Origin: cudaseal-test$/m);
    assert.equal(repo.count("/dists/trixie/InRelease"), 3);
  });

  test("a binary keyring works as well as an armored one", async () => {
    const result = await verifyInRelease(inRelease, await loadKeyringFile(keys.repo.publicKeyPath), ctx);
    assert.equal(result.signer, keys.repo.fingerprint);
  });

  test("a corrupt signature is APT_SIGNATURE_INVALID", async () => {
    const bad = await startAptRepo({ corruptSignature: true });
    try {
      const bytes = await readFile(join(bad.dir, "dists/trixie/InRelease"));
      await rejectsWith(verifyInRelease(bytes, trusted, ctx), "APT_SIGNATURE_INVALID", (err) => {
        assert.match(err.message, /bad signature/);
      });
    } finally {
      await bad.close();
    }
  });

  test("text changed after signing is APT_SIGNATURE_INVALID", async () => {
    const bad = await startAptRepo({ tamperInRelease: true });
    try {
      const bytes = await readFile(join(bad.dir, "dists/trixie/InRelease"));
      assert.match(bytes.toString(), /Suite: trixie-tampered/);
      await rejectsWith(verifyInRelease(bytes, trusted, ctx), "APT_SIGNATURE_INVALID");
    } finally {
      await bad.close();
    }
  });

  test("a key outside the keyring is APT_SIGNATURE_UNKNOWN_KEY, naming the key and --keyring", async () => {
    const other = await startAptRepo({ signWith: "other" });
    try {
      const bytes = await readFile(join(other.dir, "dists/trixie/InRelease"));
      await rejectsWith(verifyInRelease(bytes, trusted, ctx), "APT_SIGNATURE_UNKNOWN_KEY", (err) => {
        assert.ok(err.message.includes(keys.other.fingerprint), err.message);
        assert.match((err as { hint?: string }).hint ?? "", /--keyring/);
      });
      // Trusting that key makes the same file good.
      const both = await loadKeyring([keys.repo.armoredKeyPath, keys.other.publicKeyPath]);
      assert.equal((await verifyInRelease(bytes, both, ctx)).signer, keys.other.fingerprint);
    } finally {
      await other.close();
    }
  });

  test("one good signature among several by unknown keys is enough", async () => {
    const signed = await clearsign(release.toString("utf8"), keys.other, keys.repo);
    assert.equal(signed.match(/BEGIN PGP SIGNATURE/g)?.length, 1);
    const result = await verifyInRelease(Buffer.from(signed), trusted, ctx);
    assert.equal(result.signer, keys.repo.fingerprint);
  });

  test("an empty keyring trusts nothing", async () => {
    const empty: Keyring = { keys: [], fingerprints: [], sources: [] };
    await rejectsWith(verifyInRelease(inRelease, empty, ctx), "APT_SIGNATURE_UNKNOWN_KEY");
  });

  test("leading and trailing whitespace is fine, CRLF line ends too", async () => {
    const text = `\n \n${inRelease.toString("utf8")}\n\t\n`;
    assert.equal((await verifyInRelease(Buffer.from(text), trusted, ctx)).signer, keys.repo.fingerprint);
    const crlf = inRelease.toString("utf8").replaceAll("\n", "\r\n");
    const result = await verifyInRelease(Buffer.from(crlf), trusted, ctx);
    assert.equal(`${result.text}\n`, release.toString("utf8"));
  });

  test("text before the signed message is refused", async () => {
    const text = `Origin: evil\n${inRelease.toString("utf8")}`;
    await rejectsWith(verifyInRelease(Buffer.from(text), trusted, ctx), "APT_SIGNATURE_INVALID");
  });

  test("text after the signature is refused", async () => {
    const text = `${inRelease.toString("utf8")}Origin: evil\nSHA256:\n`;
    await rejectsWith(verifyInRelease(Buffer.from(text), trusted, ctx), "APT_SIGNATURE_INVALID", (err) => {
      assert.match(err.message, /after -----END PGP SIGNATURE-----/);
    });
  });

  test("two signed messages in one file are refused", async () => {
    const text = inRelease.toString("utf8") + inRelease.toString("utf8");
    await rejectsWith(verifyInRelease(Buffer.from(text), trusted, ctx), "APT_SIGNATURE_INVALID");
  });

  test("an unescaped armor line inside the signed text is refused", async () => {
    // The shape of an attempt to make a parser take the second frame for the text.
    const original = inRelease.toString("utf8");
    const text = original.replace("\n\nOrigin:", `\n\n-----BEGIN PGP SIGNED MESSAGE-----\nOrigin:`);
    await rejectsWith(verifyInRelease(Buffer.from(text), trusted, ctx), "APT_SIGNATURE_INVALID", (err) => {
      assert.match(err.message, /not dash-escaped/);
    });
  });

  test("armor headers other than Hash are refused", async () => {
    const text = inRelease.toString("utf8").replace("Hash: SHA256\n", "Hash: SHA256\nComment: hello\n");
    await rejectsWith(verifyInRelease(Buffer.from(text), trusted, ctx), "APT_SIGNATURE_INVALID");
  });

  test("a Release with no signature is refused", async () => {
    await rejectsWith(verifyInRelease(release, trusted, ctx), "APT_SIGNATURE_INVALID");
    const unsigned = inRelease.toString("utf8").replace(/-----BEGIN PGP SIGNATURE-----[\s\S]*$/, "");
    await rejectsWith(verifyInRelease(Buffer.from(unsigned), trusted, ctx), "APT_SIGNATURE_INVALID");
    const unterminated = inRelease.toString("utf8").replace("-----END PGP SIGNATURE-----", "");
    await rejectsWith(verifyInRelease(Buffer.from(unterminated), trusted, ctx), "APT_SIGNATURE_INVALID");
    await rejectsWith(verifyInRelease(new Uint8Array(0), trusted, ctx), "APT_SIGNATURE_INVALID");
  });

  test("bytes that are not UTF-8 are refused", async () => {
    const bytes = Buffer.concat([
      inRelease.subarray(0, 60),
      Buffer.from([0xff, 0xfe]),
      inRelease.subarray(60),
    ]);
    await rejectsWith(verifyInRelease(bytes, trusted, ctx), "APT_SIGNATURE_INVALID");
  });

  test("dash-escaped lines come back unescaped; trailing blanks are not part of the text", async () => {
    const original = [
      "Origin: test",
      "-----BEGIN PGP SIGNATURE-----",
      "- a list item",
      "-x",
      "From the start",
      "trailing blanks   \t",
      "",
      "last",
    ].join("\n");
    const signed = await clearsign(`${original}\n`, keys.repo);
    assert.match(signed, /^- -----BEGIN PGP SIGNATURE-----$/m, "gpg dash-escaped the armor-like line");
    assert.match(signed, /^- - a list item$/m);
    const result = await verifyInRelease(Buffer.from(signed), trusted, ctx);
    assert.equal(result.text, original.replace("trailing blanks   \t", "trailing blanks"));
  });
});

describe("Release with Release.gpg", () => {
  test("a good detached signature gives back the Release text", async () => {
    const signature = await readFile(join(repo.dir, "dists/trixie/Release.gpg"));
    assert.ok((signature[0] & 0x80) !== 0, "gpg wrote a binary signature");
    const result = await verifyDetached(release, signature, trusted, {
      url: `${repo.url}/dists/trixie/Release`,
    });
    assert.equal(result.text, release.toString("utf8"));
    assert.equal(result.signer, keys.repo.fingerprint);
  });

  test("an armored detached signature works too", async () => {
    const armored = await startAptRepo({ releaseGpg: "armored", inRelease: false });
    try {
      const dists = join(armored.dir, "dists/trixie");
      const signature = await readFile(join(dists, "Release.gpg"));
      assert.match(signature.toString(), /^-----BEGIN PGP SIGNATURE-----/);
      const result = await verifyDetached(await readFile(join(dists, "Release")), signature, trusted, ctx);
      assert.equal(result.signer, keys.repo.fingerprint);
    } finally {
      await armored.close();
    }
  });

  test("a Release changed after signing is APT_SIGNATURE_INVALID", async () => {
    const signature = await readFile(join(repo.dir, "dists/trixie/Release.gpg"));
    const changed = Buffer.from(release.toString("utf8").replace("Suite: trixie", "Suite: trixie-evil"));
    await rejectsWith(verifyDetached(changed, signature, trusted, ctx), "APT_SIGNATURE_INVALID");
  });

  test("a corrupt or unknown detached signature is refused", async () => {
    for (const [options, code] of [
      [{ corruptSignature: true }, "APT_SIGNATURE_INVALID"],
      [{ corruptSignature: true, releaseGpg: "armored" }, "APT_SIGNATURE_INVALID"],
      [{ signWith: "other" }, "APT_SIGNATURE_UNKNOWN_KEY"],
    ] as const) {
      const bad = await startAptRepo(options);
      try {
        const dists = join(bad.dir, "dists/trixie");
        const [text, signature] = await Promise.all([
          readFile(join(dists, "Release")),
          readFile(join(dists, "Release.gpg")),
        ]);
        await rejectsWith(verifyDetached(text, signature, trusted, ctx), code);
      } finally {
        await bad.close();
      }
    }
  });

  test("a signature file that is not a signature is refused", async () => {
    await rejectsWith(verifyDetached(release, Buffer.from("hello\n"), trusted, ctx), "APT_SIGNATURE_INVALID");
    await rejectsWith(
      verifyDetached(release, await readFile(keys.repo.publicKeyPath), trusted, ctx),
      "APT_SIGNATURE_INVALID",
    );
  });
});

// Key lifetimes are set with openpgp.js, which can date keys and signatures
// in the past; gpg cannot sign with a key outside its lifetime.
describe("key validity at signing time", () => {
  const created = new Date("2020-01-01T00:00:00Z");
  const text = "Origin: test\nSHA256:\n";

  async function signAt(key: openpgp.PrivateKey, date: Date): Promise<Buffer> {
    const message = await openpgp.createCleartextMessage({ text });
    return Buffer.from(await openpgp.sign({ message, signingKeys: key, date }));
  }

  test("a key that has expired since it signed is still good for that signature", async () => {
    const { privateKey } = await openpgp.generateKey({
      userIDs: [{ name: "expires" }],
      date: created,
      keyExpirationTime: 30 * 86400,
      format: "object",
    });
    const signed = await signAt(privateKey, new Date("2020-01-10T00:00:00Z"));
    const ring = await keyringFromBytes(privateKey.toPublic().write(), "expires.gpg");
    const result = await verifyInRelease(signed, ring, ctx);
    assert.equal(result.signer, privateKey.getFingerprint().toUpperCase());
  });

  test("a signature made after the key expired is refused", async () => {
    const { privateKey } = await openpgp.generateKey({
      userIDs: [{ name: "k" }],
      date: created,
      format: "object",
    });
    const signed = await signAt(privateKey, new Date("2020-03-01T00:00:00Z"));
    // The same key, its self-signature now saying it expired a day after creation.
    const { publicKey } = await openpgp.reformatKey({
      privateKey,
      userIDs: [{ name: "k" }],
      keyExpirationTime: 86400,
      date: created,
      format: "object",
    });
    const ring = await keyringFromBytes(publicKey.write(), "expired.gpg");
    await rejectsWith(verifyInRelease(signed, ring, ctx), "APT_SIGNATURE_INVALID", (err) => {
      assert.match(err.message, /expired/);
    });
  });

  test("a revoked key's signature is refused", async () => {
    const { privateKey } = await openpgp.generateKey({
      userIDs: [{ name: "r" }],
      date: created,
      format: "object",
    });
    const signed = await signAt(privateKey, new Date("2020-03-01T00:00:00Z"));
    const { publicKey } = await openpgp.revokeKey({
      key: privateKey,
      date: new Date("2021-01-01T00:00:00Z"),
      reasonForRevocation: { flag: openpgp.enums.reasonForRevocation.keyCompromised },
      format: "object",
    });
    const ring = await keyringFromBytes(publicKey.write(), "revoked.gpg");
    await rejectsWith(verifyInRelease(signed, ring, ctx), "APT_SIGNATURE_INVALID", (err) => {
      assert.match(err.message, /revoked/);
    });
  });

  test("a signature dated in the future is refused", async () => {
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: "f" }], format: "object" });
    const signed = await signAt(privateKey, new Date(Date.now() + 2 * 86400_000));
    const ring = await keyringFromBytes(privateKey.toPublic().write(), "future.gpg");
    await rejectsWith(verifyInRelease(signed, ring, ctx), "APT_SIGNATURE_INVALID");
  });
});
