// The gpu-smoke predicate: what the GPU smoke program found when an image
// ran on a GPU host (`cudaseal run --smoke-report`), signed by `cudaseal
// attest --type gpu-smoke` and required by admission policies (a cluster
// admits only images proven on a GPU of the right driver branch). Its shape
// is the published schema, schema/gpu-smoke.schema.json; a report is checked
// against it before it is signed, so a policy never meets a signed report it
// cannot read.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import { CudasealError } from "../errors.ts";

/** The in-toto predicate type of a signed smoke report. */
export const GPU_SMOKE_PREDICATE_TYPE = "https://cudaseal.dev/attestation/gpu-smoke/v1";

/** One GPU the program saw. */
export interface GpuSmokeGpu {
  index?: number;
  name: string;
  /** `major.minor`, e.g. `9.0`. */
  computeCapability: string;
  /** Global memory; 0 when the runtime did not say. */
  memoryBytes: number;
}

/** The predicate (schema/gpu-smoke.schema.json). */
export interface GpuSmokeReport {
  result: "pass" | "fail";
  image: { digest: string; name?: string; platform?: string };
  gpus: GpuSmokeGpu[];
  /** The host driver: `550.54.15`, branch `550`, and the newest CUDA it supports, `12.4`. */
  driver: { version: string; branch: string; cudaVersion?: string };
  /** The image's CUDA runtime, absent when it did not load. */
  runtime: { cudaVersion?: string };
  kernels: { name: string; ok: boolean }[];
  error?: { code: string; message: string };
  program?: { name?: string; exitCode: number };
  startedOn: string;
  finishedOn: string;
}

const SCHEMA_PATH = fileURLToPath(new URL("../../schema/gpu-smoke.schema.json", import.meta.url));

let validator: ReturnType<Ajv["compile"]> | undefined;
function schemaErrors(value: unknown): ErrorObject[] {
  if (!validator) {
    // Formats are checked by the schema's own patterns (and the dates below):
    // ajv's format plugin is not a dependency of the library.
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    // The schema ships with cudaseal: it is read as it is.
    validator = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, "utf8")));
  }
  return validator(value) ? [] : (validator.errors ?? []);
}

/** At most this many schema errors are named in one message. */
const MAX_ERRORS_SHOWN = 5;

/** Ajv's errors as short lines: the missing fields of one object on one line. */
function describe(errors: ErrorObject[]): string[] {
  const missing = new Map<string, string[]>();
  const lines: string[] = [];
  for (const e of errors) {
    const at = e.instancePath || "/";
    // "must match the then/else schema" only repeats the errors inside it.
    if (e.keyword === "if") continue;
    if (e.keyword === "required") {
      const list = missing.get(at) ?? [];
      list.push(String((e.params as { missingProperty?: unknown }).missingProperty));
      missing.set(at, list);
    } else lines.push(`${at} ${e.message ?? "is invalid"}`);
  }
  for (const [at, fields] of missing) lines.push(`${at} lacks ${[...new Set(fields)].join(", ")}`);
  return lines;
}

/** `value` as a smoke report, or SMOKE_REPORT_INVALID naming what the schema refuses. */
export function checkGpuSmokeReport(value: unknown): GpuSmokeReport {
  const errors = schemaErrors(value);
  const problems = describe(errors);
  if (errors.length === 0) {
    const report = value as GpuSmokeReport;
    for (const field of ["startedOn", "finishedOn"] as const) {
      if (Number.isNaN(Date.parse(report[field]))) problems.push(`/${field} is not a date`);
    }
    if (problems.length === 0 && Date.parse(report.finishedOn) < Date.parse(report.startedOn))
      problems.push("/finishedOn is before /startedOn");
    if (problems.length === 0 && report.driver.branch !== report.driver.version.split(".")[0])
      problems.push("/driver/branch is not the first number of /driver/version");
  }
  if (problems.length > 0) {
    const shown = [...new Set(problems)].slice(0, MAX_ERRORS_SHOWN);
    throw new CudasealError("SMOKE_REPORT_INVALID", `the GPU smoke report is invalid: ${shown.join("; ")}`, {
      hint: "write it with 'cudaseal run --gpus all IMAGE --smoke-report FILE'; schema/gpu-smoke.schema.json is its shape",
      details: { errors: shown },
    });
  }
  return value as GpuSmokeReport;
}

/** A smoke report file's text, parsed and checked. */
export function parseGpuSmokeReport(text: string): GpuSmokeReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CudasealError("SMOKE_REPORT_INVALID", "the GPU smoke report is not JSON", {
      cause: err,
      hint: "write it with 'cudaseal run --gpus all IMAGE --smoke-report FILE'",
    });
  }
  return checkGpuSmokeReport(value);
}
