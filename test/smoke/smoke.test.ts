// The GPU smoke program (smoke/cuda-smoke.c), built by smoke/build.sh with
// the real gcc and run against fake libcudart.so.12, libnvrtc.so.12 and
// libcuda.so.1 built here in C. The fakes keep "device" memory in host
// memory and run the add1 kernel on the host, so everything up to the real
// GPU is exercised: symbol lookup, the JSON report, the copy check, the
// NVRTC-to-driver-API path and the error classification. Environment
// variables make the fakes misbehave in the ways real hosts do.
//
// The program runs under the dynamic loader with --inhibit-cache, so CUDA
// libraries installed on the test machine (in ld.so.cache) cannot leak in.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { SmokeProgramOutput } from "../../src/run/smoke-report.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const BUILD = join(ROOT, "smoke", "build.sh");
const TRIPLET = process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";

/** The JSON object cuda-smoke prints (smoke/README.md); this build of it always reports the memory. */
type SmokeReport = SmokeProgramOutput & { memoryBytes: number };

const FAKE_CUDART = String.raw`
#include <stdlib.h>
#include <string.h>

static int env_int(const char *name, int fallback) {
  const char *v = getenv(name);
  return v != NULL && *v != '\0' ? atoi(v) : fallback;
}
int cudaRuntimeGetVersion(int *v) { *v = 12040; return 0; }
int cudaDriverGetVersion(int *v) { *v = env_int("FAKE_CUDA_DRIVER_VERSION", 12080); return 0; }
int cudaGetDeviceCount(int *n) {
  int err = env_int("FAKE_CUDA_INIT_ERROR", 0);
  *n = err != 0 ? 0 : env_int("FAKE_CUDA_DEVICES", 1);
  if (err != 0) return err;
  return *n > 0 ? 0 : 100;
}
/* The legacy symbol names another device, so the test sees which one was used. */
int cudaGetDeviceProperties(void *prop, int dev) { strcpy(prop, "Legacy symbol"); return dev == 0 ? 0 : 101; }
int cudaGetDeviceProperties_v2(void *prop, int dev) {
  if (dev != 0) return 101;
  memset(prop, 0x5a, 1032); /* the whole of CUDA 12.4's struct cudaDeviceProp */
  memset(prop, 0, 256);
  strcpy(prop, "Fake GPU");
  *(size_t *)((char *)prop + 288) = (size_t)80 << 30; /* totalGlobalMem */
  return 0;
}
int cudaDeviceGetAttribute(int *v, int attr, int dev) {
  int cc = env_int("FAKE_CUDA_CC", 80);
  if (dev != 0) return 101;
  if (attr == 75) *v = cc / 10;
  else if (attr == 76) *v = cc % 10;
  else return 1;
  return 0;
}
int cudaMalloc(void **p, size_t n) { *p = malloc(n); return *p != NULL ? 0 : 2; }
int cudaFree(void *p) { free(p); return 0; }
int cudaMemcpy(void *dst, const void *src, size_t n, int kind) {
  if (kind != 1 && kind != 2) return 21;
  memcpy(dst, src, n);
  if (kind == 2 && getenv("FAKE_CUDA_CORRUPT_COPY") != NULL) ((unsigned char *)dst)[n / 2] ^= 1;
  return 0;
}
int cudaDeviceSynchronize(void) { return 0; }
const char *cudaGetErrorString(int err) {
  switch (err) {
  case 35: return "CUDA driver version is insufficient for CUDA runtime version";
  case 100: return "no CUDA-capable device is detected";
  default: return "fake runtime error";
  }
}
`;

const FAKE_NVRTC = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct program { char image[256]; int cubin; char log[128]; };
static const int archs[] = {75, 80, 86, 89, 90};

int nvrtcCreateProgram(void **prog, const char *src, const char *name, int headers, const char *const *h,
                       const char *const *names) {
  (void)name; (void)h; (void)names;
  if (headers != 0 || strstr(src, "__global__ void add1(int *p, int n)") == NULL) return 3;
  *prog = calloc(1, sizeof(struct program));
  return 0;
}
/* Appends each option to $FAKE_NVRTC_LOG; compiles to a PTX or CUBIN stand-in naming the target. */
int nvrtcCompileProgram(void *prog, int n, const char *const *options) {
  struct program *p = prog;
  const char *path = getenv("FAKE_NVRTC_LOG");
  FILE *log = path != NULL ? fopen(path, "a") : NULL;
  const char *arch = NULL;
  for (int i = 0; i < n; i++) {
    if (log != NULL) fprintf(log, "%s\n", options[i]);
    if (strncmp(options[i], "--gpu-architecture=", 19) == 0) arch = options[i] + 19;
  }
  if (log != NULL) fclose(log);
  if (arch == NULL || getenv("FAKE_NVRTC_FAIL") != NULL) {
    strcpy(p->log, "add1.cu(3): error: fake compile error");
    return 6;
  }
  p->cubin = strncmp(arch, "sm_", 3) == 0;
  if (p->cubin) snprintf(p->image, sizeof p->image, "FAKECUBIN %s add1", arch);
  else snprintf(p->image, sizeof p->image, "//\n// fake PTX\n.version 8.4\n.target %s\n.visible .entry add1(\n)\n{\n ret;\n}\n", arch);
  return 0;
}
int nvrtcGetPTXSize(void *prog, size_t *n) { *n = strlen(((struct program *)prog)->image) + 1; return 0; }
int nvrtcGetPTX(void *prog, char *out) { strcpy(out, ((struct program *)prog)->image); return 0; }
int nvrtcGetCUBINSize(void *prog, size_t *n) {
  struct program *p = prog;
  if (!p->cubin) return 3;
  *n = strlen(p->image);
  return 0;
}
int nvrtcGetCUBIN(void *prog, char *out) {
  struct program *p = prog;
  if (!p->cubin) return 3;
  memcpy(out, p->image, strlen(p->image));
  return 0;
}
int nvrtcGetProgramLogSize(void *prog, size_t *n) { *n = strlen(((struct program *)prog)->log) + 1; return 0; }
int nvrtcGetProgramLog(void *prog, char *out) { strcpy(out, ((struct program *)prog)->log); return 0; }
int nvrtcDestroyProgram(void **prog) { free(*prog); *prog = NULL; return 0; }
const char *nvrtcGetErrorString(int res) { return res == 6 ? "NVRTC_ERROR_COMPILATION" : "NVRTC_ERROR_FAKE"; }
int nvrtcGetNumSupportedArchs(int *n) { *n = sizeof archs / sizeof archs[0]; return 0; }
int nvrtcGetSupportedArchs(int *out) { memcpy(out, archs, sizeof archs); return 0; }
`;

const FAKE_DRIVER = `
#include <stdlib.h>
#include <string.h>

#define CONTEXT ((void *)0x1)
#define MODULE ((void *)0x2)
#define FUNCTION ((void *)0x3)

int cuCtxGetCurrent(void **ctx) { *ctx = CONTEXT; return 0; }
/* An old driver (FAKE_CUDA_OLD_DRIVER) cannot JIT the PTX but loads a CUBIN. */
int cuModuleLoadData(void **mod, const void *image) {
  const char *text = image;
  if (strncmp(text, "FAKECUBIN sm_", 13) != 0) {
    if (strstr(text, ".visible .entry add1(") == NULL) return 218;
    if (getenv("FAKE_CUDA_OLD_DRIVER") != NULL) return 222;
  }
  *mod = MODULE;
  return 0;
}
int cuModuleGetFunction(void **fn, void *mod, const char *name) {
  if (mod != MODULE || strcmp(name, "add1") != 0) return 500;
  *fn = FUNCTION;
  return 0;
}
/* Runs add1 on the host, once per thread of the launch, as the GPU would. */
int cuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shared, void *stream, void **params, void **extra) {
  (void)shared; (void)stream;
  if (fn != FUNCTION || params == NULL || extra != NULL) return 1;
  if (getenv("FAKE_CUDA_SKIP_LAUNCH") != NULL) return 0;
  int *p = *(int **)params[0];
  int n = *(int *)params[1];
  for (unsigned rep = 0; rep < gy * gz * by * bz; rep++)
    for (unsigned block = 0; block < gx; block++)
      for (unsigned thread = 0; thread < bx; thread++) {
        unsigned i = block * bx + thread;
        if ((int)i < n) p[i] += 1;
      }
  return 0;
}
int cuCtxSynchronize(void) { return 0; }
int cuModuleUnload(void *mod) { return mod == MODULE ? 0 : 400; }
int cuGetErrorString(int err, const char **text) {
  *text = err == 222 ? "the provided PTX was compiled with an unsupported toolchain." : "fake driver error";
  return 0;
}
`;

const gccMissing = spawnSync("gcc", ["--version"]).error !== undefined ? "gcc is not installed" : false;

function compileShared(dir: string, soname: string, source: string): void {
  mkdirSync(dir, { recursive: true });
  const src = join(dir, `${soname}.c`);
  writeFileSync(src, source);
  const args = [
    "-shared",
    "-fPIC",
    "-O2",
    "-Wall",
    "-Werror",
    `-Wl,-soname,${soname}`,
    "-o",
    join(dir, soname),
    src,
  ];
  const r = spawnSync("gcc", args, { encoding: "utf8" });
  assert.equal(r.status, 0, `gcc ${soname}: ${r.stderr}`);
}

/** Whether the loader would find `soname` in a default directory even with the cache inhibited. */
function inDefaultDirs(soname: string): boolean {
  return ["/lib", "/usr/lib", "/lib64", "/usr/lib64", `/lib/${TRIPLET}`, `/usr/lib/${TRIPLET}`].some((d) =>
    existsSync(join(d, soname)),
  );
}

function readelf(args: string[], file: string): string {
  const r = spawnSync("readelf", [...args, file], { encoding: "utf8" });
  assert.equal(r.status, 0, `readelf ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describe("cuda-smoke", { skip: gccMissing }, () => {
  let work: string;
  let smoke: string;
  let loader: string;
  let runtimeDir: string; // fake libcudart.so.12 and libcuda.so.1
  let zeroDeviceDir: string;
  let nvrtcDir: string;
  let emptyDir: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "cudaseal-smoke-"));
    smoke = join(work, "bin", "cuda-smoke");
    const built = spawnSync(BUILD, [smoke], { encoding: "utf8" });
    assert.equal(built.status, 0, `smoke/build.sh: ${built.stderr}`);
    loader = /Requesting program interpreter: ([^\]]+)\]/.exec(readelf(["-l"], smoke))![1];

    runtimeDir = join(work, "runtime");
    compileShared(runtimeDir, "libcudart.so.12", FAKE_CUDART);
    compileShared(runtimeDir, "libcuda.so.1", FAKE_DRIVER);
    nvrtcDir = join(work, "nvrtc");
    compileShared(nvrtcDir, "libnvrtc.so.12", FAKE_NVRTC);
    // A runtime that finds no GPU, built apart so that no variable is needed.
    zeroDeviceDir = join(work, "zero-devices");
    compileShared(
      zeroDeviceDir,
      "libcudart.so.12",
      FAKE_CUDART.replace('"FAKE_CUDA_DEVICES", 1', '"FAKE_CUDA_DEVICES", 0'),
    );
    emptyDir = join(work, "empty");
    mkdirSync(emptyDir);
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Runs the smoke binary with only `libDirs` (and the system's default directories) to load from. */
  function run(libDirs: string[], env: Record<string, string> = {}) {
    const r = spawnSync(loader, ["--inhibit-cache", smoke], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, LD_LIBRARY_PATH: libDirs.join(":"), ...env },
      timeout: 60_000,
    });
    assert.equal(r.error, undefined);
    const lines = r.stdout.split("\n");
    assert.equal(lines.length, 2, `one line of JSON on stdout, got: ${r.stdout}`);
    assert.equal(lines[1], "");
    return { status: r.status, report: JSON.parse(lines[0]) as SmokeReport };
  }

  test("links against glibc only, hardened, for the host's architecture", () => {
    const needed = [...readelf(["-d"], smoke).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map(
      (m) => m[1],
    );
    assert.ok(needed.includes("libc.so.6"));
    for (const lib of needed)
      assert.ok(["libc.so.6", "libdl.so.2"].includes(lib), `unexpected NEEDED ${lib}`);
    const dynamic = readelf(["-d"], smoke);
    assert.match(dynamic, /BIND_NOW|FLAGS_1\)\s+Flags: NOW/);
    assert.match(readelf(["-h"], smoke), /Type:\s+DYN/); // PIE
    assert.match(readelf(["-h"], smoke), process.arch === "arm64" ? /AArch64/ : /X86-64/);
  });

  test("passes on a working runtime, device, NVRTC and driver", () => {
    const log = join(work, "nvrtc-pass.log");
    const { status, report } = run([runtimeDir, nvrtcDir], { FAKE_NVRTC_LOG: log });
    assert.deepEqual(report, {
      ok: true,
      runtimeVersion: 12040,
      driverVersion: 12080,
      deviceCount: 1,
      device: "Fake GPU",
      computeCapability: "8.0",
      memoryBytes: 80 * 1024 ** 3,
      copyCheck: "pass",
      nvrtc: "pass",
      errorCode: "",
      error: "",
    });
    assert.equal(status, 0);
    assert.deepEqual(readFileSync(log, "utf8").split("\n"), ["--gpu-architecture=compute_80", ""]);
  });

  test("runs without the loader's help when the libraries are on LD_LIBRARY_PATH", () => {
    const r = spawnSync(smoke, [], {
      encoding: "utf8",
      env: { LD_LIBRARY_PATH: `${runtimeDir}:${nvrtcDir}` },
    });
    assert.equal(r.status, 0, r.stdout);
    assert.equal((JSON.parse(r.stdout) as SmokeReport).nvrtc, "pass");
  });

  test("targets the newest architecture NVRTC knows that the device can run", () => {
    const log = join(work, "nvrtc-newer-device.log");
    const { status, report } = run([runtimeDir, nvrtcDir], { FAKE_CUDA_CC: "120", FAKE_NVRTC_LOG: log });
    assert.equal(status, 0);
    assert.equal(report.computeCapability, "12.0");
    assert.equal(report.nvrtc, "pass");
    assert.deepEqual(readFileSync(log, "utf8").split("\n"), ["--gpu-architecture=compute_90", ""]);
  });

  test("falls back to a CUBIN when the driver is too old to JIT NVRTC's PTX", () => {
    const log = join(work, "nvrtc-old-driver.log");
    const env = { FAKE_CUDA_CC: "86", FAKE_CUDA_OLD_DRIVER: "1", FAKE_NVRTC_LOG: log };
    const { status, report } = run([runtimeDir, nvrtcDir], env);
    assert.equal(report.nvrtc, "pass", report.error);
    assert.equal(status, 0);
    assert.deepEqual(readFileSync(log, "utf8").split("\n"), [
      "--gpu-architecture=compute_86",
      "--gpu-architecture=sm_86",
      "",
    ]);
  });

  test("fails when an old driver cannot JIT and NVRTC cannot compile for the device", () => {
    const { status, report } = run([runtimeDir, nvrtcDir], {
      FAKE_CUDA_CC: "120",
      FAKE_CUDA_OLD_DRIVER: "1",
    });
    assert.equal(status, 1);
    assert.equal(report.ok, false);
    assert.equal(report.copyCheck, "pass");
    assert.equal(report.nvrtc, "fail");
    assert.equal(report.errorCode, "KERNEL_FAILED");
  });

  test("reports NVRTC as absent, and still passes, when the image has no libnvrtc", (t) => {
    if (inDefaultDirs("libnvrtc.so.12"))
      return t.skip("this machine has libnvrtc.so.12 in a default directory");
    const { status, report } = run([runtimeDir]);
    assert.equal(status, 0);
    assert.equal(report.ok, true);
    assert.equal(report.copyCheck, "pass");
    assert.equal(report.nvrtc, "absent");
  });

  test("fails when the data copied back differs", () => {
    const { status, report } = run([runtimeDir, nvrtcDir], { FAKE_CUDA_CORRUPT_COPY: "1" });
    assert.equal(status, 1);
    assert.equal(report.ok, false);
    assert.equal(report.copyCheck, "fail");
    assert.equal(report.nvrtc, "skipped");
    assert.equal(report.errorCode, "COPY_MISMATCH");
    assert.match(report.error, /byte 33554432/);
  });

  test("fails when the kernel does not run", () => {
    const { status, report } = run([runtimeDir, nvrtcDir], { FAKE_CUDA_SKIP_LAUNCH: "1" });
    assert.equal(status, 1);
    assert.equal(report.nvrtc, "fail");
    assert.equal(report.errorCode, "KERNEL_MISMATCH");
  });

  test("fails with NVRTC's log when the kernel does not compile", () => {
    const { status, report } = run([runtimeDir, nvrtcDir], { FAKE_NVRTC_FAIL: "1" });
    assert.equal(status, 1);
    assert.equal(report.nvrtc, "fail");
    assert.equal(report.errorCode, "NVRTC_FAILED");
    assert.match(report.error, /fake compile error/);
  });

  test("fails with NO_DEVICE when the runtime sees no GPU", () => {
    const { status, report } = run([zeroDeviceDir, runtimeDir, nvrtcDir]);
    assert.equal(status, 1);
    assert.equal(report.ok, false);
    assert.equal(report.runtimeVersion, 12040);
    assert.equal(report.deviceCount, 0);
    assert.equal(report.device, "");
    assert.equal(report.copyCheck, "skipped");
    assert.equal(report.nvrtc, "skipped");
    assert.equal(report.errorCode, "NO_DEVICE");
    assert.match(report.error, /cudaError 100/);
  });

  test("tells a missing driver from one too old for the runtime", () => {
    const none = run([runtimeDir], { FAKE_CUDA_INIT_ERROR: "35", FAKE_CUDA_DRIVER_VERSION: "0" });
    assert.equal(none.status, 1);
    assert.equal(none.report.errorCode, "NO_DRIVER");
    const old = run([runtimeDir], { FAKE_CUDA_INIT_ERROR: "35", FAKE_CUDA_DRIVER_VERSION: "11080" });
    assert.equal(old.status, 1);
    assert.equal(old.report.driverVersion, 11080);
    assert.equal(old.report.errorCode, "INSUFFICIENT_DRIVER");
    assert.match(old.report.error, /CUDA 11\.8, older than this runtime's 12\.4/);
  });

  test("fails with CUDART_MISSING when there is no CUDA runtime", (t) => {
    if (inDefaultDirs("libcudart.so.12") || inDefaultDirs("libcudart.so"))
      return t.skip("this machine has libcudart in a default directory");
    const { status, report } = run([emptyDir]);
    assert.equal(status, 1);
    assert.equal(report.ok, false);
    assert.equal(report.errorCode, "CUDART_MISSING");
    assert.match(report.error, /libcudart\.so\.12/);
    assert.equal(report.copyCheck, "skipped");
  });

  test("build.sh cross-compiles for arm64 when the cross compiler is installed", (t) => {
    const out = join(work, "arm64", "cuda-smoke");
    const r = spawnSync(BUILD, [out, "arm64"], { encoding: "utf8" });
    if (process.arch !== "arm64" && spawnSync("aarch64-linux-gnu-gcc", ["--version"]).error !== undefined) {
      assert.equal(r.status, 1);
      assert.match(r.stderr, /aarch64-linux-gnu-gcc not found/);
      assert.ok(!existsSync(out));
      return t.skip("aarch64-linux-gnu-gcc is not installed");
    }
    assert.equal(r.status, 0, r.stderr);
    assert.match(readelf(["-h"], out), /AArch64/);
  });

  test("build.sh refuses an unknown architecture", () => {
    const r = spawnSync(BUILD, [join(work, "x", "cuda-smoke"), "riscv64"], { encoding: "utf8" });
    assert.equal(r.status, 2);
  });
});
