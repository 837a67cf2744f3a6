// `verify-blob`: a file and its Sigstore bundle, as cosign's `verify-blob
// --bundle` (and, for a DSSE bundle, `verify-blob-attestation`) check them.
// The bundle is read under a cap; the file is streamed once, hashed and fed
// to the signature check as it is read, so a file of any size costs one
// pass and no memory (except under an Ed25519 key, whose signature is over
// the whole message: then it is read whole, within sign-blob's cap). A
// message signature must name the file's digest; a DSSE bundle's in-toto
// statement must name it among its subjects.

import { createHash } from "node:crypto";
import { CudasealError } from "../errors.ts";
import { readRegularFile, regularFileStream } from "../util/read-regular-file.ts";
import {
  type BundleTrust,
  messageDigestAlgorithm,
  type VerifiedBundle,
  verifyBundle,
} from "./bundle-verify.ts";
import { IN_TOTO_PAYLOAD_TYPE } from "./dsse.ts";
import { readJsonFile } from "./json-file.ts";
import { parsePublicKey } from "./keys.ts";
import { MAX_SIGN_BLOB_BYTES } from "./sign-blob.ts";
import { type StreamedArtifact, streamArtifact } from "./streamed-artifact.ts";

/** The most bytes a bundle file may have: a DSSE bundle carries its statement (an SBOM can be large). */
export const MAX_BUNDLE_FILE_BYTES = 64 * 1024 * 1024;

export interface VerifyBlobOptions {
  /** The file that was signed (for a DSSE bundle: a subject of its statement). */
  artifactPath: string;
  /** The bundle file (`*.sigstore.json`). */
  bundlePath: string;
  trust: BundleTrust;
}

/** A file whose bundle verified. */
export interface VerifiedBlob extends VerifiedBundle {
  /** The file's SHA-256, hex. */
  sha256: string;
  /** For a DSSE bundle: the in-toto statement that names the file. */
  statement?: unknown;
}

/** Verify `artifactPath` against the bundle in `bundlePath`; a VERIFY_* error when it does not verify. */
export async function verifyBlob(options: VerifyBlobOptions): Promise<VerifiedBlob> {
  const bundle = await readBundleFile(options.bundlePath);
  const algorithm = messageDigestAlgorithm(bundle);
  const whole = algorithm !== undefined && isEd25519(options.trust.publicKey);
  const artifact = await readArtifact(options.artifactPath, algorithm ?? "sha256", whole);
  const verified = await verifyBundle(bundle, options.trust, artifact);
  const sha256 = Buffer.isBuffer(artifact)
    ? createHash("sha256").update(artifact).digest("hex")
    : artifact.sha256.toString("hex");
  if (verified.dsse === undefined) return { ...verified, sha256 };
  return { ...verified, sha256, statement: statementNaming(verified.dsse, sha256) };
}

/** Read and parse a bundle file, capped; VERIFY_BUNDLE_INVALID when it is not JSON. */
export function readBundleFile(path: string): Promise<unknown> {
  return readJsonFile(path, {
    what: "bundle",
    max: MAX_BUNDLE_FILE_BYTES,
    unreadable: "USAGE",
    notJson: "VERIFY_BUNDLE_INVALID",
  });
}

// An Ed25519 signature is over the whole message, so the file cannot be
// checked as it streams past: it is read whole, under the cap sign-blob
// signs within.
function isEd25519(publicKey: string | undefined): boolean {
  return publicKey !== undefined && parsePublicKey(publicKey).asymmetricKeyType === "ed25519";
}

// The file is read whole for an Ed25519 key, else streamed once.
async function readArtifact(
  path: string,
  algorithm: string,
  whole: boolean,
): Promise<Buffer | StreamedArtifact> {
  try {
    if (whole) return await readRegularFile(path, { what: "artifact", max: MAX_SIGN_BLOB_BYTES });
    return await streamArtifact(await regularFileStream(path, "artifact"), algorithm);
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("USAGE", `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

// cosign's verify-blob-attestation: the statement must be in-toto and name
// the file's SHA-256 among its subjects.
function statementNaming(dsse: NonNullable<VerifiedBundle["dsse"]>, sha256: string): unknown {
  if (dsse.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new CudasealError(
      "VERIFY_PAYLOAD_INVALID",
      `the envelope holds ${dsse.payloadType}, not an in-toto statement`,
    );
  }
  let statement: { subject?: unknown };
  try {
    statement = JSON.parse(dsse.payload.toString("utf8"));
  } catch (err) {
    throw new CudasealError("VERIFY_PAYLOAD_INVALID", "the envelope's statement is not JSON", { cause: err });
  }
  const subjects = Array.isArray(statement?.subject) ? statement.subject : [];
  const named = subjects.some(
    (s: unknown) => String((s as { digest?: { sha256?: unknown } })?.digest?.sha256).toLowerCase() === sha256,
  );
  if (!named) {
    throw new CudasealError(
      "VERIFY_DIGEST_MISMATCH",
      "the statement is about other artifacts: no subject has this file's digest",
      {
        details: { sha256 },
      },
    );
  }
  return statement;
}
