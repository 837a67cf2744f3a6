// Signing keys in cosign's files: `cosign.key` (an ENCRYPTED SIGSTORE
// PRIVATE KEY, see encrypted-key.ts) and `cosign.pub` (a PEM SPKI PUBLIC
// KEY). Plain PEM private keys (PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE
// KEY`, RSA) are read too, so a key from openssl or a KMS export works.

import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { chmod, link, lstat, rename, rm, writeFile } from "node:fs/promises";
import { CudasealError } from "../errors.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import { decryptKey, encryptKey } from "./encrypted-key.ts";
import { decodePem, encodePem } from "./pem.ts";

/** The PEM type cosign (v2) writes its private keys under. */
export const SIGSTORE_PRIVATE_KEY = "ENCRYPTED SIGSTORE PRIVATE KEY";
/** The type cosign v1 wrote; still read. */
export const COSIGN_PRIVATE_KEY = "ENCRYPTED COSIGN PRIVATE KEY";

/** A new key pair in cosign's two files' contents. */
export interface KeyPairPem {
  privateKey: string;
  publicKey: string;
}

/** Generate an ECDSA P-256 key pair, the private key encrypted with `password` as cosign does. */
export async function generateKeyPair(password: string): Promise<KeyPairPem> {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateKey: await encryptPrivateKey(privateKey, password), publicKey: publicKeyPem(publicKey) };
}

/** `key` in cosign's encrypted PEM. */
export async function encryptPrivateKey(key: KeyObject, password: string): Promise<string> {
  const der = key.export({ format: "der", type: "pkcs8" });
  return encodePem(SIGSTORE_PRIVATE_KEY, await encryptKey(der, password));
}

/** `key` (public, or the public half of a private key) as a PEM SPKI `PUBLIC KEY`. */
export function publicKeyPem(key: KeyObject): string {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return encodePem("PUBLIC KEY", pub.export({ format: "der", type: "spki" }));
}

/** Where a password comes from when a key needs one; called only for encrypted keys. */
export type PasswordSource = () => Promise<string>;

/** Read a private key: cosign's encrypted format (asking `password` for the password) or plain PEM. */
export async function parsePrivateKey(
  text: string,
  password: PasswordSource,
  what = "the private key",
): Promise<KeyObject> {
  const block = decodePem(text, what);
  let key: KeyObject;
  if (block.type === SIGSTORE_PRIVATE_KEY || block.type === COSIGN_PRIVATE_KEY) {
    const der = await decryptKey(block.bytes, await password(), what);
    key = importKey(() => createPrivateKey({ key: der, format: "der", type: "pkcs8" }), what);
  } else if (block.type === "ENCRYPTED PRIVATE KEY") {
    const passphrase = await password();
    try {
      key = createPrivateKey({ key: text, format: "pem", passphrase });
    } catch (err) {
      throw new CudasealError("KEY_PASSWORD_WRONG", `cannot decrypt ${what}: wrong password`, { cause: err });
    }
  } else if (
    block.type === "PRIVATE KEY" ||
    block.type === "EC PRIVATE KEY" ||
    block.type === "RSA PRIVATE KEY"
  ) {
    key = importKey(() => createPrivateKey({ key: text, format: "pem" }), what);
  } else {
    throw new CudasealError("KEY_INVALID", `${what} is a ${block.type}, not a private key`, {
      hint:
        block.type === "PUBLIC KEY"
          ? "sign with the private key (cosign.key); verify with the public one"
          : undefined,
    });
  }
  checkSupported(key, what);
  return key;
}

/** Read a public key (PEM SPKI), or take the public half of a plain private key. */
export function parsePublicKey(text: string, what = "the public key"): KeyObject {
  const block = decodePem(text, what);
  if (block.type === SIGSTORE_PRIVATE_KEY || block.type === COSIGN_PRIVATE_KEY) {
    throw new CudasealError("KEY_INVALID", `${what} is a private key`, {
      hint: "verify with the public key (cosign.pub); 'cosign public-key --key cosign.key' prints it",
    });
  }
  const key = importKey(() => createPublicKey({ key: text, format: "pem" }), what);
  checkSupported(key, what);
  return key;
}

/** Read a private key file. */
export async function readPrivateKey(path: string, password: PasswordSource): Promise<KeyObject> {
  return parsePrivateKey(await readKeyFile(path, "signing key"), password, path);
}

/** Read a public key file. */
export async function readPublicKey(path: string): Promise<KeyObject> {
  return parsePublicKey(await readKeyFile(path, "public key"), path);
}

/**
 * Write `pair` as `<prefix>.key` (mode 0600) and `<prefix>.pub`. Existing
 * files are refused (KEY_EXISTS) unless `force`: a lost private key cannot
 * be had back, and images signed with it could no longer be re-signed.
 */
export async function writeKeyPair(
  pair: KeyPairPem,
  prefix: string,
  options: { force?: boolean } = {},
): Promise<{ privateKeyPath: string; publicKeyPath: string }> {
  const privateKeyPath = `${prefix}.key`;
  const publicKeyPath = `${prefix}.pub`;
  const files = [
    [privateKeyPath, pair.privateKey, 0o600],
    [publicKeyPath, pair.publicKey, 0o644],
  ] as const;
  // Both are checked before either is written: a new .key beside an old .pub
  // would be a pair that does not match.
  if (!options.force) {
    for (const [path] of files) {
      if ((await lstat(path).catch(() => undefined)) !== undefined) throw keyExists(path);
    }
  }
  for (const [path, text, mode] of files) {
    // Written under a temporary name created with its final mode (the private
    // key is never readable by others, not even for a moment), then moved
    // into place: a replaced file or symlink is swapped, never written through.
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      await writeFile(tmp, text, { flag: "wx", mode });
      await chmod(tmp, mode);
      if (options.force) await rename(tmp, path);
      else await link(tmp, path); // fails with EEXIST rather than replace a file made meanwhile
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") throw keyExists(path);
      throw new CudasealError("OUTPUT_FAILED", `cannot write ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    } finally {
      await rm(tmp, { force: true });
    }
  }
  return { privateKeyPath, publicKeyPath };
}

function keyExists(path: string): CudasealError {
  return new CudasealError("KEY_EXISTS", `${path} already exists`, {
    hint: "pass --force to replace it, or --output-key-prefix to write elsewhere",
    details: { path },
  });
}

async function readKeyFile(path: string, what: string): Promise<string> {
  try {
    // A device, a FIFO or a file past 64 KiB is refused before it is read: no key is that large.
    return (await readRegularFile(path, { what, max: 64 * 1024 })).toString("utf8");
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("KEY_INVALID", `cannot read key ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function importKey(make: () => KeyObject, what: string): KeyObject {
  try {
    return make();
  } catch (err) {
    throw new CudasealError("KEY_INVALID", `${what} is not a valid key: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Cosign's key types: ECDSA on the NIST curves, RSA, Ed25519. */
function checkSupported(key: KeyObject, what: string): void {
  const type = key.asymmetricKeyType;
  if (type === "ec" || type === "rsa" || type === "ed25519") return;
  throw new CudasealError("KEY_UNSUPPORTED", `${what} is a ${type} key`, {
    hint: "use an ECDSA (P-256), RSA or Ed25519 key, e.g. from 'cudaseal generate-key-pair'",
  });
}
