// An artifact read once as a stream, for `verify-blob` of files of any size:
// its digest and the signature check are fed chunk by chunk, so the file is
// never held in memory. Signature checks that need the whole message at
// once (Ed25519, which hashes inside the signature) cannot be fed this way;
// those fail as a signature that does not verify.

import { createHash, createVerify, type KeyObject, type Verify } from "node:crypto";

/** A read artifact: its digest under the bundle's algorithm, and a one-pass signature check. */
export interface StreamedArtifact {
  readonly kind: "streamed";
  /** The node:crypto name of the digest (sha256, sha384, sha512). */
  readonly algorithm: string;
  readonly digest: Buffer;
  /** Its SHA-256, whatever `algorithm` is: in-toto subjects name it. */
  readonly sha256: Buffer;
  /** Whether `signature` over the artifact verifies with `key` (ECDSA and RSA). */
  verify(key: KeyObject, signature: Buffer): boolean;
}

/** Read `chunks` once, hashing under `algorithm` (and SHA-256) and feeding a signature check. */
export async function streamArtifact(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  algorithm = "sha256",
): Promise<StreamedArtifact> {
  const hash = createHash(algorithm);
  const sha256 = algorithm === "sha256" ? hash : createHash("sha256");
  const check: Verify = createVerify(algorithm);
  for await (const chunk of chunks) {
    hash.update(chunk);
    if (sha256 !== hash) sha256.update(chunk);
    check.update(chunk);
  }
  const digest = hash.digest();
  const sha = sha256 === hash ? digest : sha256.digest();
  // A Verify object is spent by its first check: each key's answer is kept.
  const answers = new Map<KeyObject, boolean>();
  let spent = false;
  return {
    kind: "streamed",
    algorithm,
    digest,
    sha256: sha,
    verify(key, signature) {
      const known = answers.get(key);
      if (known !== undefined) return known;
      if (spent) return false;
      spent = true;
      let ok = false;
      try {
        ok = check.verify(key, signature);
      } catch {
        // A key type that cannot verify a streamed message, or a malformed signature.
        ok = false;
      }
      answers.set(key, ok);
      return ok;
    },
  };
}
