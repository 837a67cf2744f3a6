// Reads an image out of an OCI image layout (`oci:DIR[:TAG]`): the manifest
// for a platform, its config, and its layers as verified streams. Every blob
// is checked against its digest as it is read: a tampered layout fails.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { CudasealError } from "../errors.ts";

export interface LayoutRef {
  dir: string;
  tag?: string;
}

export interface LayerRef {
  digest: string;
  size: number;
  mediaType: string;
}

export interface ResolvedImage {
  manifestDigest: string;
  config: Record<string, unknown>;
  layers: LayerRef[];
}

const MAX_JSON = 16 * 1024 * 1024;

/** `oci:DIR[:TAG]` → its parts. */
export function parseOciRef(ref: string): LayoutRef {
  const body = ref.replace(/^oci:/, "");
  const colon = body.lastIndexOf(":");
  if (colon > 0 && !body.slice(colon + 1).includes("/"))
    return { dir: body.slice(0, colon), tag: body.slice(colon + 1) };
  return { dir: body };
}

function blobPath(dir: string, digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new CudasealError("IMAGE_INVALID", `unsupported digest ${digest}`);
  return join(dir, "blobs", "sha256", m[1]);
}

async function readJsonBlob(dir: string, digest: string): Promise<Record<string, unknown>> {
  const bytes = await readFile(blobPath(dir, digest));
  if (bytes.length > MAX_JSON)
    throw new CudasealError("IMAGE_INVALID", `${digest} is too large for a manifest`);
  const actual = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  if (actual !== digest)
    throw new CudasealError("IMAGE_INVALID", `blob ${digest} does not match its digest (${actual})`);
  return JSON.parse(bytes.toString("utf8"));
}

type Desc = {
  digest: string;
  mediaType?: string;
  size: number;
  platform?: { architecture?: string };
  annotations?: Record<string, string>;
};

/** The image for `arch` in the layout, following an index where there is one. */
export async function resolveLayoutImage(ref: LayoutRef, arch: string): Promise<ResolvedImage> {
  let index: { manifests?: Desc[] };
  try {
    index = JSON.parse(await readFile(join(ref.dir, "index.json"), "utf8"));
  } catch (err) {
    throw new CudasealError("IMAGE_INVALID", `${ref.dir} is not an OCI image layout`, {
      hint: "expected oci:DIR[:TAG]",
      cause: err,
    });
  }
  const all = index.manifests ?? [];
  const named = ref.tag
    ? all.filter((d) => d.annotations?.["org.opencontainers.image.ref.name"] === ref.tag)
    : all;
  if (named.length === 0)
    throw new CudasealError("IMAGE_INVALID", `${ref.dir} has no image tagged ${ref.tag}`);
  let desc: Desc | undefined = named.find((d) => !d.platform || d.platform.architecture === arch) ?? named[0];
  for (let depth = 0; depth < 4 && desc; depth++) {
    const doc = await readJsonBlob(ref.dir, desc.digest);
    if (Array.isArray(doc.manifests)) {
      desc = (doc.manifests as Desc[]).find((d) => d.platform?.architecture === arch);
      if (!desc) throw new CudasealError("IMAGE_INVALID", `${ref.dir} has no ${arch} image`);
      continue;
    }
    const config = doc.config as Desc;
    const layers = (doc.layers as Desc[]).map((l) => ({
      digest: l.digest,
      size: l.size,
      mediaType: l.mediaType ?? "",
    }));
    return { manifestDigest: desc.digest, config: await readJsonBlob(ref.dir, config.digest), layers };
  }
  throw new CudasealError("IMAGE_INVALID", `${ref.dir}: cannot find a manifest`);
}

/** Passes bytes through and fails at the end unless they hash to `expected`. */
export class DigestCheck extends Transform {
  readonly #hash = createHash("sha256");
  readonly #expected: string;
  constructor(expected: string) {
    super();
    this.#expected = expected;
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    const actual = `sha256:${this.#hash.digest("hex")}`;
    done(
      actual === this.#expected
        ? null
        : new CudasealError("IMAGE_INVALID", `layer ${this.#expected} does not match its digest`),
    );
  }
}

/** A layer's compressed bytes, checked against its digest by the end of the stream. */
export function openLayer(dir: string, layer: LayerRef): NodeJS.ReadableStream {
  return createReadStream(blobPath(dir, layer.digest)).pipe(new DigestCheck(layer.digest));
}
