// A local tarball in the spec's contents, unpacked at a destination: its
// entries are checked like any untrusted archive, then re-rooted, re-owned
// and hardened.

import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { parseMode, parseOwner } from "../assemble/system-layer.ts";
import { decompressorFor } from "../deb/decompress.ts";
import type { LayerEntry } from "../layer/entry.ts";
import type { PathPolicy } from "../layer/path-policy.ts";
import { readTar } from "../tar/reader.ts";

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
  const input = createReadStream(file);
  const dec = decompressorFor(/\.(tgz)$/.test(file) ? `${file}.gz` : file.replace(/\.tar$/, ""));
  pipeline(input, dec).catch((err) => dec.destroy(err));
  const owner = options.owner ? parseOwner(options.owner) : undefined;
  for await (const e of readTar(dec, { origin: file })) {
    if (e.path === "") {
      await e.skip();
      continue;
    }
    const path = dest ? `${dest}/${e.path}` : e.path;
    const isDir = e.type === "directory";
    const mode = options.mode !== undefined && e.type === "file" ? parseMode(options.mode, e.mode) : e.mode;
    yield {
      path,
      type: e.type,
      mode: options.policy.mode(path, mode, isDir),
      uid: owner?.uid ?? e.uid,
      gid: owner?.gid ?? e.gid,
      mtime: Math.min(e.mtime, options.mtime),
      size: e.type === "file" ? e.size : undefined,
      linkname: e.type === "hardlink" && dest ? `${dest}/${e.linkname}` : e.linkname,
      body: e.type === "file" ? e.body : undefined,
    };
  }
}
