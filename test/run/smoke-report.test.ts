// The signed GPU test: `cudaseal run --gpus all --smoke-report FILE` with the
// fake driver tree and the real smoke program (fixture.ts) writes a
// gpu-smoke report, `cudaseal attest --type gpu-smoke` signs it and
// `cudaseal verify-attestation --type gpu-smoke` gives it back. The report's
// making from the program's line is checked on its own first, failures
// included.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseSmokeOutput, type SmokeProgramOutput, smokeReport } from "../../src/run/smoke-report.ts";
import { checkGpuSmokeReport, GPU_SMOKE_PREDICATE_TYPE } from "../../src/sign/gpu-smoke.ts";
import { runCli } from "../helpers/cli.ts";
import { makeRunFixture, type RunFixture, unavailable } from "./fixture.ts";

const DIGEST = `sha256:${"b".repeat(64)}`;
const PASS: SmokeProgramOutput = {
  ok: true,
  runtimeVersion: 12040,
  driverVersion: 12080,
  deviceCount: 1,
  device: "NVIDIA H100 80GB HBM3",
  computeCapability: "9.0",
  memoryBytes: 85_045_149_696,
  copyCheck: "pass",
  nvrtc: "pass",
  errorCode: "",
  error: "",
};
const facts = (output: SmokeProgramOutput | undefined, exitCode = 0) => ({
  output,
  exitCode,
  driverVersion: "550.54.15",
  image: { digest: DIGEST, name: "oci:out/cuda-smoke", platform: "linux/amd64" },
  startedAt: new Date("2026-01-02T03:04:05Z"),
  finishedAt: new Date("2026-01-02T03:04:06Z"),
});

describe("the smoke report from the program's line", () => {
  test("the last report line of stdout is the program's, other lines are not", () => {
    const text = `starting\n{"not":"it"}\n${JSON.stringify({ ...PASS, device: "first" })}\n${JSON.stringify(PASS)}\nbye\n`;
    assert.equal(parseSmokeOutput(text)?.device, PASS.device);
    assert.equal(parseSmokeOutput("no json here\n{broken"), undefined);
    // A line of the right shape with the wrong types is not the program's.
    assert.equal(parseSmokeOutput(JSON.stringify({ ...PASS, errorCode: 7 })), undefined);
    assert.equal(parseSmokeOutput(JSON.stringify({ ...PASS, device: null })), undefined);
  });

  test("a pass names the GPU, the driver's branch and CUDA, the runtime and both kernels", () => {
    const r = smokeReport(facts(PASS));
    assert.equal(r.result, "pass");
    assert.deepEqual(r.gpus, [
      { index: 0, name: PASS.device, computeCapability: "9.0", memoryBytes: 85_045_149_696 },
    ]);
    assert.deepEqual(r.driver, { version: "550.54.15", branch: "550", cudaVersion: "12.8" });
    assert.deepEqual(r.runtime, { cudaVersion: "12.4" });
    assert.deepEqual(r.kernels, [
      { name: "copy-64MiB", ok: true },
      { name: "add1", ok: true },
    ]);
    assert.equal(r.error, undefined);
    assert.deepEqual(checkGpuSmokeReport(r), r);
  });

  test("without NVRTC only the copy ran; a failure carries the program's code; no line is NO_REPORT", () => {
    assert.deepEqual(smokeReport(facts({ ...PASS, nvrtc: "absent" })).kernels, [
      { name: "copy-64MiB", ok: true },
    ]);
    const noDevice = smokeReport(
      facts(
        {
          ...PASS,
          ok: false,
          deviceCount: 0,
          device: "",
          computeCapability: "",
          copyCheck: "skipped",
          nvrtc: "skipped",
          errorCode: "NO_DEVICE",
          error: "cudaGetDeviceCount: no CUDA-capable device is detected",
        },
        1,
      ),
    );
    assert.equal(noDevice.result, "fail");
    assert.deepEqual(noDevice.gpus, []);
    assert.equal(noDevice.error?.code, "NO_DEVICE");
    const silent = smokeReport(facts(undefined, 0));
    assert.equal(silent.result, "fail", "a program that says nothing proves nothing, whatever its status");
    assert.equal(silent.error?.code, "NO_REPORT");
    assert.deepEqual(silent.runtime, {});
    // What the image's program says is bounded before it is reported.
    assert.equal(smokeReport(facts({ ...PASS, memoryBytes: -1 })).gpus[0].memoryBytes, 0);
    assert.equal(smokeReport(facts({ ...PASS, device: "x".repeat(300) })).error?.code, "INCOMPLETE");
    // A program that says ok but exits non-zero is not a pass either.
    assert.equal(smokeReport(facts(PASS, 1)).result, "fail");
    // Nor one that says ok while a kernel failed or a version was not read:
    // a failing report, not SMOKE_REPORT_INVALID after the program ran.
    for (const said of [
      { ...PASS, copyCheck: "fail" as const },
      { ...PASS, runtimeVersion: 0 },
      { ...PASS, driverVersion: 0 },
    ])
      assert.equal(smokeReport(facts(said)).error?.code, "INCOMPLETE");
  });
});

describe("cudaseal run --smoke-report, attest --type gpu-smoke, verify-attestation", {
  skip: await unavailable(),
}, () => {
  let work: string;
  let fx: RunFixture;
  let env: Record<string, string>;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "cudaseal-smoke-report-"));
    fx = await makeRunFixture(work);
    mkdirSync(join(work, "tmp"));
    env = { TMPDIR: join(work, "tmp") };
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    writeFileSync(join(work, "key.pem"), privateKey.export({ format: "pem", type: "pkcs8" }));
    writeFileSync(join(work, "key.pub"), publicKey.export({ format: "pem", type: "spki" }));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const run = (args: string[]) =>
    runCli(["run", "--quiet", "--cache-dir", join(work, "cache"), "--driver-root", fx.driverRoot, ...args], {
      env,
    });

  test("a passing run is reported, signed and verified with its predicate as written", async () => {
    const reportFile = join(work, "smoke.json");
    const r = await run(["--gpus", "all", "--smoke-report", reportFile, fx.smoke]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).ok, true, "the program's line still reaches stdout");
    const report = JSON.parse(readFileSync(reportFile, "utf8"));
    assert.equal(report.result, "pass");
    assert.deepEqual(report.gpus, [
      { index: 0, name: "Fake GPU", computeCapability: "8.0", memoryBytes: 16 * 1024 ** 3 },
    ]);
    assert.deepEqual(report.driver, { version: "550.54.15", branch: "550", cudaVersion: "12.8" });
    assert.deepEqual(report.runtime, { cudaVersion: "12.4" });
    assert.deepEqual(report.kernels, [{ name: "copy-64MiB", ok: true }]); // the image has no NVRTC
    assert.match(report.image.digest, /^sha256:[0-9a-f]{64}$/);

    const image = fx.smoke;
    const key = join(work, "key.pem");
    const attested = await runCli([
      "attest",
      "--key",
      key,
      "--type",
      "gpu-smoke",
      "--predicate",
      reportFile,
      image,
      "--json",
    ]);
    assert.equal(attested.status, 0, attested.stderr);
    assert.equal(JSON.parse(attested.stdout).predicateType, GPU_SMOKE_PREDICATE_TYPE);
    assert.equal(
      JSON.parse(attested.stdout).digest,
      report.image.digest,
      "the report is about the image attested",
    );
    const verified = await runCli([
      "verify-attestation",
      "--key",
      join(work, "key.pub"),
      "--type",
      "gpu-smoke",
      image,
    ]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.ok(
      verified.stdout.includes('"result":"pass"') || verified.stdout.includes('"result": "pass"'),
      verified.stdout,
    );
  });

  test("a run without a driver in the image's reach is reported as a failure, and attest refuses a broken report", async () => {
    const reportFile = join(work, "old.json");
    // The old driver tree is refused before the start (RUN_DRIVER_TOO_OLD): no report is written.
    const old = await run([
      "--gpus",
      "all",
      "--driver-root",
      fx.oldDriverRoot,
      "--smoke-report",
      reportFile,
      fx.smoke,
    ]);
    assert.notEqual(old.status, 0);
    assert.throws(() => readFileSync(reportFile));
    // NVIDIA_VISIBLE_DEVICES=void: the driver is probed but nothing is injected, so the program fails.
    const none = await run([
      "--gpus",
      "all",
      "-e",
      "NVIDIA_VISIBLE_DEVICES=void",
      "--smoke-report",
      reportFile,
      fx.smoke,
    ]);
    assert.equal(none.status, 1, none.stderr);
    const report = JSON.parse(readFileSync(reportFile, "utf8"));
    assert.equal(report.result, "fail");
    assert.equal(report.error.code, "NO_DRIVER");
    const usage = await run(["--smoke-report", reportFile, fx.smoke]);
    assert.match(usage.stderr, /USAGE/);
    const broken = join(work, "broken.json");
    writeFileSync(broken, JSON.stringify({ ...report, result: "pass" }));
    const refused = await runCli([
      "attest",
      "--key",
      join(work, "key.pem"),
      "--type",
      "gpu-smoke",
      "--predicate",
      broken,
      fx.smoke,
    ]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /SMOKE_REPORT_INVALID/);
  });
});
