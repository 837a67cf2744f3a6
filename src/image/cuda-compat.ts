// Whether a host's NVIDIA driver runs an image's CUDA: the release notes'
// driver table (data/cuda-driver-compat.json) applied to the image's
// NVIDIA_REQUIRE_CUDA, the way the NVIDIA Container Toolkit reads it.
//
// NVIDIA_REQUIRE_CUDA is a logical expression: space-separated clauses are
// ORed, the comma-separated constraints of a clause are ANDed. A constraint
// is `cuda`, `driver`, `arch` or `brand`, an operator (>=, >, <=, <, =, !=),
// and a version or name: `cuda>=12.4 brand=tesla,driver>=470,driver<471`.
// `cuda` is compared with the CUDA version the driver reports (its branch:
// 550 reports 12.4), `driver` with the driver version, component by
// component as numbers (470.82.01 < 470.239.06).
//
// A `cuda>=` clause the driver's branch misses can still run through minor
// version compatibility (same major, driver at least the major's floor, a
// limited feature set); the container toolkit itself refuses it unless
// NVIDIA_DISABLE_REQUIRE=true, which the result says. A brand clause is the
// image announcing forward compatibility (cuda-compat libraries inside it, a
// data center GPU on an older branch); it counts only when the caller knows
// the GPU's brand.
//
// API, for `doctor`, `run` and `audit`:
//   parseRequireCuda(value)              → the clauses, or CUDA_REQUIREMENT_INVALID
//   compareDriverVersions(a, b)          → <0, 0, >0; DRIVER_VERSION_INVALID on junk
//   driverCudaVersion(driver)            → "12.4": the CUDA version a driver reports
//   minimumDriverFor(cuda)               → the full-feature and minor-compat floors
//   checkDriver(driver, requirement, o?) → { ok, minimum, reason, viaMinorVersionCompat, … }
//   compatTable()                        → the data file, for docs and --json

import { readFileSync } from "node:fs";
import { CudasealError } from "../errors.ts";

/** One constraint of a clause: `driver>=470`. */
export interface Constraint {
  key: "cuda" | "driver" | "arch" | "brand";
  op: ">=" | ">" | "<=" | "<" | "=" | "!=";
  value: string;
}

/** NVIDIA_REQUIRE_CUDA parsed: any one clause (all its constraints) satisfies it. */
export interface CudaRequirement {
  raw: string;
  clauses: Constraint[][];
  /** The CUDA version of the plain `cuda>=X` clause, the image's own toolkit. */
  cuda?: string;
}

export interface CompatTable {
  source: { title: string; url: string; compatibility: string; platform: string; checked: string };
  minorVersionCompatibility: { majors: { major: number; minimumDriver: string }[] };
  toolkitReleases: { rows: { cuda: string; release: string; minimumDriver: string }[] };
  driverBranches: { rows: { branch: number; cuda: string }[] };
  forwardCompatibility: { source: string; package: string; gpus: string[] };
}

export interface DriverCheck {
  /** The driver runs the image's CUDA, fully, through minor version or through forward compatibility. */
  ok: boolean;
  /** The oldest driver with the full feature set of the required CUDA, when the table knows it. */
  minimum?: string;
  /** One sentence for a human: what was compared and why it passed or failed. */
  reason: string;
  /**
   * Runs only through minor version compatibility: no JIT of newer PTX, no
   * APIs newer than the driver, and the container toolkit refuses to start
   * it unless NVIDIA_DISABLE_REQUIRE=true.
   */
  viaMinorVersionCompat: boolean;
  /** Runs only through a brand clause: the image's cuda-compat libraries on a data center GPU. */
  viaForwardCompat: boolean;
  /** The CUDA version the driver reports (what nvidia-smi shows). */
  driverCuda?: string;
  /** The CUDA version the image asks for. */
  requiredCuda?: string;
}

export interface CheckDriverOptions {
  /** The GPU's product brand (`tesla`, `nvidia`, `geforce`…), when known; brand clauses need it. */
  brand?: string;
}

const TABLE_URL = new URL("../../data/cuda-driver-compat.json", import.meta.url);
let table: CompatTable | undefined;

/** The driver/CUDA table as shipped in data/cuda-driver-compat.json. */
export function compatTable(): CompatTable {
  table ??= JSON.parse(readFileSync(TABLE_URL, "utf8")) as CompatTable;
  return table;
}

const VERSION = /^\d+(?:\.\d+)*$/;
const CONSTRAINT = /^(cuda|driver|arch|brand)(>=|<=|!=|>|<|=)([A-Za-z0-9._-]+)$/;

function components(version: string, what: string): number[] {
  const v = version.trim();
  if (!VERSION.test(v)) {
    throw new CudasealError("DRIVER_VERSION_INVALID", `not a ${what} version: ${JSON.stringify(version)}`, {
      hint: "versions are dot-separated numbers, e.g. 550.54.15",
    });
  }
  return v.split(".").map(Number);
}

/** Compare dotted versions component by component as numbers; a missing component counts as 0. */
export function compareDriverVersions(a: string, b: string): number {
  const x = components(a, "driver");
  const y = components(b, "driver");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Parse NVIDIA_REQUIRE_CUDA; junk is CUDA_REQUIREMENT_INVALID (the toolkit refuses it too). */
export function parseRequireCuda(value: string): CudaRequirement {
  const raw = value.trim();
  const clauses: Constraint[][] = [];
  for (const word of raw.split(/\s+/).filter(Boolean)) {
    const clause: Constraint[] = [];
    for (const part of word.split(",")) {
      const m = CONSTRAINT.exec(part);
      if (!m) {
        throw new CudasealError(
          "CUDA_REQUIREMENT_INVALID",
          `NVIDIA_REQUIRE_CUDA has a bad constraint: ${part}`,
          {
            hint: "constraints look like cuda>=12.4, driver>=470, brand=tesla or arch>=7.0",
            details: { value: raw },
          },
        );
      }
      const c = { key: m[1], op: m[2], value: m[3] } as Constraint;
      if ((c.key === "cuda" || c.key === "driver" || c.key === "arch") && !VERSION.test(c.value)) {
        throw new CudasealError("CUDA_REQUIREMENT_INVALID", `NVIDIA_REQUIRE_CUDA: ${part} needs a version`, {
          details: { value: raw },
        });
      }
      clause.push(c);
    }
    clauses.push(clause);
  }
  const plain = clauses.find((c) => c.length === 1 && c[0].key === "cuda" && c[0].op === ">=");
  return plain ? { raw, clauses, cuda: plain[0].value } : { raw, clauses };
}

/** The CUDA version a driver reports: that of its branch, or of the nearest older listed branch. */
export function driverCudaVersion(driver: string): string | undefined {
  const branch = components(driver, "driver")[0];
  return compatTable().driverBranches.rows.find((r) => r.branch <= branch)?.cuda;
}

export interface MinimumDriver {
  /** The driver of the table's row for this release (X.Y means its GA; X.Y.Z the update). */
  full?: string;
  /** The floor for minor version compatibility within the major (CUDA 11 on). */
  minorVersionCompat?: string;
}

/** The drivers a CUDA version needs: `12.4` → 550.54.14 (full), 525.60.13 (minor version compatibility). */
export function minimumDriverFor(cuda: string): MinimumDriver {
  const [major, minor, patch] = components(cuda, "CUDA");
  const { toolkitReleases, minorVersionCompatibility } = compatTable();
  const sameMinor = toolkitReleases.rows.filter((r) => {
    const [a, b] = r.cuda.split(".").map(Number);
    return a === major && b === (minor ?? 0);
  });
  // Rows are newest first: an update (12.4.1) takes its own row or the newest before it; X.Y takes the GA.
  const row =
    patch === undefined
      ? sameMinor.at(-1)
      : sameMinor.find((r) => compareDriverVersions(r.cuda, cuda) <= 0 && r.cuda.split(".").length === 3);
  const mvc = minorVersionCompatibility.majors.find((m) => m.major === major)?.minimumDriver;
  const result: MinimumDriver = {};
  if (row) result.full = row.minimumDriver;
  if (mvc) result.minorVersionCompat = mvc;
  return result;
}

function compare(cmp: number, op: Constraint["op"]): boolean {
  switch (op) {
    case ">=":
      return cmp >= 0;
    case ">":
      return cmp > 0;
    case "<=":
      return cmp <= 0;
    case "<":
      return cmp < 0;
    case "=":
      return cmp === 0;
    case "!=":
      return cmp !== 0;
  }
}

interface Host {
  driver: string;
  driverCuda?: string;
  brand?: string;
}

/** Whether a constraint holds on the host; undefined when the host fact is unknown. */
function holds(c: Constraint, host: Host): boolean | undefined {
  switch (c.key) {
    case "driver":
      return compare(compareDriverVersions(host.driver, c.value), c.op);
    case "cuda":
      return host.driverCuda === undefined
        ? undefined
        : compare(compareDriverVersions(host.driverCuda, c.value), c.op);
    case "brand":
      if (host.brand === undefined) return undefined;
      return compare(host.brand.toLowerCase() === c.value.toLowerCase() ? 0 : 1, c.op === "!=" ? "!=" : "=");
    case "arch":
      // The GPU's compute capability is not known here; assume the image's author chose it right.
      return true;
  }
}

/**
 * Whether `driver` (e.g. 550.54.15) runs an image whose NVIDIA_REQUIRE_CUDA
 * is `requirement`; an empty or absent requirement asks for nothing.
 */
export function checkDriver(
  driver: string,
  requirement: string | CudaRequirement | undefined,
  options: CheckDriverOptions = {},
): DriverCheck {
  const driverCuda = driverCudaVersion(driver);
  const req = typeof requirement === "string" ? parseRequireCuda(requirement) : requirement;
  const base = {
    viaMinorVersionCompat: false,
    viaForwardCompat: false,
    ...(driverCuda ? { driverCuda } : {}),
  };
  if (!req || req.clauses.length === 0) {
    return { ok: true, reason: "the image states no CUDA requirement", ...base };
  }
  const host: Host = { driver, driverCuda, brand: options.brand };
  const need = req.cuda;
  const floors = need ? minimumDriverFor(need) : {};
  const withNeed = {
    ...base,
    ...(need ? { requiredCuda: need } : {}),
    ...(floors.full ? { minimum: floors.full } : {}),
  };
  const reports = `driver ${driver} reports CUDA ${driverCuda ?? "unknown"}`;

  // 1. A clause holds outright: the toolkit starts the container with every feature there.
  const held = req.clauses.find((clause) => clause.every((c) => holds(c, host) === true));
  if (held) {
    const forward = held.some((c) => c.key === "brand");
    const clause = held.map((c) => `${c.key}${c.op}${c.value}`).join(",");
    return {
      ok: true,
      reason: forward
        ? `${reports}; the image's forward-compatibility clause ${clause} holds (cuda-compat libraries on a data center GPU)`
        : `${reports}, which meets ${clause}`,
      ...withNeed,
      viaForwardCompat: forward,
    };
  }

  // 2. The image's CUDA is of the driver's major and the driver is past the major's floor.
  if (need && floors.minorVersionCompat && driverCuda) {
    const sameMajor = need.split(".")[0] === driverCuda.split(".")[0];
    if (sameMajor && compareDriverVersions(driver, floors.minorVersionCompat) >= 0) {
      return {
        ok: true,
        reason: `${reports}, older than the image's CUDA ${need}: it runs through minor version compatibility (driver ≥ ${floors.minorVersionCompat}) with a limited feature set, and the NVIDIA Container Toolkit refuses cuda>=${need} unless NVIDIA_DISABLE_REQUIRE=true`,
        ...withNeed,
        viaMinorVersionCompat: true,
      };
    }
  }

  // 3. Nothing holds: say what would.
  const brandClause = req.clauses.find(
    (clause) =>
      clause.some((c) => c.key === "brand") &&
      clause.every((c) => holds(c, host) !== false) &&
      host.brand === undefined,
  );
  const want = floors.full ? ` (needs ≥ ${floors.full})` : "";
  const brandNote = brandClause
    ? `; the image also accepts ${brandClause.map((c) => `${c.key}${c.op}${c.value}`).join(",")} through forward compatibility, if the GPU is of that brand`
    : "";
  return {
    ok: false,
    reason: need
      ? `${reports}, too old for the image's CUDA ${need}${want}${brandNote}`
      : `${reports}; no clause of NVIDIA_REQUIRE_CUDA=${req.raw} holds${brandNote}`,
    ...withNeed,
  };
}
