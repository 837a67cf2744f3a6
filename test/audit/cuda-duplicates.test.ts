// CS-CUDA-LIBRARY-DUPLICATED on a real image layout: the system's CUDA
// libraries and a venv's nvidia-*-cu12 wheel libraries side by side, with
// the links, hard links and deletions that are not second copies.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { auditImage } from "../../src/audit/index.ts";
import type { Finding } from "../../src/findings/index.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { image, layer } from "./fixture.ts";

const ELF = "\u007fELF\u0002\u0001\u0001\u0000";
const NVIDIA = "opt/venv/lib/python3.13/site-packages/nvidia";
const dir = mkdtempSync(join(tmpdir(), "cudaseal-audit-cuda-"));
let found: Finding[] = [];

before(async () => {
  const system = layer(dir, "system", [
    { name: "usr/lib/x86_64-linux-gnu/libcublas.so.12.4.5.8", data: ELF + "b".repeat(3000), mode: 0o644 },
    { name: "usr/lib/x86_64-linux-gnu/libcublas.so.12", type: "symlink", linkname: "libcublas.so.12.4.5.8" },
    { name: "usr/lib/x86_64-linux-gnu/libcublas.so", type: "symlink", linkname: "libcublas.so.12" },
    { name: "usr/local/cuda/lib64/libcudart.so.12.4.127", data: ELF + "r".repeat(500), mode: 0o644 },
    { name: "usr/local/cuda/lib64/libcufft.so.11.2.1.3", data: `${ELF}fft`, mode: 0o644 },
    { name: "usr/lib/x86_64-linux-gnu/libnccl.so.2.21.5", data: `${ELF}nccl`, mode: 0o644 },
    // Another copy by hard link is the same file.
    {
      name: "usr/lib/nccl/libnccl.so.2",
      type: "hardlink",
      linkname: "usr/lib/x86_64-linux-gnu/libnccl.so.2.21.5",
    },
  ]);
  const wheels = layer(dir, "wheels", [
    { name: `${NVIDIA}/cublas/lib/libcublas.so.12`, data: ELF + "w".repeat(4000), mode: 0o755 },
    { name: `${NVIDIA}/cublas/lib/libcublasLt.so.12`, data: `${ELF}lt`, mode: 0o755 },
    { name: `${NVIDIA}/cuda_runtime/lib/libcudart.so.12`, data: ELF + "c".repeat(600), mode: 0o755 },
    { name: `${NVIDIA}/cufft/lib/libcufft.so.11`, data: `${ELF}fft`, mode: 0o755 },
    { name: `${NVIDIA}/cudnn/lib/libcudnn.so.9`, data: `${ELF}dnn`, mode: 0o755 },
    // auditwheel's renamed copy inside torch is one more libcudnn.so.9.
    {
      name: "opt/venv/lib/python3.13/site-packages/torch/lib/libcudnn-0a1b2c3d.so.9",
      data: `${ELF}d`,
      mode: 0o755,
    },
  ]);
  // The system's cuFFT is deleted: one copy is left.
  const cleanup = layer(dir, "cleanup", [{ name: "usr/local/cuda/lib64/.wh.libcufft.so.11.2.1.3" }]);
  await writeOciLayout(
    join(dir, "image"),
    image([system, wheels, cleanup], { user: "65532:65532", created: new Date("2026-06-14T00:00:00Z") }),
  );
  const { report } = await auditImage(`oci:${join(dir, "image")}:v1`, {
    arch: "amd64",
    now: new Date("2026-06-15T00:00:00Z"),
  });
  found = report.findings.filter((f) => f.id === "CS-CUDA-LIBRARY-DUPLICATED");
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("each soname held twice is one finding naming every copy with its size and layer", () => {
  assert.deepEqual(
    found.map((f) => f.message),
    [
      `libcublas.so.12 is in the image 2 times, 6.9 KiB in all: /${NVIDIA}/cublas/lib/libcublas.so.12 (3.9 KiB, layer 1), /usr/lib/x86_64-linux-gnu/libcublas.so.12.4.5.8 (2.9 KiB, layer 0)`,
      `libcudart.so.12 is in the image 2 times, 1.1 KiB in all: /${NVIDIA}/cuda_runtime/lib/libcudart.so.12 (608 B, layer 1), /usr/local/cuda/lib64/libcudart.so.12.4.127 (508 B, layer 0)`,
      `libcudnn.so.9 is in the image 2 times, 20 B in all: /${NVIDIA}/cudnn/lib/libcudnn.so.9 (11 B, layer 1), /opt/venv/lib/python3.13/site-packages/torch/lib/libcudnn-0a1b2c3d.so.9 (9 B, layer 1)`,
    ],
  );
  assert.deepEqual(found[0].evidence, {
    path: `/${NVIDIA}/cublas/lib/libcublas.so.12`,
    layer: 1,
    inFinalFs: true,
  });
  assert.equal(found[0].severity, "medium");
  assert.match(found[0].fix ?? "", /one copy/);
});

test("links, hard links, a deleted copy and a library held once are not duplicates", () => {
  const sonames = found.map((f) => f.message.split(" ")[0]);
  for (const once of ["libnccl.so.2", "libcufft.so.11", "libcublasLt.so.12"])
    assert.ok(!sonames.includes(once), once);
});
