// A Sigstore trusted root (`trusted_root.json`): the Fulcio certificate
// authorities, Rekor logs, timestamp authorities and CT logs a keyless
// bundle is checked against. The file is hostile input like any other: it is
// read under a cap, parsed by the Sigstore protobuf types, and every key and
// certificate in it is decoded here, so that a broken root is one coded error
// (TRUSTED_ROOT_INVALID) up front rather than a crash in the middle of a
// verification. A validity interval must have its start: a missing bound is a
// malformed root, not an unbounded one (as the conformance suite requires).

import { fileURLToPath } from "node:url";
import { X509Certificate } from "@sigstore/core";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { type TrustMaterial, toTrustMaterial } from "@sigstore/verify";
import { CudasealError } from "../errors.ts";
import { readJsonFile } from "./json-file.ts";

/** The most bytes a trusted_root.json may have: the public-good one is under 10 KB. */
export const MAX_TRUSTED_ROOT_BYTES = 1024 * 1024;

const MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\+json;version=0\.\d+|\.v0\.\d+\+json)$/;

/**
 * The Sigstore public-good instance's trusted root, as its TUF repository
 * published it (sigstore/root-signing, targets/trusted_root.json), shipped
 * with cudaseal: the default when no --trusted-root is given, with no
 * network. A key rotated after it was taken needs --trusted-root.
 */
export const PUBLIC_GOOD_TRUSTED_ROOT = new URL(
  "../../data/sigstore/public-good-trusted-root.json",
  import.meta.url,
);

/** A trusted root and where it came from, for messages and --json. */
export interface LoadedTrustedRoot {
  root: unknown;
  /** The file named, or "public-good" for the one shipped. */
  source: string;
}

/** The trusted root in `path`, or the shipped public-good one when `path` is undefined. */
export async function loadTrustedRoot(path?: string): Promise<LoadedTrustedRoot> {
  if (path !== undefined) return { root: await readTrustedRoot(path), source: path };
  return { root: await readTrustedRoot(fileURLToPath(PUBLIC_GOOD_TRUSTED_ROOT)), source: "public-good" };
}

/** Read and parse a trusted_root.json file, capped; TRUSTED_ROOT_INVALID when it cannot be read or is not JSON. */
export function readTrustedRoot(path: string): Promise<unknown> {
  return readJsonFile(path, {
    what: "trusted root",
    max: MAX_TRUSTED_ROOT_BYTES,
    unreadable: "TRUSTED_ROOT_INVALID",
    notJson: "TRUSTED_ROOT_INVALID",
  });
}

const parsed = new WeakMap<object, TrustMaterial>();

/**
 * The trust material of a parsed trusted_root.json, checked: every key and
 * certificate decodes, every validity interval has a start, and at least one
 * certificate authority or transparency log remains.
 */
export function trustMaterialOf(json: unknown, what = "the trusted root"): TrustMaterial {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw invalid(what, "is not a JSON object");
  }
  const known = parsed.get(json);
  if (known !== undefined) return known;
  const mediaType = (json as { mediaType?: unknown }).mediaType;
  if (typeof mediaType !== "string" || !MEDIA_TYPE.test(mediaType)) {
    throw invalid(what, `has media type ${JSON.stringify(mediaType)}, not a Sigstore trusted root's`);
  }
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(json);
  } catch (err) {
    throw invalid(what, `cannot be read: ${(err as Error).message}`, err);
  }
  checkRoot(root, what);
  let material: TrustMaterial;
  try {
    material = toTrustMaterial(root);
  } catch (err) {
    throw invalid(what, `holds a key or certificate that cannot be read: ${(err as Error).message}`, err);
  }
  if (material.certificateAuthorities.length === 0 && material.tlogs.length === 0) {
    throw invalid(what, "has no certificate authority and no transparency log: nothing could verify");
  }
  parsed.set(json, material);
  return material;
}

function checkRoot(root: TrustedRoot, what: string): void {
  const logs = [
    ...root.tlogs.map((l, i) => [`tlogs[${i}]`, l] as const),
    ...root.ctlogs.map((l, i) => [`ctlogs[${i}]`, l] as const),
  ];
  for (const [where, log] of logs) {
    if (log.publicKey?.rawBytes === undefined || log.publicKey.rawBytes.length === 0) {
      throw invalid(what, `${where} has no public key`);
    }
    if (log.logId?.keyId === undefined || log.logId.keyId.length === 0) {
      throw invalid(what, `${where} has no log ID`);
    }
    if (log.publicKey.validFor?.start === undefined) {
      throw invalid(what, `${where}: the key's validFor has no start`);
    }
  }
  const authorities = [
    ...root.certificateAuthorities.map((a, i) => [`certificateAuthorities[${i}]`, a] as const),
    ...root.timestampAuthorities.map((a, i) => [`timestampAuthorities[${i}]`, a] as const),
  ];
  for (const [where, ca] of authorities) {
    const certs = ca.certChain?.certificates ?? [];
    if (certs.length === 0) throw invalid(what, `${where} has no certificates`);
    for (const [i, cert] of certs.entries()) {
      try {
        X509Certificate.parse(Buffer.from(cert.rawBytes));
      } catch (err) {
        throw invalid(what, `${where}.certChain.certificates[${i}] is not a certificate`, err);
      }
    }
    if (ca.validFor?.start === undefined) throw invalid(what, `${where}: validFor has no start`);
  }
}

function invalid(what: string, message: string, cause?: unknown): CudasealError {
  return new CudasealError("TRUSTED_ROOT_INVALID", `${what} ${message}`, {
    cause,
    hint: "pass a Sigstore trusted_root.json (e.g. the one 'cosign trusted-root create' writes, or the TUF target)",
  });
}
