// Copies a path out of another image (`COPY --from`), in any transport the
// image reader knows (`oci:`, `oci-archive:`, `docker-archive:`). The layers
// are streamed twice and never unpacked: the first pass (the image reader's
// final file system, whiteouts applied) says which layer holds the final
// version of each path under the source; the second emits those entries,
// re-rooted at the destination.

import { CudasealError } from "../errors.ts";
import type { LayerEntry } from "../layer/entry.ts";
import type { PathPolicy } from "../layer/path-policy.ts";
import { decompressSniffed, readFilesystem } from "../source/filesystem.ts";
import { openImage } from "../source/image-source.ts";
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
  return (await openImage(image, { arch })).manifestDigest;
}

export async function* imagePathEntries(
  image: string,
  path: string,
  dest: string,
  options: ImageCopyOptions,
): AsyncGenerator<LayerEntry> {
  const opened = await openImage(image, { arch: options.arch });
  const src = path.replace(/^\/+/, "").replace(/\/+$/, "");
  const fs = await readFilesystem(opened, { origin: image });
  // Pass 1 done by the reader: the layer holding each path's final version.
  const finalLayer = new Map<string, number>();
  for (const [p, info] of fs.files) {
    const rel = p.replace(/^\/+/, "");
    if (rel === src || rel.startsWith(`${src}/`)) finalLayer.set(rel, info.layer);
  }
  if (finalLayer.size === 0) {
    throw new CudasealError("CONTENT_INVALID", `contents: ${path} is not in ${image} (${options.arch})`, {
      hint: "check the path inside the image, and that the image is built for this architecture",
    });
  }
  // Pass 2: emit them, layer by layer.
  const layers = new Set(finalLayer.values());
  for (const [i, layer] of opened.layers.entries()) {
    if (!layers.has(i)) continue;
    const where = `${image} layer ${i}`;
    for await (const e of readTar(decompressSniffed(layer.open(), where), {
      origin: where,
      skipSpecial: true,
    })) {
      if (finalLayer.get(e.path) !== i) {
        await e.skip();
        continue;
      }
      yield reroot(e, src, dest, options);
    }
  }
}
