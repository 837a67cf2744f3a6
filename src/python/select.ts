// Best-wheel selection for one locked package: of the wheels the lock lists,
// the one whose best tag ranks highest for the image's interpreter (tags.ts),
// then the highest build tag, then the file name, so the choice never depends
// on the lock's order. A package with no wheel the image can use is refused
// with the reason for each wheel; one with only an sdist is refused with the
// reason the build does not build it.

import { CudasealError } from "../errors.ts";
import { normalizeName } from "./names.ts";
import { versionsEqual } from "./pep440.ts";
import { incompatibility, parseWheelName, type WheelName, wheelRank } from "./tags.ts";
import type { InterpreterFacts, LockedFile, LockedPythonPackage } from "./types.ts";

/** A wheel that suits the interpreter, with its rank (0 is best). */
export interface RankedWheel<F extends { filename: string }> {
  file: F;
  wheel: WheelName;
  rank: number;
}

/** The wheel files among `files` the interpreter accepts, best first; others are left out. */
export function rankWheels<F extends { filename: string }>(
  pkg: { name: string; version: string },
  files: F[],
  ranks: Map<string, number>,
  where: string,
): RankedWheel<F>[] {
  const out: RankedWheel<F>[] = [];
  for (const file of files) {
    if (!file.filename.toLowerCase().endsWith(".whl")) continue;
    const wheel = parseWheelName(file.filename);
    if (wheel.name !== normalizeName(pkg.name) || !versionsEqual(wheel.version, pkg.version))
      throw new CudasealError(
        "PY_LOCK_INVALID",
        `${where}: ${file.filename} is listed for ${pkg.name} ${pkg.version} but is ${wheel.name} ${wheel.version}`,
        { hint: "the lock was edited or is corrupt; regenerate it" },
      );
    const rank = wheelRank(wheel, ranks);
    if (rank !== undefined) out.push({ file, wheel, rank });
  }
  return out.sort(
    (a, b) =>
      a.rank - b.rank ||
      (b.wheel.build?.[0] ?? -1) - (a.wheel.build?.[0] ?? -1) ||
      ((b.wheel.build?.[1] ?? "") < (a.wheel.build?.[1] ?? "")
        ? -1
        : (b.wheel.build?.[1] ?? "") > (a.wheel.build?.[1] ?? "")
          ? 1
          : 0) ||
      (a.file.filename < b.file.filename ? -1 : a.file.filename > b.file.filename ? 1 : 0),
  );
}

/** PY_NO_WHEEL for `pkg`, saying why each of its files cannot be used. */
export function noWheel(
  pkg: { name: string; version: string },
  files: { filename: string }[],
  interpreter: InterpreterFacts,
): CudasealError {
  const wheels = files.filter((f) => f.filename.toLowerCase().endsWith(".whl"));
  const label = `${pkg.name} ${pkg.version}`;
  if (wheels.length === 0) {
    const sdists = files.map((f) => f.filename);
    return new CudasealError(
      "PY_NO_WHEEL",
      `${label} has no wheel${sdists.length > 0 ? `, only a source distribution (${sdists.slice(0, 3).join(", ")})` : ""}`,
      {
        hint: "the build runs no code, so it does not build sdists: lock a version that publishes wheels, or build the wheel yourself (pip wheel), serve it from an index and lock it",
        details: { package: pkg.name, version: pkg.version, files: sdists },
      },
    );
  }
  const reasons = wheels
    .slice(0, 8)
    .map((w) => `${w.filename}: ${incompatibility(parseWheelName(w.filename), interpreter)}`);
  return new CudasealError(
    "PY_NO_WHEEL",
    `none of the ${wheels.length} wheels of ${label} suits the image (CPython ${interpreter.version.join(".")}, ${interpreter.arch}, glibc ${interpreter.glibc.join(".")})`,
    {
      hint: `${reasons.join("\n")}${wheels.length > 8 ? `\n… and ${wheels.length - 8} more` : ""}`,
      details: { package: pkg.name, version: pkg.version, wheels: wheels.map((w) => w.filename) },
    },
  );
}

/** The best wheel the lock lists for `pkg`; PY_NO_WHEEL when none suits the interpreter. */
export function chooseWheel(
  pkg: LockedPythonPackage,
  ranks: Map<string, number>,
  interpreter: InterpreterFacts,
): LockedFile {
  const best = rankWheels(pkg, pkg.files, ranks, `${pkg.name} ${pkg.version}`)[0];
  if (best === undefined) throw noWheel(pkg, pkg.files, interpreter);
  return best.file;
}
