import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import {
  BUILTIN_KEYRING_PATH,
  builtinKeyring,
  keyringFromBytes,
  loadKeyring,
  loadKeyringFile,
  mergeKeyrings,
} from "../../src/apt/keyring.ts";
import { isCudasealError } from "../../src/errors.ts";
import { type TestKeys, testKeys } from "../helpers/apt-repo.ts";

const run = promisify(execFile);

// The keys shipped in keys/ (see keys/README.md): Debian 12 and 13 archive,
// security and stable release keys, primary fingerprints.
const DEBIAN_FINGERPRINTS = [
  "B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8", // Archive Automatic Signing Key (12/bookworm)
  "05AB90340C0C5E797F44A8C8254CF3B5AEC0A8F0", // Security Archive Automatic Signing Key (12/bookworm)
  "4D64FEC119C2029067D6E791F8D2585B8783D481", // Stable Release Key (12/bookworm)
  "04B54C3CDCA79751B16BC6B5225629DF75B188BD", // Archive Automatic Signing Key (13/trixie)
  "5E04A1E3223A19A20706E20F9904613D4CCE68C6", // Security Archive Automatic Signing Key (13/trixie)
  "41587F7DB8C774BCCF131416762F67A0B2C39DE4", // Stable Release Key (13/trixie)
];

let keys: TestKeys;
let dir: string;

before(async () => {
  keys = await testKeys();
  dir = await mkdtemp(join(tmpdir(), "cudaseal-keyring-"));
});
after(() => rm(dir, { recursive: true, force: true }));

async function write(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function rejectsInvalid(promise: Promise<unknown>, path?: string): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(isCudasealError(err, "KEYRING_INVALID"), `expected KEYRING_INVALID, got ${err}`);
    if (path !== undefined) {
      assert.ok(err.message.includes(path), `message names the file: ${err.message}`);
      assert.equal(err.details?.keyring, path);
    }
    return true;
  });
}

describe("loading keys", () => {
  test("an ASCII-armored public key", async () => {
    const ring = await loadKeyringFile(keys.repo.armoredKeyPath);
    assert.deepEqual(ring.fingerprints, [keys.repo.fingerprint]);
    assert.equal(ring.keys.length, 1);
    assert.deepEqual(ring.sources, [keys.repo.armoredKeyPath]);
  });

  test("a binary public key", async () => {
    const ring = await loadKeyringFile(keys.repo.publicKeyPath);
    assert.deepEqual(ring.fingerprints, [keys.repo.fingerprint]);
  });

  test("a binary keyring of concatenated keys", async () => {
    const bytes = Buffer.concat([
      await readFile(keys.repo.publicKeyPath),
      await readFile(keys.other.publicKeyPath),
    ]);
    const ring = await loadKeyringFile(await write("two.gpg", bytes));
    assert.deepEqual(ring.fingerprints, [keys.repo.fingerprint, keys.other.fingerprint]);
  });

  test("an armored file with two key blocks and text around them", async () => {
    const text =
      "Keys for the test repository.\n\n" +
      (await readFile(keys.repo.armoredKeyPath, "utf8")) +
      "\nand another:\n" +
      (await readFile(keys.other.armoredKeyPath, "utf8"));
    const ring = await loadKeyringFile(await write("two.asc", text));
    assert.deepEqual(ring.fingerprints, [keys.repo.fingerprint, keys.other.fingerprint]);
  });

  test("one armored block holding two keys (gpg --export --armor A B)", async () => {
    const { stdout } = await run(
      "gpg",
      ["--batch", "--armor", "--export", keys.repo.fingerprint, keys.other.fingerprint],
      {
        env: { ...process.env, GNUPGHOME: keys.home },
      },
    );
    const ring = await keyringFromBytes(Buffer.from(stdout), "both.asc");
    assert.deepEqual(new Set(ring.fingerprints), new Set([keys.repo.fingerprint, keys.other.fingerprint]));
  });

  test("several files merge, a key named twice is kept once", async () => {
    const ring = await loadKeyring([
      keys.repo.publicKeyPath,
      keys.repo.armoredKeyPath,
      keys.other.armoredKeyPath,
    ]);
    assert.deepEqual(ring.fingerprints, [keys.repo.fingerprint, keys.other.fingerprint]);
    assert.equal(ring.keys.length, 2);
    assert.equal(ring.sources.length, 3);
    const merged = mergeKeyrings([ring, await loadKeyringFile(keys.other.publicKeyPath)]);
    assert.deepEqual(merged.fingerprints, ring.fingerprints);
  });
});

describe("the built-in Debian keyring", () => {
  test("is the file under keys/ and holds the Debian 12 and 13 keys", async () => {
    assert.match(BUILTIN_KEYRING_PATH, /keys[/\\]debian-archive-keyring\.pgp$/);
    const ring = await builtinKeyring();
    assert.deepEqual(ring.fingerprints, DEBIAN_FINGERPRINTS);
    assert.ok(ring.keys.every((key) => !key.isPrivate()));
    assert.equal(await builtinKeyring(), ring, "read once per process");
  });

  test("names the subkeys that sign the archives", async () => {
    const ring = await builtinKeyring();
    const subkeys = ring.keys.flatMap((key) => key.subkeys.map((sub) => sub.getFingerprint().toUpperCase()));
    // gpgv reports these as the signers of trixie and trixie-security.
    assert.ok(subkeys.includes("B8E5F13176D2A7A75220028078DBA3BC47EF2265"));
    assert.ok(subkeys.includes("89C87ACEA5DD6B8E6A7068808E9F831205B4BA95"));
  });
});

describe("refused keyrings", () => {
  test("garbage bytes", async () => {
    const path = await write("garbage.gpg", Buffer.from("this is not a key\n\x00\x01\x02"));
    await rejectsInvalid(loadKeyringFile(path), path);
  });

  test("an empty file", async () => {
    const path = await write("empty.gpg", "");
    await rejectsInvalid(loadKeyringFile(path), path);
  });

  test("a missing file", async () => {
    const path = join(dir, "missing.gpg");
    await rejectsInvalid(loadKeyring([keys.repo.publicKeyPath, path]), path);
  });

  test("a directory, a FIFO or /dev/zero is INPUT_NOT_REGULAR, never waited on or read", async () => {
    const fifo = join(dir, "keyring-fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    for (const path of [dir, fifo, "/dev/zero"]) {
      await assert.rejects(loadKeyringFile(path), (err) => isCudasealError(err, "INPUT_NOT_REGULAR"));
    }
  });

  test("no file at all", async () => {
    await rejectsInvalid(loadKeyring([]));
  });

  test("an armored block that is never closed", async () => {
    const text = (await readFile(keys.repo.armoredKeyPath, "utf8")).replace(
      /-----END PGP PUBLIC KEY BLOCK-----/,
      "",
    );
    const path = await write("open.asc", text);
    await rejectsInvalid(loadKeyringFile(path), path);
  });

  test("an armored block with a damaged body", async () => {
    const text = (await readFile(keys.repo.armoredKeyPath, "utf8")).replace(
      /\n\n[A-Za-z0-9+/]{20}/,
      "\n\n!!!!!!!!!!!!!!!!!!!!",
    );
    const path = await write("damaged.asc", text);
    await rejectsInvalid(loadKeyringFile(path), path);
  });

  test("armor that is not a key (a signature)", async () => {
    const { stdout } = await run(
      "gpg",
      ["--batch", "--armor", "--detach-sign", "--output", "-", keys.repo.publicKeyPath],
      {
        env: { ...process.env, GNUPGHOME: keys.home },
      },
    );
    const path = await write("sig.asc", stdout);
    await rejectsInvalid(loadKeyringFile(path), path);
  });

  test("a private key", async () => {
    const { stdout } = await run(
      "gpg",
      [
        "--batch",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "",
        "--armor",
        "--export-secret-keys",
        keys.other.fingerprint,
      ],
      { env: { ...process.env, GNUPGHOME: keys.home } },
    );
    const path = await write("secret.asc", stdout);
    await rejectsInvalid(loadKeyringFile(path), path);
  });

  test("a GnuPG keybox, with a hint to export", async () => {
    const path = join(keys.home, "pubring.kbx");
    await assert.rejects(loadKeyringFile(path), (err) => {
      assert.ok(isCudasealError(err, "KEYRING_INVALID"));
      assert.match(err.hint ?? "", /gpg --export/);
      return true;
    });
  });
});
