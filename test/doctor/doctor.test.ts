// `cudaseal doctor` against fake hosts (a tree for /proc, /dev, /sys and
// /etc, a real nvidia-smi script on PATH) and real OCI layouts, library and
// CLI, each check's status asserted by id.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type DoctorReport, runDoctor } from "../../src/doctor/index.ts";
import { INFERENCE_ENV, makeImage } from "../deploy/fixture.ts";
import { CDI_SPEC, fakeHost, healthyHost, PROC_VERSION_OPEN_535 } from "./fake-host.ts";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const GiB = 1024 ** 3;
const dir = mkdtempSync(join(tmpdir(), "cudaseal-doctor-"));
let n = 0;
const fresh = () => join(dir, `host-${n++}`);
const bigShm = () => ({ totalBytes: 2 * GiB });

let image: string;
let rootImage: string;
let namedImage: string;
let cuda128: string;

before(async () => {
  image = (await makeImage(dir, "inference")).ref;
  rootImage = (await makeImage(dir, "root", { user: "0" })).ref;
  namedImage = (await makeImage(dir, "named", { user: "app:app" })).ref;
  cuda128 = (
    await makeImage(dir, "cuda128", {
      env: INFERENCE_ENV.map((e) =>
        e.startsWith("NVIDIA_REQUIRE_CUDA=") ? "NVIDIA_REQUIRE_CUDA=cuda>=12.8" : e,
      ),
    })
  ).ref;
});
after(() => rmSync(dir, { recursive: true, force: true }));

function status(report: DoctorReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
}

test("a healthy host passes every check", async () => {
  const h = healthyHost(fresh());
  const r = await runDoctor({ root: h.root, path: h.bin, statfs: bigShm });
  assert.deepEqual(status(r), {
    driver: "ok",
    "device-nodes": "ok",
    "container-toolkit": "ok",
    docker: "ok",
    containerd: "ok",
    "cri-o": "skip",
    cdi: "ok",
    shm: "ok",
    cgroup: "ok",
    userns: "ok",
  });
  assert.equal(r.ok, true);
  assert.equal(r.driver, "550.54.15");
  const driver = r.checks.find((c) => c.id === "driver")!;
  assert.match(
    driver.detail,
    /550\.54\.15 \(CUDA 12\.4\), from \/proc\/driver\/nvidia\/version; 2 GPUs: NVIDIA H100/,
  );
  assert.match(r.checks.find((c) => c.id === "cgroup")!.detail, /memory\.max 64\.0 GiB, cpu\.max 8\.00 CPUs/);
});

test("no driver: /proc missing and nvidia-smi failing fail with fixes", async () => {
  const h = fakeHost(fresh());
  h.program(
    "nvidia-smi",
    'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver."; exit 9',
  );
  const r = await runDoctor({ root: h.root, path: h.bin, statfs: bigShm });
  const s = status(r);
  assert.equal(s.driver, "fail");
  assert.equal(s["device-nodes"], "fail");
  assert.equal(s["container-toolkit"], "fail");
  assert.equal(s.docker, "skip");
  assert.equal(r.ok, false);
  const driver = r.checks.find((c) => c.id === "driver")!;
  assert.match(driver.detail, /couldn't communicate/);
  assert.ok(driver.fix);
});

test("the driver version comes from nvidia-smi when /proc has none; the open module's line parses", async () => {
  const h = healthyHost(fresh());
  unlinkSync(join(h.root, "proc/driver/nvidia/version"));
  const r = await runDoctor({ root: h.root, path: h.bin, statfs: bigShm });
  assert.equal(r.driver, "550.54.15");
  assert.match(r.checks[0].detail, /from nvidia-smi/);
  const open = healthyHost(fresh());
  open.file("proc/driver/nvidia/version", PROC_VERSION_OPEN_535);
  open.program("nvidia-smi", "exit 1");
  const r2 = await runDoctor({ root: open.root, path: open.bin, statfs: bigShm });
  assert.equal(r2.driver, "535.183.01");
});

test("device nodes: UVM missing warns", async () => {
  const h = healthyHost(fresh());
  unlinkSync(join(h.root, "dev/nvidia-uvm"));
  const r = await runDoctor({ root: h.root, path: h.bin, statfs: bigShm });
  assert.equal(status(r)["device-nodes"], "warn");
});

test("container engines: broken daemon.json fails, unconfigured engines warn, a stale CDI spec warns", async () => {
  const h = healthyHost(fresh());
  h.file("etc/docker/daemon.json", '{"runtimes": {');
  h.file("etc/containerd/config.toml", 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n');
  unlinkSync(join(h.root, "etc/containerd/conf.d/99-nvidia.toml"));
  h.file("etc/crio/crio.conf", "[crio.runtime]\n");
  h.file("etc/cdi/nvidia.yaml", CDI_SPEC("535.104.05"));
  let r = await runDoctor({ root: h.root, path: h.bin, statfs: bigShm });
  let s = status(r);
  assert.equal(s.docker, "fail");
  assert.equal(s.containerd, "warn");
  assert.equal(s["cri-o"], "warn");
  assert.equal(s.cdi, "warn");
  assert.match(r.checks.find((c) => c.id === "cdi")!.detail, /another driver than 550\.54\.15/);

  h.file("etc/docker/daemon.json", "{}");
  h.file(
    "etc/crio/crio.conf.d/99-nvidia.toml",
    '[crio.runtime.runtimes.nvidia]\nruntime_path = "/usr/bin/nvidia-container-runtime"\n',
  );
  h.file(
    "etc/containerd/config.toml",
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes."nvidia"]\n',
  );
  r = await runDoctor({ root: h.root, path: h.bin, statfs: bigShm });
  s = status(r);
  assert.equal(s.docker, "warn");
  assert.equal(s["cri-o"], "ok");
  assert.equal(s.containerd, "ok");
});

test("/dev/shm: fail under 64 MiB, warn under 1 GiB", async () => {
  const h = healthyHost(fresh());
  const at = async (bytes: number) =>
    status(await runDoctor({ root: h.root, path: h.bin, statfs: () => ({ totalBytes: bytes }) })).shm;
  assert.equal(await at(32 * 1024 ** 2), "fail");
  assert.equal(await at(512 * 1024 ** 2), "warn");
  assert.equal(await at(GiB), "ok");
  // The real statfs reads the fake tree's file system.
  assert.notEqual(status(await runDoctor({ root: h.root, path: h.bin })).shm, "skip");
});

test("cgroup and user namespaces", async () => {
  const h = healthyHost(fresh());
  h.file("sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/memory.max", String(GiB));
  h.file("proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1\n");
  let s = status(await runDoctor({ root: h.root, path: h.bin, statfs: bigShm }));
  assert.equal(s.cgroup, "warn");
  assert.equal(s.userns, "warn");
  h.file("proc/sys/user/max_user_namespaces", "0\n");
  unlinkSync(join(h.root, "sys/fs/cgroup/cgroup.controllers"));
  s = status(await runDoctor({ root: h.root, path: h.bin, statfs: bigShm }));
  assert.equal(s.cgroup, "warn");
  assert.equal(s.userns, "warn");
});

test("an image: CUDA against the driver, user, read-only root, model cache", async () => {
  const h = healthyHost(fresh());
  const r = await runDoctor({ root: h.root, path: h.bin, statfs: bigShm, image, arch: "amd64" });
  const s = status(r);
  assert.equal(s["image-cuda"], "ok");
  assert.equal(s["image-user"], "ok");
  assert.equal(s["image-read-only-root"], "ok");
  assert.equal(s["image-model-cache"], "warn");
  assert.match(r.image!.digest, /^sha256:/);
  const ro = r.checks.find((c) => c.id === "image-read-only-root")!;
  for (const p of ["/tmp", "/data", "/home/app", "/models/hf", "/app"])
    assert.ok(ro.detail.includes(`${p} (`), p);

  // CUDA 12.8 on a 550 driver: minor version compatibility, a warning; on 520, too old.
  const newer = await runDoctor({ root: h.root, path: h.bin, statfs: bigShm, image: cuda128, arch: "amd64" });
  const cuda = newer.checks.find((c) => c.id === "image-cuda")!;
  assert.equal(cuda.status, "warn");
  assert.match(cuda.fix!, /570\.26/);
  h.file(
    "proc/driver/nvidia/version",
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  520.61.05  Thu Sep 29 2022\n",
  );
  h.program("nvidia-smi", "exit 1");
  const old = await runDoctor({ root: h.root, path: h.bin, statfs: bigShm, image: cuda128, arch: "amd64" });
  assert.equal(status(old)["image-cuda"], "fail");
  assert.equal(old.ok, false);

  assert.equal(
    status(await runDoctor({ root: h.root, path: h.bin, image: rootImage, arch: "amd64" }))["image-user"],
    "fail",
  );
  assert.equal(
    status(await runDoctor({ root: h.root, path: h.bin, image: namedImage, arch: "amd64" }))["image-user"],
    "warn",
  );
});

test("the CLI: --host-root, --json, exit 1 on a failure, CUDASEAL_HOST_ROOT", () => {
  const h = healthyHost(fresh());
  const env = { ...process.env, PATH: `${h.bin}:/usr/bin:/bin` };
  const ok = spawnSync(process.execPath, [BIN, "doctor", "--host-root", h.root, "--json"], {
    encoding: "utf8",
    env,
  });
  const report = JSON.parse(ok.stdout) as DoctorReport;
  // Only /dev/shm is real here (the file system of the temp dir): it may warn, never fail on a build machine.
  assert.equal(ok.status, report.ok ? 0 : 1);
  assert.equal(report.driver, "550.54.15");

  writeFileSync(join(h.root, "etc/docker/daemon.json"), "not json");
  const bad = spawnSync(process.execPath, [BIN, "doctor", image, "--arch", "amd64"], {
    encoding: "utf8",
    env: { ...env, CUDASEAL_HOST_ROOT: h.root },
  });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /\[FAIL\] docker/);
  assert.match(bad.stdout, /fix: /);
  assert.match(bad.stdout, /\[warn\] image-model-cache/);
});

test("a hostile --host-root: symlinks resolve inside it, FIFOs and devices are not read", async () => {
  const outside = join(dir, `outside-${n++}`);
  mkdirSync(join(outside, "nvidia"), { recursive: true });
  writeFileSync(join(outside, "nvidia", "version"), PROC_VERSION_OPEN_535);
  // An absolute link and a relative one that climbs past the root both name the outside tree.
  const abs = fakeHost(fresh());
  mkdirSync(join(abs.root, "proc", "driver"), { recursive: true });
  symlinkSync(join(outside, "nvidia"), join(abs.root, "proc", "driver", "nvidia"));
  const rel = fakeHost(fresh());
  mkdirSync(join(rel.root, "proc", "driver"), { recursive: true });
  symlinkSync(`../../../../../../../../..${outside}/nvidia`, join(rel.root, "proc", "driver", "nvidia"));
  for (const h of [abs, rel]) {
    h.program("nvidia-smi", "exit 1");
    const r = await runDoctor({ root: h.root, path: h.bin, statfs: bigShm });
    assert.equal(r.driver, undefined);
    assert.equal(status(r).driver, "fail");
  }
  // An absolute link inside the tree is followed from the tree's own root.
  const inside = fakeHost(fresh());
  inside.file("opt/nvidia/version", PROC_VERSION_OPEN_535);
  mkdirSync(join(inside.root, "proc", "driver"), { recursive: true });
  symlinkSync("/opt/nvidia", join(inside.root, "proc", "driver", "nvidia"));
  inside.program("nvidia-smi", "exit 1");
  assert.equal(
    (await runDoctor({ root: inside.root, path: inside.bin, statfs: bigShm })).driver,
    "535.183.01",
  );
  // A FIFO, a device and a link loop give a status, not a hang or a crash.
  const odd = fakeHost(fresh());
  mkdirSync(join(odd.root, "proc", "driver", "nvidia"), { recursive: true });
  spawnSync("mkfifo", [join(odd.root, "proc", "driver", "nvidia", "version")]);
  mkdirSync(join(odd.root, "etc", "docker"), { recursive: true });
  symlinkSync("/etc/docker/daemon.json", join(odd.root, "etc", "docker", "daemon.json"));
  symlinkSync("/dev/zero", join(odd.root, "etc", "cdi"));
  odd.program("nvidia-smi", "exit 1");
  const r = await runDoctor({ root: odd.root, path: odd.bin, statfs: bigShm });
  assert.equal(r.driver, undefined);
  assert.ok(r.checks.every((c) => ["pass", "warn", "fail", "skip"].includes(c.status)));
});

test("an image whose NVIDIA_REQUIRE_CUDA does not parse fails its check, and the other checks still report", async () => {
  const bad = (
    await makeImage(dir, "bad-require", {
      env: INFERENCE_ENV.map((e) =>
        e.startsWith("NVIDIA_REQUIRE_CUDA=") ? "NVIDIA_REQUIRE_CUDA=cuda>=abc" : e,
      ),
    })
  ).ref;
  const zeros = (await makeImage(dir, "zeros", { user: "00" })).ref;
  const h = healthyHost(fresh());
  const r = await runDoctor({ root: h.root, path: h.bin, statfs: bigShm, image: bad, arch: "amd64" });
  const cuda = r.checks.find((c) => c.id === "image-cuda")!;
  assert.equal(cuda.status, "fail");
  assert.match(cuda.detail, /cuda>=abc/);
  assert.equal(status(r)["image-user"], "ok");
  assert.equal(r.ok, false);
  const z = await runDoctor({ root: h.root, path: h.bin, statfs: bigShm, image: zeros, arch: "amd64" });
  assert.equal(status(z)["image-user"], "fail");
});
