// The one interface every image transport implements, as containers/image's
// ImageSource: the exact bytes of the manifest or index a reference names and
// of every manifest below it, each blob as a stream checked against its
// digest, and what travels beside an image (referrers, cosign's tags). The
// readers of one platform (platform-walk.ts) and the copy (src/copy/) read
// every transport through it, so a transport is written once.

import type { StoredManifest } from "../oci/artifact-store.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { BlobSource, RegistryClientOptions } from "../registry/index.ts";

/**
 * What a reference leads to: one manifest or index, or, for an OCI layout
 * (whose index.json has no digest of its own), the entries of index.json the
 * reference names, for the reader to choose among.
 */
export type ImageRoot =
  | {
      manifest: StoredManifest;
      /**
       * True when the manifest was made here, not read (a classic Docker
       * archive has none): the image is then known by its config's digest.
       */
      made?: boolean;
    }
  | { entries: Descriptor[] };

/** An image at one place, in any transport. */
export interface ImageReader {
  /** The reference as typed (`oci:DIR:TAG`, `docker://host/repo:tag`), for messages and summaries. */
  readonly label: string;
  /** Set when the image is in a registry repository: a copy to that registry may mount blobs from it. */
  readonly origin?: { registry: string; repository: string };
  /** The manifest or index the reference names. */
  root(): Promise<ImageRoot>;
  /** A manifest or index named by a descriptor, byte for byte, checked against its digest. */
  manifest(desc: Descriptor): Promise<StoredManifest>;
  /** A small blob (a config) whole, checked against its digest, refused past `max` bytes. */
  blobBytes(desc: Descriptor, max: number): Promise<Buffer>;
  /** A blob, read afresh on every open; a whole read fails at its end unless digest and size match. */
  blob(desc: Descriptor): BlobSource;
  /** Manifests (SBOMs, signatures, attestations) whose `subject` is one of `digests`. */
  referrers(digests: ReadonlySet<string>): Promise<StoredManifest[]>;
  /** The manifest under `tag` (cosign's `sha256-<hex>.sig` and kin), or undefined when there is none. */
  tagged(tag: string): Promise<StoredManifest | undefined>;
}

/**
 * A way of naming and reading images: one file of this folder each, listed
 * in transports.ts. A reference is `transport:reference` as skopeo writes
 * it, or a bare registry name.
 */
export interface Transport<R extends { transport: string }> {
  /** The transport's name, `R["transport"]`: `oci`, `docker-archive`, `docker` (a registry). */
  readonly name: R["transport"];
  /** `text` parsed when it names an image of this transport; undefined when it is not this transport's; USAGE when it is, malformed. */
  parse(text: string): R | undefined;
  /** The reference written back as it would be typed. */
  format(ref: R): string;
  /** The image, for reading. */
  open(ref: R, options: ReaderOptions): Promise<ImageReader>;
  /** The Docker name (`host/repo:tag`, `name:tag`) the image goes by where it is, if any: a Docker archive written from it takes it. */
  imageName?(ref: R): string | undefined;
}

/** How to reach the image: registries' settings, for registry references. */
export interface ReaderOptions {
  /** How to reach registries (`--insecure` hosts, credentials, retries). */
  registry?: RegistryClientOptions;
}

/** One layer of an opened image. */
export interface SourceLayer {
  digest: string;
  size: number;
  mediaType: string;
  /** The layer's stored bytes; the stream fails at its end unless they match `digest`. */
  open(): AsyncIterable<Uint8Array>;
}

/** One platform of an image, ready to read. */
export interface OpenedImage {
  /** The manifest's digest; for a classic Docker archive, which has none, the image ID (the config's digest). */
  manifestDigest: string;
  /**
   * The digest of the outermost image index the manifest was chosen from
   * (the multi-platform digest users push and sign); absent when the
   * reference named a manifest directly, or the source cannot tell.
   */
  indexDigest?: string;
  /** The image config, parsed, its digest checked. */
  config: Record<string, unknown>;
  layers: SourceLayer[];
}

export interface OpenImageOptions extends ReaderOptions {
  /**
   * The platform to read from a multi-platform image (`amd64`, `arm64`, a
   * Debian name, or `arm/v7`); the host's by default. When given, a
   * single-platform image must be for it too.
   */
  arch?: string;
}
