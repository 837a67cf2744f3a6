// Two images' difference as the compare view shows it: sizes, packages
// added, removed and changed, the CVE delta, and the hardening checklist
// (a non-root user, no shell, no package manager, no setuid files) that
// a hardened image is judged by beside the vendor's.

import type { ImageStats } from "../compare/index.ts";
import type { ChecklistItem, CompareDelta, ImageReport, VulnSeverity } from "./model.ts";
import { VULN_SEVERITIES } from "./model.ts";

/** `a` relative to `b`. Packages come from the composition's package list of each. */
export function compareDelta(
  a: ImageReport,
  b: ImageReport,
  packages: readonly { name: string; version: string }[][],
): CompareDelta {
  const [mine, theirs] = packages.map((list) => new Map(list.map((p) => [p.name, p.version])));
  const added = [...mine].filter(([n]) => !theirs.has(n)).map(([name, version]) => ({ name, version }));
  const removed = [...theirs].filter(([n]) => !mine.has(n)).map(([name, version]) => ({ name, version }));
  const changed = [...mine]
    .filter(([n, v]) => theirs.has(n) && theirs.get(n) !== v)
    .map(([name, to]) => ({ name, from: theirs.get(name) ?? "", to }));
  const byName = (x: { name: string }, y: { name: string }) =>
    x.name < y.name ? -1 : x.name > y.name ? 1 : 0;
  const delta: CompareDelta = {
    compressedSize: a.stats.compressedSize - b.stats.compressedSize,
    uncompressedSize: a.stats.uncompressedSize - b.stats.uncompressedSize,
    files: a.stats.files - b.stats.files,
    packages: { added: added.sort(byName), removed: removed.sort(byName), changed: changed.sort(byName) },
    checklist: checklist([a.stats, b.stats]),
  };
  const [ca, cb] = [a.stats.cves, b.stats.cves];
  if (ca !== undefined && cb !== undefined) {
    delta.cves = Object.fromEntries(VULN_SEVERITIES.map((s) => [s, ca[s] - cb[s]])) as Record<
      VulnSeverity,
      number
    >;
  }
  return delta;
}

/** The hardening checklist for each image, in order. */
function checklist(stats: readonly ImageStats[]): ChecklistItem[] {
  const item = (check: ChecklistItem["check"], found: (s: ImageStats) => string[]): ChecklistItem => {
    const lists = stats.map(found);
    return {
      check,
      pass: lists.map((l) => l.length === 0),
      found: lists.map((l) => (l.length === 0 ? "none" : l.join(", "))),
    };
  };
  return [
    {
      check: "non-root user",
      pass: stats.map((s) => !isRoot(s.user)),
      found: stats.map((s) => s.user),
    },
    item("no shell", (s) => s.shells),
    item("no package manager", (s) => s.packageManagers),
    item("no setuid/setgid files", (s) => s.setuidFiles),
  ];
}

/** `root`, `0`, `00`, `0:0`, `root:root`: the image runs with uid 0, as audit's CS-USER-ROOT reads it. */
function isRoot(user: string): boolean {
  const name = user.split(":")[0];
  return name === "" || name === "root" || /^0+$/.test(name);
}
