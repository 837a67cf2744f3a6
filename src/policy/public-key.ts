// The public key an admission policy pins: cosign.pub, an ECDSA P-256 key
// in a PEM `PUBLIC KEY` (SPKI) block. It is checked here, before it is
// written into a policy, because a cluster would only find a bad key when
// it refuses every pod.

import { createPublicKey, type KeyObject } from "node:crypto";
import { CudasealError } from "../errors.ts";
import { readRegularFile } from "../util/read-regular-file.ts";

/** Larger than any PEM public key; a bigger file is not one. */
const MAX_KEY_FILE = 64 * 1024;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

/**
 * `text` as a canonical PEM SPKI public key (64-column base64, one trailing
 * newline): KEY_INVALID when it is not exactly one `PUBLIC KEY` block that
 * node:crypto reads, KEY_UNSUPPORTED when the key is not ECDSA P-256.
 */
export function policyPublicKey(text: string, what = "the public key"): string {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) {
    throw new CudasealError("KEY_INVALID", `${what} is not a PEM public key`, {
      hint: "expected cosign.pub: a -----BEGIN PUBLIC KEY----- block, e.g. from 'cudaseal generate-key-pair'",
    });
  }
  const types = blocks.map((b) => b[1]);
  if (types[0] !== "PUBLIC KEY") {
    throw new CudasealError("KEY_INVALID", `${what} is a ${types[0]}, not a PUBLIC KEY`, {
      hint: types[0].includes("PRIVATE")
        ? "a policy takes the public key (cosign.pub); never put the private key in a cluster"
        : "expected cosign.pub: a -----BEGIN PUBLIC KEY----- block",
      details: { pemType: types[0] },
    });
  }
  // Kyverno would read every block as a key to try; one file, one key keeps the policy saying what was meant.
  if (blocks.length > 1) {
    throw new CudasealError(
      "KEY_INVALID",
      `${what} holds ${blocks.length} PEM blocks, expected one public key`,
      {
        details: { pemTypes: types },
      },
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: blocks[0][0], format: "pem" });
  } catch (err) {
    throw new CudasealError(
      "KEY_INVALID",
      `${what} is not a readable public key: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== "ec" || curve !== "prime256v1") {
    const kind =
      key.asymmetricKeyType === "ec" ? `an EC ${curve ?? "unknown-curve"}` : `an ${key.asymmetricKeyType}`;
    throw new CudasealError("KEY_UNSUPPORTED", `${what} is ${kind} key, not ECDSA P-256`, {
      hint: "cosign's and cudaseal's key pairs are ECDSA P-256: 'cudaseal generate-key-pair' makes one",
      details: { keyType: key.asymmetricKeyType, curve },
    });
  }
  return key.export({ format: "pem", type: "spki" }).toString();
}

/** Read and check a public key file (cosign.pub); see policyPublicKey. */
export async function readPolicyPublicKey(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(path, { what: "public key", max: MAX_KEY_FILE });
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("KEY_INVALID", `cannot read key ${path}: ${(err as Error).message}`, {
      hint: "pass the public key file with --key cosign.pub",
      cause: err,
      details: { path },
    });
  }
  return policyPublicKey(bytes.toString("utf8"), path);
}
