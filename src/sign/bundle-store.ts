// Where cosign 3 keeps an image's Sigstore bundles: each bundle is its own
// OCI 1.1 referrer of the image, in the image's repository (or layout):
//
//   manifest  mediaType    application/vnd.oci.image.manifest.v1+json
//             artifactType application/vnd.dev.sigstore.bundle.v0.3+json
//             config       the empty descriptor ({} as application/vnd.oci.empty.v1+json,
//                          with the bundle's artifactType repeated on it, as cosign writes it)
//             layers       one: the bundle JSON, media type = the artifact type
//             subject      the signed manifest
//             annotations  dev.sigstore.bundle.content        "dsse-envelope"
//                          dev.sigstore.bundle.predicateType  the statement's predicate type
//                                                             (https://sigstore.dev/cosign/sign/v1
//                                                             for an image signature)
//                          org.opencontainers.image.created   when it was written
//
// The manifest is pushed by digest. A registry that indexes `subject` says
// so (OCI-Subject); for one that does not (distribution 2.x) the store adds
// the manifest to the referrers fallback index under the tag `sha256-<hex>`
// (src/registry/registry-store.ts), as go-containerregistry does for
// cosign. A layout lists it in index.json, untagged, where its referrers()
// finds it by its subject.
//
// Reading is capped: a subject with more bundle referrers than `max` is
// refused (VERIFY_TOO_MANY_REFERRERS) before any of them is fetched, and a
// bundle larger than MAX_BUNDLE, or a referrer that is not one bundle
// layer, is VERIFY_BUNDLE_INVALID.

import type { SerializedBundle } from "@sigstore/bundle";
import { CudasealError } from "../errors.ts";
import type { ArtifactStore } from "../oci/artifact-store.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { OCI_CONFIG, OCI_EMPTY, OCI_MANIFEST } from "../oci/media-types.ts";
import { cappedReferrers } from "./capped-referrers.ts";

/** The artifact type and layer media type of a cosign 3 bundle referrer. */
export const BUNDLE_ARTIFACT_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
/** How a referrers list may name a bundle referrer: its artifact type, the older spelling, the empty config's type, or not at all. */
const BUNDLE_LISTED_AS = new Set<string | undefined>([
  BUNDLE_ARTIFACT_TYPE,
  "application/vnd.dev.sigstore.bundle+json;version=0.3",
  OCI_EMPTY,
  undefined,
]);
/** Every bundle media type cosign reads starts so (`…bundle+json;version=0.3` is the older spelling). */
const BUNDLE_MEDIA_PREFIX = "application/vnd.dev.sigstore.bundle";
/** What the bundle holds: `dsse-envelope` (signatures and attestations) or `message-signature`. */
export const BUNDLE_CONTENT_ANNOTATION = "dev.sigstore.bundle.content";
/** The in-toto predicate type inside the bundle (unsigned: a filter, never trusted). */
export const BUNDLE_PREDICATE_TYPE_ANNOTATION = "dev.sigstore.bundle.predicateType";
const CREATED_ANNOTATION = "org.opencontainers.image.created";

/** Largest bundle read: an SBOM attestation of a CUDA image is a few megabytes, base64 a third more. */
export const MAX_BUNDLE = 64 * 1024 * 1024;
/** Bundle referrers of one image read at most (a referrer bomb is refused, not walked). */
export const MAX_BUNDLE_REFERRERS = 256;

/** The empty config every bundle referrer shares. */
const EMPTY_CONFIG = Buffer.from("{}", "utf8");

export interface AttachBundleOptions {
  content: "message-signature" | "dsse-envelope";
  predicateType: string;
  /** The `org.opencontainers.image.created` annotation (default: now, to the second, as cosign). */
  created?: string;
}

/** Store `bundle` as an OCI 1.1 referrer of `subject`; returns the referrer manifest's descriptor. */
export async function attachBundle(
  store: ArtifactStore,
  subject: Descriptor,
  bundle: SerializedBundle,
  opts: AttachBundleOptions,
): Promise<Descriptor> {
  const layer = await store.putBlob(Buffer.from(JSON.stringify(bundle), "utf8"), BUNDLE_ARTIFACT_TYPE);
  // Stored as an image config (what cosign uploads), named by the empty descriptor's type.
  const config = await store.putBlob(EMPTY_CONFIG, OCI_CONFIG);
  const created = opts.created ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  // Field order and the sorted annotations are go-containerregistry's, as cosign marshals them.
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: OCI_EMPTY,
      size: config.size,
      digest: config.digest,
      artifactType: BUNDLE_ARTIFACT_TYPE,
    },
    layers: [{ mediaType: BUNDLE_ARTIFACT_TYPE, size: layer.size, digest: layer.digest }],
    annotations: {
      [BUNDLE_CONTENT_ANNOTATION]: opts.content,
      [BUNDLE_PREDICATE_TYPE_ANNOTATION]: opts.predicateType,
      [CREATED_ANNOTATION]: created,
    },
    subject: { mediaType: subject.mediaType, size: subject.size, digest: subject.digest },
    artifactType: BUNDLE_ARTIFACT_TYPE,
  };
  return store.putManifest(Buffer.from(JSON.stringify(manifest), "utf8"), OCI_MANIFEST);
}

export interface FindBundlesOptions {
  /** Only bundles whose referrer says this predicate type (those that say none are kept: the statement decides). */
  predicateType?: string;
  /** More bundle referrers than this is VERIFY_TOO_MANY_REFERRERS (default MAX_BUNDLE_REFERRERS). */
  max?: number;
  /** The subject's referrers, when the caller listed them already (cappedReferrers): not listed again. */
  listed?: readonly Descriptor[];
}

/** The bundle referrers of `subject` (their manifests' descriptors, as the referrers list gives them). */
export async function findBundles(
  store: ArtifactStore,
  subject: string,
  options: FindBundlesOptions = {},
): Promise<Descriptor[]> {
  const max = options.max ?? MAX_BUNDLE_REFERRERS;
  // go-containerregistry (cosign 2.x's writer) lists a bundle in the
  // fallback index under its config's type, the empty one: those are
  // candidates too, and readBundle tells a bundle from another artifact.
  const all = options.listed ?? (await cappedReferrers(store, subject));
  const listed = all.filter((d) => BUNDLE_LISTED_AS.has(d.artifactType));
  if (listed.length > max) {
    throw new CudasealError(
      "VERIFY_TOO_MANY_REFERRERS",
      `${store.name}: ${subject} has more than ${max} Sigstore bundle referrers`,
      {
        hint: "an image with this many bundles is most likely a referrer bomb; clean the repository's referrers of this digest",
        details: { subject, max },
      },
    );
  }
  const want = options.predicateType;
  return listed.filter((d) => {
    const said = d.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION];
    return want === undefined || said === undefined || said === want;
  });
}

/** One bundle referrer read back: its bundle JSON (parsed, not yet verified) and what its manifest says. */
export interface StoredBundle {
  /** The referrer manifest's digest. */
  referrer: string;
  bundle: unknown;
  content?: string;
  predicateType?: string;
}

/**
 * Read the bundle a referrer holds; VERIFY_BUNDLE_INVALID for anything but
 * one bundle layer within MAX_BUNDLE. Undefined for a referrer that is
 * plainly another kind of artifact (listed without the bundle type, and
 * holding no bundle layer).
 */
export async function readBundle(
  store: ArtifactStore,
  referrer: Descriptor,
): Promise<StoredBundle | undefined> {
  const invalid = (why: string, cause?: unknown) =>
    new CudasealError("VERIFY_BUNDLE_INVALID", `${store.name}: bundle referrer ${referrer.digest} ${why}`, {
      cause,
      details: { referrer: referrer.digest },
    });
  const stored = await store.getManifest(referrer.digest);
  if (stored === undefined) throw invalid("is listed but not stored");
  let doc: { layers?: unknown; annotations?: Record<string, unknown> };
  try {
    doc = JSON.parse(stored.bytes.toString("utf8")) as typeof doc;
  } catch (err) {
    throw invalid("is not JSON", err);
  }
  // cosign reads exactly one layer of a bundle media type.
  const layers = Array.isArray(doc?.layers) ? (doc.layers as Descriptor[]) : [];
  const claimed = referrer.artifactType?.startsWith(BUNDLE_MEDIA_PREFIX) === true;
  if (
    !claimed &&
    !layers.some((l) => typeof l?.mediaType === "string" && l.mediaType.startsWith(BUNDLE_MEDIA_PREFIX))
  )
    return undefined;
  if (layers.length !== 1) throw invalid(`has ${layers.length} layers, not one`);
  const [layer] = layers;
  if (typeof layer?.mediaType !== "string" || !layer.mediaType.startsWith(BUNDLE_MEDIA_PREFIX))
    throw invalid("holds no Sigstore bundle layer");
  if (typeof layer.digest !== "string" || typeof layer.size !== "number" || layer.size < 0)
    throw invalid("has a layer without digest or size");
  if (layer.size > MAX_BUNDLE)
    throw invalid(`holds a bundle of ${layer.size} bytes, more than ${MAX_BUNDLE}`);
  let bytes: Buffer;
  try {
    bytes = await store.getBlob(layer.digest, MAX_BUNDLE);
  } catch (err) {
    throw invalid("holds a bundle that cannot be read, or is not what its digest says", err);
  }
  if (bytes.length !== layer.size) throw invalid(`says ${layer.size} bytes, its bundle is ${bytes.length}`);
  let bundle: unknown;
  try {
    bundle = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw invalid("holds a bundle that is not JSON", err);
  }
  const annotation = (key: string) => {
    const v = doc.annotations?.[key];
    return typeof v === "string" ? v : undefined;
  };
  return {
    referrer: referrer.digest,
    bundle,
    content: annotation(BUNDLE_CONTENT_ANNOTATION),
    predicateType: annotation(BUNDLE_PREDICATE_TYPE_ANNOTATION),
  };
}
