// Copies a path out of another image (`COPY --from`): the image's layers are
// read twice as streams, never unpacked: a first pass learns which layer has
// the final version of each path under the source (whiteouts applied), a
// second emits those entries re-rooted at the destination.

import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { decompressorFor } from "../deb/decompress.ts";
import { CudasealError } from "../errors.ts";
import type { LayerEntry } from "../layer/entry.ts";
import type { PathPolicy } from "../layer/path-policy.ts";
import { openLayer, parseOciRef, resolveLayoutImage } from "../source/oci-layout-source.ts";
import { readTar } from "../tar/reader.ts";
import { reroot } from "./reroot.ts";

export interface ImageCopyOptions {
  arch: string;
  mtime: number;
  policy: PathPolicy;
  owner?: string;
  mode?: string;
}

/** The manifest digest of the image `contents` would copy from, for the layer-cache key. */
export async function imageDigest(image: string, arch: string): Promise<string> {
  if (!image.startsWith("oci:")) return image;
  return (await resolveLayoutImage(parseOciRef(image), arch)).manifestDigest;
}

export async function* imagePathEntries(
  image: string,
  path: string,
  dest: string,
  options: ImageCopyOptions,
): AsyncGenerator<LayerEntry> {
  if (!image.startsWith("oci:")) {
    throw new CudasealError("CONTENT_INVALID", `contents: cannot read image ${image}`, {
      hint: "name the image as oci:DIR[:TAG] (build it with cudaseal build -o oci:DIR:TAG, or skopeo copy it there)",
    });
  }
  const ref = parseOciRef(image);
  const resolved = await resolveLayoutImage(ref, options.arch);
  const src = path.replace(/^\/+/, "").replace(/\/+$/, "");
  const under = (p: string) => p === src || p.startsWith(`${src}/`);
  const layerTars = (i: number) => {
    const dec = decompressorFor(suffixFor(resolved.layers[i].mediaType));
    pipeline(openLayer(ref.dir, resolved.layers[i]) as Readable, dec).catch((err) => dec.destroy(err));
    return readTar(dec, { origin: `${image} layer ${i}`, skipSpecial: true });
  };
  // Pass 1: the layer holding each path's final version.
  const finalLayer = new Map<string, number>();
  for (let i = 0; i < resolved.layers.length; i++) {
    for await (const e of layerTars(i)) {
      await e.skip();
      const base = e.path.split("/").pop() ?? "";
      const dir = e.path.slice(0, Math.max(0, e.path.length - base.length - 1));
      if (base === ".wh..wh..opq") {
        for (const p of [...finalLayer.keys()]) if (p.startsWith(`${dir}/`)) finalLayer.delete(p);
        continue;
      }
      if (base.startsWith(".wh.")) {
        const gone = dir ? `${dir}/${base.slice(4)}` : base.slice(4);
        for (const p of [...finalLayer.keys()])
          if (p === gone || p.startsWith(`${gone}/`)) finalLayer.delete(p);
        continue;
      }
      if (under(e.path)) finalLayer.set(e.path, i);
    }
  }
  if (finalLayer.size === 0) {
    throw new CudasealError("CONTENT_INVALID", `contents: ${path} is not in ${image} (${options.arch})`);
  }
  // Pass 2: emit them, layer by layer.
  const layers = new Set(finalLayer.values());
  for (let i = 0; i < resolved.layers.length; i++) {
    if (!layers.has(i)) continue;
    for await (const e of layerTars(i)) {
      if (finalLayer.get(e.path) !== i) {
        await e.skip();
        continue;
      }
      yield reroot(e, src, dest, options);
    }
  }
}

function suffixFor(mediaType: string): string {
  if (mediaType.endsWith("+zstd") || mediaType.endsWith(".zstd")) return "layer.zst";
  if (
    mediaType.endsWith("+gzip") ||
    mediaType.endsWith(".gzip") ||
    mediaType.endsWith("rootfs.diff.tar.gzip")
  )
    return "layer.gz";
  return "layer";
}
