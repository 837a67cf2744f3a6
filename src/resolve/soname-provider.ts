// Which Debian package would provide a shared library the image lacks, for
// the link check's hint. Debian names library packages after the soname
// (Debian Policy 8.1): libfoo.so.N ships in libfooN, and where the name
// ends in a digit, libfoo2.so.N in libfoo2-N; `_` becomes `-`, letters are
// lowercased, and the 64-bit time_t transition appended `t64` to many
// (libssl3t64, which Provides libssl3). NVIDIA's repository names them by
// CUDA release instead: libnvjitlink-12-8, cuda-cudart-12-8. A guess from
// names alone: the first candidate an index holds, as a real package or
// through a Provides; failing that, a package whose name extends a
// candidate (libfooN-*) or is NVIDIA's name for the soname's major version.

import type { AvailablePackages } from "../apt/available.ts";

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
export function sonameProvider(available: AvailablePackages): (soname: string) => string | undefined {
  return (soname) => {
    const candidates = sonamePackageNames(soname);
    for (const name of candidates) {
      if (available.hasName(name)) return name;
      // The first package, in index order, whose Provides names it.
      const by = available.providing(name)[0]?.pkg.name;
      if (by !== undefined) return by;
    }
    const extended = candidates.map((c) => `${c}-`);
    const nvidia = nvidiaNames(soname);
    // Newest-looking name first: libcublas-12-8 before libcublas-12-2.
    return available.names().findLast((n) => extended.some((c) => n.startsWith(c)) || nvidia?.test(n));
  };
}

/** NVIDIA's package names for a soname's major version: libcublas.so.12 → libcublas-12-N, cuda-cublas-12-N. */
function nvidiaNames(soname: string): RegExp | undefined {
  const m = /^lib([a-z0-9_+-]+?)\.so\.(\d+)/i.exec(soname);
  if (!m) return undefined;
  const stem = m[1]
    .toLowerCase()
    .replace(/[_+]/g, "-")
    .replace(/[.^$*?()[\]{}|\\]/g, "");
  return new RegExp(`^(?:lib${stem}|cuda-${stem})-${m[2]}-\\d+$`);
}
