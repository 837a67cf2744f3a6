// What `ldconfig` and libc-bin would have left in the image: cudaseal runs
// no maintainer scripts, so nothing runs ldconfig, and libc-bin, Essential,
// is depended on by nothing, so its /etc/ld.so.conf (which reads the
// ld.so.conf.d files libraries such as NVIDIA's ship) is not there either.
// These entries go into the system layer: the loader's configuration where
// no package ships it, /etc/ld.so.cache in glibc's format, and the soname
// links ldconfig would have made. Only images with glibc get them: a static
// image has no loader to read them.

import { fileEntry, type LayerEntry, symlinkEntry } from "../layer/entry.ts";
import { buildLdCache, type ImageTree, type LdCache } from "../link/index.ts";

export const LD_SO_CACHE = "etc/ld.so.cache";

/** libc-bin's own ld.so.conf and ld.so.conf.d/libc.conf, byte for byte. */
const LIBC_BIN_FILES: [string, string][] = [
  ["etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n\n"],
  ["etc/ld.so.conf.d/libc.conf", "# libc default configuration\n/usr/local/lib\n"],
];

/** Whether `paths` hold glibc's shared C library (which brings the loader that reads the cache). */
export function hasGlibc(paths: Iterable<string>): boolean {
  for (const p of paths) if (/^usr\/lib\/[^/]+-linux-gnu[^/]*\/libc\.so\.6$/.test(p)) return true;
  return false;
}

/** libc-bin's configuration files that no package put in the image. */
export function loaderConfigEntries(present: ReadonlySet<string>, mtime: number): LayerEntry[] {
  return LIBC_BIN_FILES.filter(([path]) => !present.has(path)).map(([path, text]) =>
    fileEntry(path, text, mtime),
  );
}

/** ldconfig's work over `tree`: the cache file and the soname links, as entries, and the cache itself. */
export function loaderCacheEntries(
  tree: ImageTree,
  mtime: number,
): { entries: LayerEntry[]; cache: LdCache } {
  const cache = buildLdCache(tree);
  const entries = [
    fileEntry(LD_SO_CACHE, cache.bytes, mtime),
    ...cache.links.map((l) => symlinkEntry(l.path, l.target, mtime)),
  ];
  return { entries, cache };
}
