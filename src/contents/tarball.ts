// A local tarball in the spec's contents, unpacked at a destination: its
// entries are checked like any untrusted archive, then re-rooted, re-owned
// and hardened.

import { pipeline } from "node:stream/promises";
import { decompressorFor } from "../deb/decompress.ts";
import type { LayerEntry } from "../layer/entry.ts";
import type { PathPolicy } from "../layer/path-policy.ts";
import { readTar } from "../tar/reader.ts";
import { regularFileStream } from "../util/read-regular-file.ts";
import { reroot } from "./reroot.ts";

export interface TarballOptions {
  mtime: number;
  policy: PathPolicy;
  owner?: string;
  mode?: string;
}

export async function* tarballEntries(
  file: string,
  dest: string,
  options: TarballOptions,
): AsyncGenerator<LayerEntry> {
  const input = await regularFileStream(file, "contents tarball");
  const dec = decompressorFor(/\.(tgz)$/.test(file) ? `${file}.gz` : file.replace(/\.tar$/, ""));
  pipeline(input, dec).catch((err) => dec.destroy(err));
  for await (const e of readTar(dec, { origin: file })) {
    if (e.path === "") {
      await e.skip();
      continue;
    }
    yield reroot(e, "", dest, options);
  }
}
