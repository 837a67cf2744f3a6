// Wheel file names (`{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`)
// and the compatibility tags the image's interpreter accepts, in packaging's
// order of preference (`packaging.tags.sys_tags` for CPython on glibc Linux):
//
//   cp313-cp313-<platforms>, cp313-abi3-<platforms>, cp313-none-<platforms>,
//   cp312-abi3-<platforms> … cp32-abi3-<platforms>,
//   py313-none-<platforms>, py3-none-<platforms>, py312-none-<platforms> … ,
//   cp313-none-any, py313-none-any, py3-none-any, py312-none-any …
//
// where <platforms> is manylinux_2_<glibc>_<arch> down to the oldest glibc
// the architecture has wheels for, each legacy name (manylinux2014 = 2_17,
// manylinux2010 = 2_12, manylinux1 = 2_5) beside its equivalent. Two tags
// packaging would also accept are refused here, with a reason: musllinux
// (built for musl libc, not the image's glibc) and the plain `linux_<arch>`
// tag (an unrepaired local build; see PLAIN_LINUX_REASON).

import { CudasealError } from "../errors.ts";
import { platformMachine } from "./markers.ts";
import { normalizeName } from "./names.ts";
import type { InterpreterFacts } from "./types.ts";

/** A wheel file name, parsed. */
export interface WheelName {
  filename: string;
  /** Normalised project name. */
  name: string;
  version: string;
  /** Build tag as a number and the rest (`1` , `1a` → [1, "a"]), for ordering. */
  build?: [number, string];
  /** Every tag the name expands to (`py2.py3-none-any` is two). */
  tags: string[];
}

/** Parse a wheel file name; WHEEL_INVALID when it is not one. */
export function parseWheelName(filename: string): WheelName {
  const bad = (why: string) =>
    new CudasealError(
      "WHEEL_INVALID",
      `${JSON.stringify(filename.slice(0, 200))} is not a wheel file name: ${why}`,
      {
        hint: "wheel names are {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl (PEP 427)",
      },
    );
  if (filename.length > 512 || !filename.endsWith(".whl") || filename.includes("/")) throw bad("bad form");
  const parts = filename.slice(0, -4).split("-");
  if (parts.length !== 5 && parts.length !== 6) throw bad("it needs 5 or 6 dash-separated parts");
  if (parts.some((p) => p === "" || !/^[A-Za-z0-9_.+!]+$/.test(p)))
    throw bad("a part holds characters a wheel name may not");
  const [name, version] = parts as [string, string];
  let build: [number, string] | undefined;
  if (parts.length === 6) {
    const m = /^([0-9]+)(.*)$/.exec(parts[2] as string);
    if (!m) throw bad("the build tag must start with a digit");
    build = [Number(m[1]), m[2] as string];
  }
  const [py, abi, plat] = parts.slice(-3) as [string, string, string];
  const tags: string[] = [];
  for (const p of py.split("."))
    for (const a of abi.split("."))
      for (const pl of plat.split(".")) tags.push(`${p}-${a}-${pl}`.toLowerCase());
  return { filename, name: normalizeName(name), version, build, tags };
}

/** glibc minor versions below which an architecture has no manylinux wheels. */
const OLDEST_GLIBC_MINOR: Record<string, number> = {
  x86_64: 5,
  i686: 5,
  aarch64: 17,
  ppc64le: 17,
  s390x: 17,
};

const LEGACY_MANYLINUX: Record<number, string> = {
  17: "manylinux2014",
  12: "manylinux2010",
  5: "manylinux1",
};

/** Platform tags for glibc 2.<minor> on `machine`, newest first. */
function linuxPlatforms(machine: string, glibc: [number, number]): string[] {
  if (glibc[0] !== 2) return [];
  const oldest = OLDEST_GLIBC_MINOR[machine] ?? 17;
  const out: string[] = [];
  for (let minor = glibc[1]; minor >= oldest; minor--) {
    out.push(`manylinux_2_${minor}_${machine}`);
    const legacy = LEGACY_MANYLINUX[minor];
    if (legacy !== undefined) out.push(`${legacy}_${machine}`);
  }
  return out;
}

/** Every tag the interpreter accepts, best first (packaging's sys_tags, less musllinux and linux_<arch>). */
export function supportedTags(interpreter: InterpreterFacts): string[] {
  const [major, minor] = interpreter.version;
  const platforms = linuxPlatforms(platformMachine(interpreter.arch), interpreter.glibc);
  const cp = `cp${major}${minor}`;
  const tags: string[] = [];
  const each = (py: string, abi: string) => {
    for (const p of platforms) tags.push(`${py}-${abi}-${p}`);
  };
  each(cp, cp);
  const abi3 = major === 3 && minor >= 2;
  if (abi3) each(cp, "abi3");
  each(cp, "none");
  if (abi3) for (let m = minor - 1; m >= 2; m--) each(`cp${major}${m}`, "abi3");
  const pyRange = [`py${major}${minor}`, `py${major}`];
  for (let m = minor - 1; m >= 0; m--) pyRange.push(`py${major}${m}`);
  for (const py of pyRange) each(py, "none");
  tags.push(`${cp}-none-any`);
  for (const py of pyRange) tags.push(`${py}-none-any`);
  return tags;
}

/** A tag → its rank (0 is best) for the interpreter. */
export function tagRanks(interpreter: InterpreterFacts): Map<string, number> {
  return new Map(supportedTags(interpreter).map((t, i) => [t, i]));
}

/** The wheel's best rank, or undefined when no tag of it is supported. */
export function wheelRank(wheel: WheelName, ranks: Map<string, number>): number | undefined {
  let best: number | undefined;
  for (const t of wheel.tags) {
    const r = ranks.get(t);
    if (r !== undefined && (best === undefined || r < best)) best = r;
  }
  return best;
}

/**
 * Why a plain `linux_<arch>` wheel is refused though pip on the same
 * machine would take it.
 */
export const PLAIN_LINUX_REASON =
  "a plain linux_* tag marks a wheel built on one machine and never repaired with auditwheel: it makes no promise " +
  "about which glibc or system libraries it needs, so it may fail to load in the image; PyPI refuses such uploads. " +
  "Rebuild it as manylinux (auditwheel repair)";

/** Why no tag of `wheel` suits the interpreter, in a few words, for PY_NO_WHEEL's hint. */
export function incompatibility(wheel: WheelName, interpreter: InterpreterFacts): string {
  const machine = platformMachine(interpreter.arch);
  const [major, minor] = interpreter.version;
  const reasons = new Set<string>();
  for (const tag of wheel.tags) {
    const [py, abi, plat] = tag.split("-") as [string, string, string];
    const many = /^manylinux_(\d+)_(\d+)_(.+)$/.exec(plat);
    const legacy = /^manylinux(1|2010|2014)_(.+)$/.exec(plat);
    const platArch = many?.[3] ?? legacy?.[2] ?? /^(?:musllinux_\d+_\d+|linux)_(.+)$/.exec(plat)?.[1];
    if (plat.startsWith("musllinux_"))
      reasons.add("musllinux: built for musl libc; the image's C library is glibc");
    else if (platArch !== undefined && platArch !== machine)
      reasons.add(`built for ${platArch}; the image is ${machine}`);
    else if (plat === `linux_${machine}`) reasons.add(PLAIN_LINUX_REASON);
    else if (many && (Number(many[1]) !== 2 || Number(many[2]) > interpreter.glibc[1]))
      reasons.add(`needs glibc ${many[1]}.${many[2]}; the image has ${interpreter.glibc.join(".")}`);
    else if (/^(macosx|win|ios|android)/.test(plat))
      reasons.add(`built for ${plat.split("_")[0]}, not Linux`);
    else if (abi.endsWith("t") && abi.startsWith("cp"))
      reasons.add(`built for a free-threaded CPython (${abi})`);
    else if (/^(pp|ip|jy|gp)/.test(py)) reasons.add(`built for another Python implementation (${py})`);
    else if (py.startsWith("cp") && abi !== "abi3" && py !== `cp${major}${minor}`)
      reasons.add(
        `built for CPython ${py.slice(2, 3)}.${py.slice(3)}; the image's interpreter is ${major}.${minor}`,
      );
    else if (py.startsWith("cp") && abi === "abi3" && Number(py.slice(3)) > minor)
      reasons.add(
        `needs CPython ${py.slice(2, 3)}.${py.slice(3)} or later; the image's interpreter is ${major}.${minor}`,
      );
    else reasons.add(`tag ${tag} is not one the image's interpreter accepts`);
  }
  return [...reasons].join("; ");
}
