// The layer that does what maintainer scripts would have done: accounts, the
// CA bundle, update-alternatives links, os-release where no package ships it,
// and the spec's own paths. It comes after the package layers because it is
// derived from what they hold.

import { CudasealError } from "../errors.ts";
import { dirEntry, fileEntry, type LayerEntry, parents, symlinkEntry } from "../layer/entry.ts";
import type { SpecPath } from "../spec/types.ts";
import { type Accounts, groupFile, homeDirectories, NSSWITCH, passwdFile, shadowFile } from "./accounts.ts";
import type { Alternative } from "./alternatives.ts";
import { CA_BUNDLE_PATH, caBundle } from "./ca-bundle.ts";

export interface SystemLayerInput {
  accounts: Accounts;
  caCerts: ReadonlyMap<string, string>;
  alternatives: readonly Alternative[];
  /** Paths present in the package layers, to avoid writing over package files. */
  present: ReadonlySet<string>;
  paths: readonly SpecPath[];
  suite: string;
  /** Debian version number for os-release when base-files is absent (e.g. 13). */
  debianVersion?: string;
  mtime: number;
}

export function systemLayerEntries(input: SystemLayerInput): LayerEntry[] {
  const t = input.mtime;
  const entries = new Map<string, LayerEntry>();
  const add = (e: LayerEntry) => {
    for (const p of parents(e.path)) {
      if (!entries.has(p) && !input.present.has(p)) entries.set(p, dirEntry(p, t));
    }
    entries.set(e.path, e);
  };
  add(fileEntry("etc/passwd", passwdFile(input.accounts), t));
  add(fileEntry("etc/group", groupFile(input.accounts), t));
  add(fileEntry("etc/shadow", shadowFile(input.accounts), t, 0o640));
  add(fileEntry("etc/nsswitch.conf", NSSWITCH, t));
  for (const home of homeDirectories(input.accounts)) add(dirEntry(home.path, t, 0o700, home.uid, home.gid));
  if (input.caCerts.size > 0) add(fileEntry(CA_BUNDLE_PATH, caBundle(input.caCerts), t));
  for (const alt of input.alternatives) {
    const link = alt.link.replace(/^\/+/, "");
    if (input.present.has(link)) continue;
    add(symlinkEntry(link, alt.path, t));
  }
  if (!input.present.has("usr/lib/os-release") && !input.present.has("etc/os-release")) {
    add(fileEntry("usr/lib/os-release", osRelease(input.suite, input.debianVersion), t));
    add(symlinkEntry("etc/os-release", "../usr/lib/os-release", t));
  }
  if (!input.present.has("etc/debian_version") && input.debianVersion) {
    add(fileEntry("etc/debian_version", `${input.debianVersion}\n`, t));
  }
  for (const p of input.paths) add(specPathEntry(p, t));
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function osRelease(suite: string, version?: string): string {
  const lines = [
    `PRETTY_NAME="Debian GNU/Linux${version ? ` ${version}` : ""} (${suite})"`,
    'NAME="Debian GNU/Linux"',
    version ? `VERSION_ID="${version}"` : "",
    version ? `VERSION="${version} (${suite})"` : "",
    `VERSION_CODENAME=${suite}`,
    "ID=debian",
  ];
  return `${lines.filter(Boolean).join("\n")}\n`;
}

/** `uid:gid` → numbers. */
export function parseOwner(owner: string | undefined, fallback = 0): { uid: number; gid: number } {
  if (!owner) return { uid: fallback, gid: fallback };
  const [uid, gid] = owner.split(":").map(Number);
  return { uid, gid };
}

export function parseMode(mode: string | undefined, fallback: number): number {
  return mode === undefined ? fallback : Number.parseInt(mode, 8);
}

function specPathEntry(p: SpecPath, t: number): LayerEntry {
  const path = p.path.replace(/^\/+/, "").replace(/\/+$/, "");
  if (!path || path.split("/").includes("..")) {
    throw new CudasealError("SPEC_INVALID", `paths: '${p.path}' is not a path inside the image`);
  }
  const { uid, gid } = parseOwner(p.owner);
  if (p.type === "directory") return dirEntry(path, t, parseMode(p.mode, 0o755), uid, gid);
  if (p.type === "file") return { ...fileEntry(path, "", t, parseMode(p.mode, 0o644)), uid, gid };
  if (!p.target) throw new CudasealError("SPEC_INVALID", `paths: symlink '${p.path}' needs a target`);
  return { ...symlinkEntry(path, p.target, t), uid, gid };
}
