import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { buildImageConfig, formatTime } from "../../src/oci/image-config.ts";
import { linuxPlatform, platformMatches } from "../../src/oci/platform.ts";

const DIFF = `sha256:${"a".repeat(64)}`;
const DIFF2 = `sha256:${"b".repeat(64)}`;

test("a full config has the runtime fields, rootfs and one history entry per layer", () => {
  const config = buildImageConfig({
    arch: "amd64",
    created: new Date("2025-03-04T05:06:07Z"),
    user: "65532:65532",
    env: ["PATH=/usr/bin", "LD_LIBRARY_PATH=/usr/local/cuda/lib64"],
    entrypoint: ["/usr/bin/tini", "--"],
    cmd: ["nvidia-smi"],
    workingDir: "/workspace",
    labels: { "com.nvidia.cuda.version": "12.8" },
    stopSignal: "SIGTERM",
    exposedPorts: ["8888", "5000/udp"],
    volumes: ["/data"],
    layers: [
      { diffId: DIFF, createdBy: "cudaseal: base files" },
      { diffId: DIFF2, createdBy: "cudaseal: packages", comment: "libcudart12" },
    ],
  });
  assert.deepEqual(config, {
    created: "2025-03-04T05:06:07Z",
    architecture: "amd64",
    os: "linux",
    config: {
      User: "65532:65532",
      Env: ["PATH=/usr/bin", "LD_LIBRARY_PATH=/usr/local/cuda/lib64"],
      Entrypoint: ["/usr/bin/tini", "--"],
      Cmd: ["nvidia-smi"],
      WorkingDir: "/workspace",
      Labels: { "com.nvidia.cuda.version": "12.8" },
      StopSignal: "SIGTERM",
      ExposedPorts: { "8888/tcp": {}, "5000/udp": {} },
      Volumes: { "/data": {} },
    },
    rootfs: { type: "layers", diff_ids: [DIFF, DIFF2] },
    history: [
      { created: "2025-03-04T05:06:07Z", created_by: "cudaseal: base files" },
      { created: "2025-03-04T05:06:07Z", created_by: "cudaseal: packages", comment: "libcudart12" },
    ],
  });
});

test("arm64 gets variant v8 and a minimal config leaves optional fields out", () => {
  const config = buildImageConfig({ arch: "arm64", created: new Date(0), layers: [] });
  assert.equal(config.architecture, "arm64");
  assert.equal(config.variant, "v8");
  assert.deepEqual(config.config, {});
  assert.equal(config.created, "1970-01-01T00:00:00Z");
});

test("bad environment entries, ports, volumes, diff IDs and dates are IMAGE_INVALID", () => {
  const base = { arch: "amd64", created: new Date(0), layers: [] };
  const bad = [
    { ...base, env: ["NOEQUALS"] },
    { ...base, env: ["=x"] },
    { ...base, exposedPorts: ["70000"] },
    { ...base, exposedPorts: ["80/icmp"] },
    { ...base, volumes: ["data"] },
    { ...base, layers: [{ diffId: "sha256:abc", createdBy: "x" }] },
    { ...base, created: new Date("not a date") },
    { ...base, arch: "mips64el" },
  ];
  for (const input of bad) {
    assert.throws(
      () => buildImageConfig(input),
      (err) => isCudasealError(err, "IMAGE_INVALID"),
      JSON.stringify(input),
    );
  }
});

test("times keep milliseconds only when there are some", () => {
  assert.equal(formatTime(new Date("2025-01-01T00:00:00.250Z")), "2025-01-01T00:00:00.250Z");
});

test("Debian architecture names map to OCI platforms", () => {
  assert.deepEqual(linuxPlatform("arm64"), { architecture: "arm64", os: "linux", variant: "v8" });
  assert.deepEqual(linuxPlatform("armhf"), { architecture: "arm", os: "linux", variant: "v7" });
  assert.deepEqual(linuxPlatform("ppc64el"), { architecture: "ppc64le", os: "linux" });
  assert.ok(platformMatches(linuxPlatform("armhf"), "armhf"));
  assert.ok(platformMatches(linuxPlatform("armhf"), "arm/v7"));
  assert.ok(platformMatches(linuxPlatform("arm64"), "arm64"));
  assert.ok(!platformMatches(linuxPlatform("arm64"), "amd64"));
});
