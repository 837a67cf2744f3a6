// Cosign's encrypted private key: the PEM body is JSON
//
//   {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":B64},
//    "cipher":{"name":"nacl/secretbox","nonce":B64},"ciphertext":B64}
//
// (go-securesystemslib's `encrypted` package, as sigstore's cryptoutils calls
// it): a 32-byte key from scrypt(password, salt), and NaCl secretbox
// (XSalsa20-Poly1305) with a 24-byte nonce over the PKCS#8 DER private key.
// Go writes []byte fields as standard base64 with padding.

import { randomBytes, scrypt } from "node:crypto";
import nacl from "tweetnacl";
import { CudasealError } from "../errors.ts";

/** The scrypt cost cosign writes (go-securesystemslib's default since 2022). */
export const SCRYPT_PARAMS = { N: 65536, r: 8, p: 1 } as const;

/** Largest scrypt cost accepted from a key file: 2^20 × r 8 is 1 GiB of memory, a hostile file's limit. */
const MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024;

interface EncryptedKeyJson {
  kdf: { name: "scrypt"; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: "nacl/secretbox"; nonce: string };
  ciphertext: string;
}

/** Encrypt `plaintext` (a PKCS#8 DER key) under `password` as cosign does; returns the JSON body. */
export async function encryptKey(plaintext: Uint8Array, password: string): Promise<Buffer> {
  const salt = randomBytes(32);
  const nonce = randomBytes(nacl.secretbox.nonceLength);
  const key = await deriveKey(password, salt, SCRYPT_PARAMS);
  const ciphertext = nacl.secretbox(plaintext, nonce, key);
  const doc: EncryptedKeyJson = {
    kdf: { name: "scrypt", params: { ...SCRYPT_PARAMS }, salt: salt.toString("base64") },
    cipher: { name: "nacl/secretbox", nonce: nonce.toString("base64") },
    ciphertext: Buffer.from(ciphertext).toString("base64"),
  };
  return Buffer.from(JSON.stringify(doc), "utf8");
}

/** Decrypt cosign's JSON body with `password`: KEY_PASSWORD_WRONG when the box does not open. */
export async function decryptKey(body: Uint8Array, password: string, what: string): Promise<Buffer> {
  const doc = parse(body, what);
  const salt = Buffer.from(doc.kdf.salt, "base64");
  const nonce = Buffer.from(doc.cipher.nonce, "base64");
  if (nonce.length !== nacl.secretbox.nonceLength) {
    throw new CudasealError("KEY_INVALID", `${what}: the secretbox nonce is ${nonce.length} bytes, not 24`);
  }
  const key = await deriveKey(password, salt, doc.kdf.params);
  const opened = nacl.secretbox.open(Buffer.from(doc.ciphertext, "base64"), nonce, key);
  if (opened === null) {
    throw new CudasealError(
      "KEY_PASSWORD_WRONG",
      `cannot decrypt ${what}: wrong password (or a damaged key)`,
      {
        hint: "set COSIGN_PASSWORD to the password the key was made with",
      },
    );
  }
  return Buffer.from(opened);
}

function parse(body: Uint8Array, what: string): EncryptedKeyJson {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body).toString("utf8"));
  } catch (err) {
    throw new CudasealError("KEY_INVALID", `${what}: the encrypted key is not JSON`, { cause: err });
  }
  const d = doc as Partial<EncryptedKeyJson> | null;
  const params = d?.kdf?.params;
  if (
    d?.kdf?.name !== "scrypt" ||
    d.cipher?.name !== "nacl/secretbox" ||
    typeof d.kdf.salt !== "string" ||
    typeof d.cipher.nonce !== "string" ||
    typeof d.ciphertext !== "string" ||
    !params ||
    ![params.N, params.r, params.p].every((n) => Number.isSafeInteger(n) && n > 0)
  ) {
    throw new CudasealError("KEY_UNSUPPORTED", `${what}: not an scrypt + nacl/secretbox encrypted key`, {
      hint: "cosign's format is the only encrypted one read; decrypt others to PKCS#8 PEM first",
    });
  }
  return d as EncryptedKeyJson;
}

function deriveKey(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  const memory = 128 * params.N * params.r;
  if (memory > MAX_SCRYPT_MEMORY || params.p > 16) {
    throw new CudasealError(
      "KEY_UNSUPPORTED",
      `the key's scrypt cost (N=${params.N}, r=${params.r}) is too high`,
    );
  }
  return new Promise((resolve, reject) => {
    scrypt(
      password,
      salt,
      32,
      { N: params.N, r: params.r, p: params.p, maxmem: memory * 2 + 1024 * 1024 },
      (err, key) =>
        err
          ? reject(new CudasealError("KEY_INVALID", `scrypt failed: ${err.message}`, { cause: err }))
          : resolve(key),
    );
  });
}
