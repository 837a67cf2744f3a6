// `cudaseal run --gpus … --smoke-report FILE`: what the GPU smoke program
// (smoke/cuda-smoke.c) found, as the gpu-smoke predicate
// (schema/gpu-smoke.schema.json) that `cudaseal attest --type gpu-smoke`
// signs. The program prints one JSON line on stdout; the run adds what only
// the host knows (the driver's version, from the probe that chose what to
// inject), the image's digest and platform, and when it ran. A program that
// printed no such line still gets a report: a failing one that says so, so
// a signed report never claims more than was seen.

import { CudasealError } from "../errors.ts";
import { checkGpuSmokeReport, type GpuSmokeReport } from "../sign/index.ts";
import { type RunOptions, type RunResult, runImage } from "./run.ts";

/** The end of stdout kept: the program's line is a few hundred bytes, its error text at most 2 KiB. */
const MAX_CAPTURE = 64 * 1024;

/** The line cuda-smoke prints (smoke/README.md). */
export interface SmokeProgramOutput {
  ok: boolean;
  runtimeVersion: number;
  driverVersion: number;
  deviceCount: number;
  device: string;
  computeCapability: string;
  memoryBytes?: number;
  copyCheck: "pass" | "fail" | "skipped";
  nvrtc: "pass" | "fail" | "absent" | "skipped";
  errorCode: string;
  error: string;
}

/** The last line of `stdout` that is the smoke program's report, if any. */
export function parseSmokeOutput(stdout: string): SmokeProgramOutput | undefined {
  const lines = stdout.split("\n").filter((l) => l.trim().startsWith("{"));
  for (const line of lines.reverse()) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    // The line comes from the image: every field used is checked for its type.
    const v = value as Partial<SmokeProgramOutput>;
    if (
      typeof v === "object" &&
      v !== null &&
      typeof v.ok === "boolean" &&
      Number.isSafeInteger(v.runtimeVersion) &&
      Number.isSafeInteger(v.driverVersion) &&
      Number.isSafeInteger(v.deviceCount) &&
      typeof v.device === "string" &&
      typeof v.computeCapability === "string" &&
      (v.memoryBytes === undefined || typeof v.memoryBytes === "number") &&
      typeof v.copyCheck === "string" &&
      typeof v.nvrtc === "string" &&
      typeof v.errorCode === "string" &&
      typeof v.error === "string"
    )
      return v as SmokeProgramOutput;
  }
  return undefined;
}

/** CUDA's 1000 × major + 10 × minor as `major.minor`; undefined for 0 (not read). */
function cudaVersion(encoded: number): string | undefined {
  if (!Number.isInteger(encoded) || encoded <= 0) return undefined;
  return `${Math.floor(encoded / 1000)}.${Math.floor((encoded % 1000) / 10)}`;
}

/** What goes into a report besides the program's line. */
export interface SmokeRunFacts {
  output?: SmokeProgramOutput;
  exitCode: number;
  driverVersion: string;
  image: { digest: string; name?: string; platform?: string };
  program?: string;
  startedAt: Date;
  finishedAt: Date;
}

/** The gpu-smoke predicate for one run, checked against its schema. */
export function smokeReport(facts: SmokeRunFacts): GpuSmokeReport {
  const out = facts.output;
  const kernels: GpuSmokeReport["kernels"] = [];
  if (out !== undefined && out.copyCheck !== "skipped")
    kernels.push({ name: "copy-64MiB", ok: out.copyCheck === "pass" });
  if (out !== undefined && (out.nvrtc === "pass" || out.nvrtc === "fail"))
    kernels.push({ name: "add1", ok: out.nvrtc === "pass" });
  const memory = out?.memoryBytes;
  const gpus: GpuSmokeReport["gpus"] =
    out !== undefined &&
    out.deviceCount > 0 &&
    out.device !== "" &&
    out.device.length <= 256 &&
    /^\d{1,3}\.\d{1,3}$/.test(out.computeCapability)
      ? [
          {
            index: 0,
            name: out.device,
            computeCapability: out.computeCapability,
            memoryBytes: Number.isSafeInteger(memory) && (memory as number) >= 0 ? (memory as number) : 0,
          },
        ]
      : [];
  const driverCuda = out === undefined ? undefined : cudaVersion(out.driverVersion);
  const runtimeCuda = out === undefined ? undefined : cudaVersion(out.runtimeVersion);
  // A pass is held to what the schema requires of one, so that an image
  // whose line says ok while it lacks a version or a kernel failed gets a
  // failing report, not SMOKE_REPORT_INVALID after its program ran.
  const pass =
    out?.ok === true &&
    facts.exitCode === 0 &&
    gpus.length > 0 &&
    kernels.length > 0 &&
    kernels.every((k) => k.ok) &&
    driverCuda !== undefined &&
    runtimeCuda !== undefined;
  const report: GpuSmokeReport = {
    result: pass ? "pass" : "fail",
    image: facts.image,
    gpus,
    driver: {
      version: facts.driverVersion,
      branch: facts.driverVersion.split(".")[0],
      ...(driverCuda ? { cudaVersion: driverCuda } : {}),
    },
    runtime: runtimeCuda ? { cudaVersion: runtimeCuda } : {},
    kernels,
    ...(pass ? {} : { error: failure(facts) }),
    program: { ...(facts.program ? { name: facts.program } : {}), exitCode: facts.exitCode },
    startedOn: facts.startedAt.toISOString(),
    finishedOn: facts.finishedAt.toISOString(),
  };
  return checkGpuSmokeReport(report);
}

function failure(facts: SmokeRunFacts): { code: string; message: string } {
  const out = facts.output;
  if (out === undefined)
    return {
      code: "NO_REPORT",
      message: `the program printed no smoke report (exit status ${facts.exitCode}): is the image's entrypoint the GPU smoke program?`,
    };
  if (out.errorCode !== "") return { code: out.errorCode.slice(0, 64), message: out.error.slice(0, 4096) };
  if (facts.exitCode !== 0) return { code: "EXIT_STATUS", message: `the program exited ${facts.exitCode}` };
  return {
    code: "INCOMPLETE",
    message:
      "the program's report names no usable GPU, no device work that ran, a kernel that failed, or no CUDA version",
  };
}

/** Run the image's smoke program with GPUs and return its report with the run. */
export async function runSmoke(
  ref: string,
  options: RunOptions,
): Promise<{ run: RunResult; report: GpuSmokeReport }> {
  if (options.gpus === undefined) {
    throw new CudasealError("USAGE", "a smoke report records a run with GPUs: add --gpus all", {
      hint: "cudaseal run --gpus all oci:out/cuda-smoke --smoke-report smoke.json",
    });
  }
  const run = await runImage(ref, { ...options, captureStdout: MAX_CAPTURE });
  const program = options.command?.[0] ?? options.entrypoint;
  const report = smokeReport({
    output: parseSmokeOutput(run.stdout?.toString("utf8") ?? ""),
    exitCode: run.exitCode,
    // runImage refuses --gpus without a driver, so the probe found one.
    driverVersion: run.gpu?.driverVersion ?? "0",
    image: { digest: run.manifestDigest, name: ref, platform: run.platform },
    ...(program ? { program } : {}),
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  });
  return { run, report };
}
