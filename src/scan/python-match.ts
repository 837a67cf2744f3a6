// Matching Python distributions against PyPI advisories, a pure function.
// Names compare in PEP 503 form on both sides (`Insecure_Lib` is
// `insecure-lib`); versions in PEP 440 order, exactly: epochs first, then the
// release, `1.0.dev0 < 1.0a1 < 1.0rc1 < 1.0 < 1.0.post1`, and a local label
// after its public version (`2.5.1+cu124` is past `2.5.1`). An interval is
// [introduced, fixed), so a local build of the fixed release is fixed; one
// that ends at `last_affected` includes that release's local builds, as an
// OSV `versions` entry without a label does: they are that release, built
// elsewhere. A version that is not PEP 440, installed or in an advisory,
// cannot be placed and matches nothing.

import { compareParsed, normalizeName, tryParseVersion, type Version } from "../python/index.ts";
import type { PythonPackage } from "../source/python-packages.ts";
import type { Advisory, Finding } from "./advisory.ts";
import { compareFindings } from "./match.ts";

/** The findings of the Python distributions `packages` among `advisories` (PyPI ones only), sorted as scan sorts. */
export function matchPythonFindings(
  packages: readonly PythonPackage[],
  advisories: readonly Advisory[],
): Finding[] {
  const byName = new Map<string, Advisory[]>();
  for (const a of advisories) {
    if (a.ecosystem !== "PyPI") continue;
    const list = byName.get(a.source);
    if (list) list.push(a);
    else byName.set(a.source, [a]);
  }
  const found = new Map<string, Finding>();
  for (const pkg of packages) {
    const name = normalizeName(pkg.name);
    const version = tryParseVersion(pkg.version);
    if (version === undefined) continue;
    for (const a of byName.get(name) ?? []) {
      if (!affects(a, version)) continue;
      const finding: Finding = {
        id: a.id,
        ecosystem: "PyPI",
        package: pkg.name,
        source: name,
        installed: pkg.version,
        severity: a.severity,
        description: a.description,
        ...(a.state === "resolved" && a.fixedVersion !== undefined
          ? { status: "fixed" as const, fixedVersion: a.fixedVersion }
          : { status: "open" as const }),
      };
      // One finding per id and release; a range with a fix says more than a list of versions.
      const key = `${a.id}\0${name}\0${pkg.version}`;
      const seen = found.get(key);
      if (!seen || (seen.status !== "fixed" && finding.status === "fixed")) found.set(key, finding);
    }
  }
  return [...found.values()].sort(compareFindings);
}

/** Whether `a` covers the installed `v`. */
export function affects(a: Advisory, v: Version): boolean {
  if (a.versions !== undefined) return a.versions.some((listed) => sameRelease(v, listed));
  if (a.introduced !== undefined && a.introduced !== "0") {
    const introduced = tryParseVersion(a.introduced);
    if (introduced === undefined || compareParsed(v, introduced) < 0) return false;
  }
  if (a.fixedVersion !== undefined) {
    const fixed = tryParseVersion(a.fixedVersion);
    if (fixed === undefined || compareParsed(v, fixed) >= 0) return false;
  }
  if (a.lastAffected !== undefined) {
    const last = tryParseVersion(a.lastAffected);
    if (last === undefined || compareParsed(last.local ? v : publicOf(v), last) > 0) return false;
  }
  return true;
}

/** `v` is the release `listed` names: equal, or a local build of it when `listed` has no label. */
function sameRelease(v: Version, listed: string): boolean {
  const l = tryParseVersion(listed);
  if (l === undefined) return false;
  return compareParsed(l.local ? v : publicOf(v), l) === 0;
}

function publicOf(v: Version): Version {
  const { local: _local, ...rest } = v;
  return rest;
}
