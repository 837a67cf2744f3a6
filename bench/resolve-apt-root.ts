// An apt root for the resolve benchmark, set up as apt users set up a
// second root (mmdebstrap does the same): a folder with its own
// etc/apt/apt.conf, sources, an empty dpkg status file and lists, used
// through APT_CONFIG. Passing only `-o Dir=ROOT` on the command line is not
// enough: apt still reads the host's /etc/apt/apt.conf.d before it, and a
// container's `Dir::Cache::pkgcache ""` there would stop apt from keeping
// its binary package cache, so it would parse every index on every run.
// With APT_CONFIG naming the root's apt.conf, the parts folder and main
// file apt reads next are the root's own (both under `Dir`).

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AptSource } from "../src/apt/sources.ts";

export interface AptRootOptions {
  /** The Debian architecture apt resolves for (and the only one it reads). */
  arch: string;
  /** The sources, as cudaseal reads them (uri, suites, components). */
  sources: readonly AptSource[];
  /** An OpenPGP keyring file every source must be signed by. */
  keyring: string;
  /** Install Recommends (cudaseal does only when the spec asks). */
  recommends?: boolean;
}

/** The paths of a made apt root, and the environment that points apt-get at it. */
export interface AptRoot {
  dir: string;
  /** APT_CONFIG=<dir>/etc/apt/apt.conf. */
  env: Record<string, string>;
  statusFile: string;
  /** apt's binary package cache: present once apt has built it. */
  pkgcache: string;
}

/** `s` as an apt.conf string: a double-quoted value has no escapes, so a quote in a path is refused. */
function confString(s: string): string {
  if (/["\n]/.test(s)) throw new Error(`apt.conf cannot hold ${JSON.stringify(s)}`);
  return `"${s}"`;
}

/** The root's apt.conf: everything under `root`, one architecture, Recommends only when asked (as cudaseal). */
export function aptConf(root: string, arch: string, recommends = false): string {
  const dir = root.endsWith("/") ? root : `${root}/`;
  return [
    `Dir ${confString(dir)};`,
    `Dir::State::status ${confString(`${dir}var/lib/dpkg/status`)};`,
    `APT::Architecture ${confString(arch)};`,
    `APT::Architectures { ${confString(arch)}; };`,
    `APT::Install-Recommends "${recommends}";`,
    `Acquire::Languages "none";`,
    "",
  ].join("\n");
}

/** The sources as one deb822 `.sources` file, each stanza signed-by `keyring`. */
export function aptSources(sources: readonly AptSource[], keyring: string): string {
  return sources
    .map((source) =>
      [
        "Types: deb",
        `URIs: ${source.uri}`,
        `Suites: ${source.suites.join(" ")}`,
        ...(source.components.length > 0 ? [`Components: ${source.components.join(" ")}`] : []),
        `Signed-By: ${keyring}`,
        "",
      ].join("\n"),
    )
    .join("\n");
}

/** The packages `apt-get install -s` would unpack: its `Inst NAME (…)` lines. */
export function simulatedInstalls(output: string): string[] {
  const names: string[] = [];
  for (const line of output.split("\n")) {
    const m = /^Inst (\S+)/.exec(line);
    if (m) names.push(m[1]);
  }
  return names;
}

/** Write the root's files into `dir` (which must exist); apt-get update is the caller's. */
export async function makeAptRoot(dir: string, options: AptRootOptions): Promise<AptRoot> {
  for (const sub of [
    "etc/apt/apt.conf.d",
    "etc/apt/preferences.d",
    "etc/apt/sources.list.d",
    "etc/apt/trusted.gpg.d",
    "var/lib/apt/lists/partial",
    "var/cache/apt/archives/partial",
    "var/lib/dpkg",
  ]) {
    await mkdir(join(dir, sub), { recursive: true });
  }
  const conf = join(dir, "etc/apt/apt.conf");
  await writeFile(conf, aptConf(dir, options.arch, options.recommends));
  await writeFile(
    join(dir, "etc/apt/sources.list.d/debian.sources"),
    aptSources(options.sources, options.keyring),
  );
  // Nothing installed: apt resolves the whole set, as for a new root.
  const statusFile = join(dir, "var/lib/dpkg/status");
  await writeFile(statusFile, "");
  return { dir, env: { APT_CONFIG: conf }, statusFile, pkgcache: join(dir, "var/cache/apt/pkgcache.bin") };
}
