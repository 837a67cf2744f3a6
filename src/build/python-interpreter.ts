// The image's own Python, as wheel selection and installation need it: the
// interpreter's version and glibc's, read from the locked Debian packages
// (python3.X / libpython3.X-*, libc6) rather than by running anything. The
// wheels must match this interpreter, since it is the one the image runs.

import type { LockedPackage } from "../apt/types.ts";
import { CudasealError } from "../errors.ts";
import type { InterpreterFacts } from "../python/index.ts";

/** The interpreter facts, and its full version (`3.13.5`) for a venv's pyvenv.cfg. */
export interface ImagePython extends InterpreterFacts {
  fullVersion: string;
}

// python3.13 and python3.13-minimal hold an interpreter; libpython3.13-* only its library.
const INTERPRETER = /^python3\.(\d+)(?:-minimal)?$/;
const LIBRARY = /^libpython3\.(\d+)(?:-minimal|-stdlib)?$/;

/** The Python in `packages` (one architecture's lock); PY_INTERPRETER_MISSING without one. */
export function imagePython(packages: readonly LockedPackage[], arch: string): ImagePython {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const meta = byName.get("python3");
  const minors = minorsOf(packages, INTERPRETER);
  // Without a versioned interpreter package, python3's own version names the default minor.
  if (minors.length === 0 && meta) {
    const m = /^(?:\d+:)?3\.(\d+)/.exec(meta.version);
    minors.push(...(m ? [Number(m[1])] : minorsOf(packages, LIBRARY)));
  }
  if (minors.length === 0) {
    throw new CudasealError(
      "PY_INTERPRETER_MISSING",
      `the spec installs Python packages but the ${arch} image has no python3`,
      {
        hint: "add python3 to packages (or include preset:cuda-python): the wheels are installed for the image's own interpreter",
        details: { arch },
      },
    );
  }
  if (minors.length > 1) {
    const versions = minors.map((n) => `3.${n}`);
    throw new CudasealError(
      "PY_INTERPRETER_MISSING",
      `the ${arch} image holds more than one Python (${versions.join(", ")}); wheels are installed for exactly one`,
      { hint: "install one python3.X", details: { arch, versions } },
    );
  }
  const minor = minors[0];
  const versioned = byName.get(`python3.${minor}`) ?? byName.get(`python3.${minor}-minimal`);
  const full =
    /^(?:\d+:)?(3\.\d+\.\d+)/.exec(versioned?.version ?? meta?.version ?? "")?.[1] ?? `3.${minor}.0`;
  return {
    version: [3, minor],
    arch,
    glibc: glibcVersion(byName.get("libc6"), arch),
    executable: meta ? "/usr/bin/python3" : `/usr/bin/python3.${minor}`,
    fullVersion: full,
  };
}

function minorsOf(packages: readonly LockedPackage[], pattern: RegExp): number[] {
  const minors = new Set<number>();
  for (const p of packages) {
    const m = pattern.exec(p.name);
    if (m) minors.add(Number(m[1]));
  }
  return [...minors].sort((a, b) => a - b);
}

/** glibc's version from libc6's (`2.41-12` → [2, 41]). */
function glibcVersion(libc6: LockedPackage | undefined, arch: string): [number, number] {
  const m = /^(?:\d+:)?(\d+)\.(\d+)/.exec(libc6?.version ?? "");
  if (!m) {
    throw new CudasealError("PY_INTERPRETER_MISSING", `the ${arch} image has no libc6 to run python3 with`, {
      hint: "python3 depends on libc6; resolve the packages again (cudaseal lock)",
      details: { arch, libc6: libc6?.version },
    });
  }
  return [Number(m[1]), Number(m[2])];
}
