// The first layer of every image: the bare skeleton of a merged-/usr Debian
// root. It holds no package data, so it is byte-identical across every image
// cudaseal builds for an architecture, and shared by all of them.

import { dirEntry, type LayerEntry, symlinkEntry } from "../layer/entry.ts";

/** Fixed mtime for the skeleton: it must not change with the package set. */
export const SKELETON_MTIME = 0;

export function rootLayerEntries(arch: string): LayerEntry[] {
  const t = SKELETON_MTIME;
  const dirs = [
    "etc",
    "home",
    "root",
    "tmp",
    "usr",
    "usr/bin",
    "usr/lib",
    "usr/sbin",
    "usr/share",
    "var",
    "var/lib",
    "var/lib/dpkg",
    "var/lib/dpkg/status.d",
    "var/tmp",
    "dev",
    "proc",
    "sys",
    "run",
    "opt",
  ];
  const entries: LayerEntry[] = dirs.map((d) =>
    dirEntry(d, t, d === "tmp" || d === "var/tmp" ? 0o1777 : d === "root" ? 0o700 : 0o755),
  );
  // Without /lib64 (amd64) or /lib (arm64) the ELF interpreter named in every binary is missing.
  entries.push(
    symlinkEntry("bin", "usr/bin", t),
    symlinkEntry("sbin", "usr/sbin", t),
    symlinkEntry("lib", "usr/lib", t),
  );
  if (arch === "amd64") {
    entries.push(dirEntry("usr/lib64", t), symlinkEntry("lib64", "usr/lib64", t));
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
