// Which Debian package would provide a shared library the image lacks, for
// the link check's hint. Debian names library packages after the soname
// (Debian Policy 8.1): libfoo.so.N ships in libfooN, and where the name
// ends in a digit, libfoo2.so.N in libfoo2-N; `_` becomes `-`, letters are
// lowercased, and the 64-bit time_t transition appended `t64` to many
// (libssl3t64, which Provides libssl3). A guess from names alone: the first
// candidate an index holds, as a real package or through a Provides.

import type { PackageRecord } from "../apt/types.ts";

/** The package names Debian's naming rules give a library's soname, most likely first. */
export function sonamePackageNames(soname: string): string[] {
  const m = /^(lib[^/]*?)\.so(?:\.(\d+(?:\.\d+)*))?$/.exec(soname);
  if (!m) return [];
  const base = m[1].toLowerCase().replace(/_/g, "-");
  const version = m[2];
  if (version === undefined) return [base, `${base}-dev`];
  const major = version.split(".")[0];
  const names = /\d$/.test(base)
    ? [`${base}-${version}`, `${base}-${major}`]
    : [`${base}${version}`, `${base}${major}`];
  return [...new Set(names.flatMap((n) => [n, `${n}t64`]))];
}

/**
 * A lookup over one architecture's available packages: the package that
 * would provide `soname`, or undefined when the names say nothing.
 */
export function sonameProvider(records: readonly PackageRecord[]): (soname: string) => string | undefined {
  const real = new Set<string>();
  const provided = new Map<string, string>();
  for (const r of records) {
    real.add(r.name);
    for (const p of r.provides) if (!provided.has(p.name)) provided.set(p.name, r.name);
  }
  return (soname) => {
    for (const name of sonamePackageNames(soname)) {
      if (real.has(name)) return name;
      const by = provided.get(name);
      if (by !== undefined) return by;
    }
    return undefined;
  };
}
