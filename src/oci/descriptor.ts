// Content descriptors: how one OCI object names another (media type, digest,
// size), and the JSON blobs cudaseal makes itself (configs, manifests,
// indexes), which carry their bytes so writers never serialise twice.

import { createHash } from "node:crypto";
import { CudasealError } from "../errors.ts";
import { canonicalJsonBytes } from "./canonical-json.ts";
import type { Platform } from "./platform.ts";

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

/** A JSON object serialised canonically, with the descriptor of its bytes. */
export interface JsonBlob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Buffer;
}

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** True for a well-formed `sha256:<64 hex>` digest, the only algorithm cudaseal writes. */
export function isSha256Digest(digest: string): boolean {
  return SHA256_DIGEST.test(digest);
}

/** The hex part of a sha256 digest; throws IMAGE_INVALID for anything else, since it becomes a file name. */
export function digestHex(digest: string): string {
  if (!isSha256Digest(digest)) {
    throw new CudasealError("IMAGE_INVALID", `not a sha256 digest: ${JSON.stringify(digest)}`);
  }
  return digest.slice("sha256:".length);
}

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Serialise `value` canonically and describe the result. */
export function jsonBlob(mediaType: string, value: unknown): JsonBlob {
  const bytes = canonicalJsonBytes(value);
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length, bytes };
}

/** The plain descriptor of a blob (no annotations or platform). */
export function describe(blob: { mediaType: string; digest: string; size: number }): Descriptor {
  return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size };
}
