// A full-size Debian Security Tracker document in the published shape, made
// up but deterministic (a seeded generator), and a dpkg package list that
// overlaps it: the input of the scan benchmark. The real export is ~45,000
// CVEs over ~5,000 source packages, each listed for several releases, about
// 70 MB of JSON.

import type { InstalledPackage } from "../src/source/packages.ts";

export interface SyntheticOptions {
  /** Source packages (default 5,000). */
  sources?: number;
  /** (source, CVE) entries in all (default 45,000). */
  entries?: number;
  seed?: number;
}

export const SYNTHETIC_RELEASES = ["bullseye", "bookworm", "trixie", "forky", "sid"] as const;

const URGENCIES = ["not yet assigned", "unimportant", "low", "medium", "high", "end-of-life"];
const WORDS =
  "buffer overflow use-after-free in the parser allows remote attackers to cause a denial of service or possibly execute arbitrary code via a crafted file when handling malformed input integer out-of-bounds read write null pointer dereference".split(
    " ",
  );

/** A seeded pseudo-random generator (mulberry32): the same document every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The name of synthetic source package `i`. */
export function sourceName(i: number): string {
  return `src${i.toString(36)}-lib`;
}

/** The version of source package `i` installed in the synthetic image. */
export function installedVersion(i: number): string {
  return `${1 + (i % 7)}.${i % 13}.${i % 5}-${1 + (i % 3)}+deb12u${i % 4}`;
}

/** The tracker's JSON as text. */
export function syntheticTracker(options: SyntheticOptions = {}): string {
  const sources = options.sources ?? 5000;
  const entries = options.entries ?? 45_000;
  const rand = random(options.seed ?? 1);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)];
  const doc: Record<string, Record<string, unknown>> = {};
  for (let e = 0; e < entries; e++) {
    const s = e % sources;
    const name = sourceName(s);
    doc[name] ??= {};
    const cve = `CVE-${2014 + (e % 12)}-${String(10000 + e).padStart(5, "0")}`;
    const words = Array.from({ length: 62 + Math.floor(rand() * 60) }, () => pick(WORDS));
    const installed = installedVersion(s);
    const releases: Record<string, unknown> = {};
    for (const release of SYNTHETIC_RELEASES) {
      const urgency = pick(URGENCIES);
      const r = rand();
      const repositories = { [release]: installed, [`${release}-security`]: `${installed}.1` };
      if (r < 0.6) {
        // Fixed below, at, or above the installed version.
        const fixed = r < 0.2 ? `0.${s % 9}-1` : r < 0.4 ? installed : `${installed}.1`;
        releases[release] = { status: "resolved", repositories, fixed_version: fixed, urgency };
      } else if (r < 0.7) {
        releases[release] = { status: "resolved", repositories, fixed_version: "0", urgency: "unimportant" };
      } else if (r < 0.85) {
        releases[release] = { status: "open", repositories, urgency, nodsa: "Minor issue", nodsa_reason: "" };
      } else if (r < 0.95) {
        releases[release] = { status: "open", repositories, urgency };
      } else {
        releases[release] = { status: "undetermined", repositories, urgency: "not yet assigned" };
      }
    }
    doc[name][cve] = {
      description: `${name}: ${words.join(" ")}`,
      scope: rand() < 0.5 ? "local" : "remote",
      debianbug: 1_000_000 + e,
      releases,
    };
  }
  return JSON.stringify(doc);
}

/** `count` dpkg packages, one or more binaries per synthetic source. */
export function syntheticPackages(count = 2000): InstalledPackage[] {
  return Array.from({ length: count }, (_, i) => {
    const s = (i * 3) % 5000;
    return {
      name: `${sourceName(s)}-bin${i % 3}`,
      version: installedVersion(s),
      arch: "amd64",
      source: sourceName(s),
      manager: "dpkg" as const,
    };
  });
}
