// The gpu-smoke predicate: a report is checked against
// schema/gpu-smoke.schema.json before it is signed, and `attest --type
// gpu-smoke` signs only reports that pass the check.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { attestImage } from "../../src/sign/attest-image.ts";
import {
  checkGpuSmokeReport,
  GPU_SMOKE_PREDICATE_TYPE,
  type GpuSmokeReport,
  parseGpuSmokeReport,
} from "../../src/sign/gpu-smoke.ts";
import { openImageTarget } from "../../src/sign/image-target.ts";
import { keySigner, keyVerifier } from "../../src/sign/signer.ts";
import { predicateTypeUri } from "../../src/sign/statement.ts";
import { verifyAttestations } from "../../src/sign/verify-attestation.ts";
import { makeFixture } from "../oci/fixture-image.ts";

/** A passing report as `run --smoke-report` writes it. */
function passingReport(digest = `sha256:${"a".repeat(64)}`): GpuSmokeReport {
  return {
    result: "pass",
    image: { digest, name: "oci:out/cuda-smoke:latest", platform: "linux/amd64" },
    gpus: [
      { index: 0, name: "NVIDIA H100 80GB HBM3", computeCapability: "9.0", memoryBytes: 85_045_149_696 },
    ],
    driver: { version: "550.54.15", branch: "550", cudaVersion: "12.4" },
    runtime: { cudaVersion: "12.4" },
    kernels: [
      { name: "copy-64MiB", ok: true },
      { name: "add1", ok: true },
    ],
    program: { name: "/usr/local/bin/cuda-smoke", exitCode: 0 },
    startedOn: "2026-01-02T03:04:05Z",
    finishedOn: "2026-01-02T03:04:07.250Z",
  };
}

function invalid(e: unknown): boolean {
  return isCudasealError(e, "SMOKE_REPORT_INVALID");
}

describe("the gpu-smoke report", () => {
  it("accepts a passing report and a failing one with its error", () => {
    assert.deepEqual(checkGpuSmokeReport(passingReport()), passingReport());
    const failed: GpuSmokeReport = {
      ...passingReport(),
      result: "fail",
      gpus: [],
      driver: { version: "550.54.15", branch: "550" },
      runtime: {},
      kernels: [],
      error: { code: "NO_DEVICE", message: "cudaGetDeviceCount: no CUDA-capable device is detected" },
      program: { exitCode: 1 },
    };
    assert.equal(checkGpuSmokeReport(failed).result, "fail");
  });

  it("refuses a pass without a GPU, with a failed kernel, or without the driver's CUDA version", () => {
    const r = passingReport();
    assert.throws(() => checkGpuSmokeReport({ ...r, gpus: [] }), invalid);
    assert.throws(() => checkGpuSmokeReport({ ...r, kernels: [{ name: "add1", ok: false }] }), invalid);
    assert.throws(
      () => checkGpuSmokeReport({ ...r, driver: { version: "550.54.15", branch: "550" } }),
      invalid,
    );
  });

  it("refuses a fail without its error, unknown fields, a bad digest, a branch that is not the version's", () => {
    const r = passingReport();
    assert.throws(() => checkGpuSmokeReport({ ...r, result: "fail" }), invalid);
    assert.throws(() => checkGpuSmokeReport({ ...r, extra: 1 }), invalid);
    assert.throws(() => checkGpuSmokeReport({ ...r, image: { digest: "sha256:abc" } }), invalid);
    assert.throws(() => checkGpuSmokeReport({ ...r, driver: { ...r.driver, branch: "535" } }), invalid);
    assert.throws(() => checkGpuSmokeReport({ ...r, startedOn: "2026-13-45T99:99:99Z" }), invalid);
    assert.throws(() => checkGpuSmokeReport({ ...r, finishedOn: "2026-01-01T00:00:00Z" }), invalid);
    assert.throws(() => checkGpuSmokeReport([r]), invalid);
    assert.throws(() => parseGpuSmokeReport("{not json"), invalid);
  });

  it("names what is wrong, a few problems at most", () => {
    try {
      checkGpuSmokeReport({ result: "maybe", gpus: "none" });
      assert.fail("accepted");
    } catch (e) {
      assert.ok(invalid(e));
      const errors = (e as { details?: { errors?: string[] } }).details?.errors ?? [];
      assert.ok(errors.length > 0 && errors.length <= 5, String(errors));
      assert.match((e as Error).message, /result/);
    }
  });
});

describe("attest --type gpu-smoke", () => {
  const root = mkdtempSync(join(tmpdir(), "cudaseal-gpu-smoke-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  const fx = makeFixture(root);
  const layout = join(root, "layout");
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  let written = false;
  const open = async () => {
    if (!written) await writeOciLayout(layout, fx.single);
    written = true;
    return openImageTarget(`oci:${layout}:v1`);
  };

  it("is cudaseal's predicate type URI", () => {
    assert.equal(predicateTypeUri("gpu-smoke"), GPU_SMOKE_PREDICATE_TYPE);
    assert.equal(GPU_SMOKE_PREDICATE_TYPE, "https://cudaseal.dev/attestation/gpu-smoke/v1");
  });

  it("signs a valid report, which verifies with its predicate as written", async () => {
    const target = await open();
    const report = passingReport(target.manifest.digest);
    const result = await attestImage(target, keySigner(privateKey), {
      type: "gpu-smoke",
      predicate: Buffer.from(JSON.stringify(report)),
    });
    assert.equal(result.statement.predicateType, GPU_SMOKE_PREDICATE_TYPE);
    const verified = await verifyAttestations(target, keyVerifier(publicKey), { type: "gpu-smoke" });
    assert.equal(verified.length, 1);
    assert.deepEqual(verified[0].statement.predicate, report);
  });

  it("refuses a report about another image before signing anything (SMOKE_REPORT_INVALID)", async () => {
    const target = await open();
    const before = await verifyAttestations(target, keyVerifier(publicKey), { type: "gpu-smoke" });
    const other = passingReport(`sha256:${"b".repeat(64)}`);
    assert.notEqual(other.image.digest, target.manifest.digest);
    await assert.rejects(
      attestImage(target, keySigner(privateKey), {
        type: "gpu-smoke",
        predicate: Buffer.from(JSON.stringify(other)),
      }),
      invalid,
    );
    const afterwards = await verifyAttestations(target, keyVerifier(publicKey), { type: "gpu-smoke" });
    assert.equal(afterwards.length, before.length);
  });

  it("refuses an invalid report before signing anything (SMOKE_REPORT_INVALID)", async () => {
    const target = await open();
    const before = await verifyAttestations(target, keyVerifier(publicKey), { type: "gpu-smoke" });
    assert.equal(before.length, 1);
    const bad = { ...passingReport(target.manifest.digest), result: "pass", gpus: [] };
    await assert.rejects(
      attestImage(target, keySigner(privateKey), {
        type: "gpu-smoke",
        predicate: Buffer.from(JSON.stringify(bad)),
      }),
      invalid,
    );
    const afterwards = await verifyAttestations(target, keyVerifier(publicKey), { type: "gpu-smoke" });
    assert.equal(afterwards.length, before.length);
  });
});
