// `cudaseal attest`: an in-toto statement about an image, signed in a DSSE
// envelope and stored as cosign's `attest` stores it: in cosign 3's bundle
// format, a Sigstore bundle referrer of the image annotated with its
// predicate type (bundle-store.ts); in the older format, a layer of the
// `sha256-<hex>.att` manifest, annotated with its predicate type.

import { CudasealError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { BundleSigner } from "./bundle-signer.ts";
import { attachBundle } from "./bundle-store.ts";
import {
  appendCosignLayer,
  DSSE_ENVELOPE_MEDIA_TYPE,
  PREDICATE_TYPE_ANNOTATION,
  SIGNATURE_ANNOTATION,
} from "./cosign-manifest.ts";
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from "./dsse.ts";
import { GPU_SMOKE_PREDICATE_TYPE, type GpuSmokeReport } from "./gpu-smoke.ts";
import { childManifests, type ImageTarget } from "./image-target.ts";
import type { Signer } from "./signer.ts";
import { buildStatement, type Statement } from "./statement.ts";

export interface AttestOptions {
  /** A cosign `--type` name (spdxjson, cyclonedx, slsaprovenance1, custom…) or a predicate type URI. */
  type: string;
  /** The predicate file's bytes. */
  predicate: Uint8Array;
  /** The custom predicate's Timestamp (default: now, as cosign). */
  timestamp?: string;
}

export interface AttestResult {
  digest: string;
  statement: Statement;
  attestationManifest: Descriptor;
}

/** The statement `attest` signs about the target's manifest. */
function statementFor(target: ImageTarget, options: AttestOptions): Statement {
  const statement = buildStatement({
    type: options.type,
    predicate: options.predicate,
    repository: target.repository,
    digest: target.manifest.digest,
    timestamp: options.timestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  });
  if (statement.predicateType === GPU_SMOKE_PREDICATE_TYPE) checkSmokeImage(target, statement.predicate);
  return statement;
}

// A policy admits an image on a passing gpu-smoke attestation without
// reading which image the report says ran: a report of another image signed
// onto this one would prove nothing about it. The report names the platform
// image that ran, so the image itself or, for an index, one of its platforms.
function checkSmokeImage(target: ImageTarget, predicate: unknown): void {
  const ran = (predicate as GpuSmokeReport).image.digest;
  if (ran === target.manifest.digest || childManifests(target.manifest).includes(ran)) return;
  throw new CudasealError(
    "SMOKE_REPORT_INVALID",
    `the GPU smoke report is about ${ran}, not ${target.manifest.digest} or a platform of it`,
    {
      hint: "attest the image that ran: the one 'cudaseal run --smoke-report' was given",
      details: { reported: ran, attested: target.manifest.digest },
    },
  );
}

/** Attest the target's manifest as a Sigstore bundle referrer (cosign 3's `attest`). */
export async function attestImageBundle(
  target: ImageTarget,
  signer: BundleSigner,
  options: AttestOptions,
): Promise<AttestResult> {
  const statement = statementFor(target, options);
  const bundle = await signer.signDsse(Buffer.from(JSON.stringify(statement), "utf8"), IN_TOTO_PAYLOAD_TYPE);
  const subject: Descriptor = {
    mediaType: target.manifest.mediaType,
    digest: target.manifest.digest,
    size: target.manifest.bytes.length,
  };
  const attestationManifest = await attachBundle(target.store, subject, bundle, {
    content: "dsse-envelope",
    predicateType: statement.predicateType,
  });
  return { digest: subject.digest, statement, attestationManifest };
}

/** Attest the target's manifest under its `.att` tag (cosign 2's `attest`). */
export async function attestImage(
  target: ImageTarget,
  signer: Signer,
  options: AttestOptions,
): Promise<AttestResult> {
  const digest = target.manifest.digest;
  const statement = statementFor(target, options);
  const envelope = await signEnvelope(
    signer,
    IN_TOTO_PAYLOAD_TYPE,
    Buffer.from(JSON.stringify(statement), "utf8"),
  );
  const attestationManifest = await appendCosignLayer(target.store, digest, "att", {
    mediaType: DSSE_ENVELOPE_MEDIA_TYPE,
    payload: Buffer.from(JSON.stringify(envelope), "utf8"),
    // Cosign sets an empty signature annotation on attestation layers: the signature is inside the envelope.
    annotations: { [SIGNATURE_ANNOTATION]: "", [PREDICATE_TYPE_ANNOTATION]: statement.predicateType },
  });
  // appendCosignLayer skips only duplicates, and none is looked for here.
  return { digest, statement, attestationManifest: attestationManifest as Descriptor };
}
