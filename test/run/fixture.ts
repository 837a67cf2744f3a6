// Images for the `cudaseal run` tests, made from real programs: a static
// probe (prints who and where it runs, tries to write, waits for signals),
// the project's GPU smoke program with the glibc it links against, a fake
// libcudart.so.12 in the image that finds the driver the way the real one
// does (dlopen libcuda.so.1, then the device nodes), and a fake driver tree
// (libcuda.so.1, libnvidia-ml.so.1, /proc/driver/nvidia/version, device
// nodes as plain files) for --driver-root. Layers are tarred by GNU tar
// with owners kept, or written by python3's tarfile when they must be
// hostile, and the image is written by the project's own OCI layout writer.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { isCudasealError } from "../../src/errors.ts";
import { buildImageConfig, type ImageConfigInput } from "../../src/oci/image-config.ts";
import type { LayerBlob } from "../../src/oci/image-plan.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { OCI_LAYER_GZIP } from "../../src/oci/media-types.ts";
import { privilegeMode } from "../../src/run/privileges.ts";
import { type PyTarEntry, pythonTar } from "../helpers/python-tar.ts";
import { sha256 } from "../oci/fixture-image.ts";

export const ROOT = join(import.meta.dirname, "..", "..");
export const TRIPLET = process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
export const ARCH = process.arch === "arm64" ? "arm64" : "amd64";
export const CLI = join(ROOT, "bin", "cudaseal.js");

/** Why the run tests cannot run here (no gcc, no `tools`, neither root nor user namespaces), else false. */
export async function unavailable(...tools: string[]): Promise<string | false> {
  for (const tool of ["gcc", ...tools])
    if (spawnSync(tool, ["--version"]).error !== undefined) return `${tool} is not installed`;
  try {
    await privilegeMode();
  } catch (err) {
    if (isCudasealError(err, "RUN_NO_PRIVILEGES")) return "neither root nor user namespaces";
    throw err;
  }
  return false;
}

/** `cudaseal run --quiet` through the CLI with this cache; `env` replaces this process's environment when given. */
export function cudasealRun(cacheDir: string, args: string[], env?: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [CLI, "run", "--quiet", "--cache-dir", cacheDir, ...args], {
    encoding: "utf8",
    env,
    timeout: 120_000,
  });
  assert.equal(r.error, undefined);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, facts: facts(r.stdout) };
}

/**
 * Prints facts as `key=value` lines; `probe wait` then waits for a signal,
 * `probe count` counts the SIGINTs it gets, `probe syscalls` tries the calls
 * a seccomp filter refuses, `probe volume DIR` reads and writes in DIR,
 * `probe exit N` exits N.
 */
const PROBE = String.raw`
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
static volatile sig_atomic_t interrupts;
static void outcome(const char *name, long ret) {
  printf("sys.%s=%s\n", name, ret >= 0 ? "ok" : strerror(errno));
}
/* The calls a seccomp filter decides on, each tried once; the result is "ok" or the error. */
static void syscalls(void) {
  outcome("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -1 /* thread keyring */, 1 /* create */));
  outcome("unshare", unshare(CLONE_NEWUSER));
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  outcome("clone_newuser", pid);
  outcome("clone3", syscall(SYS_clone3, NULL, 0));
  pid_t child = fork();
  if (child == 0) _exit(0);
  if (child > 0) waitpid(child, NULL, 0);
  outcome("fork", child);
  outcome("personality_query", personality(0xffffffff));
  outcome("personality_norandom", personality(ADDR_NO_RANDOMIZE));
  char params[120] = {0};
  long ring = syscall(SYS_io_uring_setup, 1, params);
  if (ring >= 0) close((int)ring);
  outcome("io_uring", ring);
  outcome("getpid", getpid());
}
static void count(int sig) { (void)sig; interrupts++; }
static int can_write(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return errno;
  close(fd);
  unlink(path);
  return 0;
}
int main(int argc, char **argv) {
  char cwd[4096];
  printf("uid=%d\ngid=%d\neuid=%d\n", (int)getuid(), (int)getgid(), (int)geteuid());
  printf("cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
  printf("pid=%d\n", (int)getpid());
  for (int i = 0; i < argc; i++) printf("arg%d=%s\n", i, argv[i]);
  const char *keys[] = {"PATH", "GREETING", "FROM_CLI", "HOME", NULL};
  for (int i = 0; keys[i]; i++) printf("env.%s=%s\n", keys[i], getenv(keys[i]) ? getenv(keys[i]) : "");
  printf("write.root=%s\n", can_write("/probe-root") == 0 ? "ok" : strerror(can_write("/probe-root")));
  printf("write.tmp=%s\n", can_write("/tmp/probe-tmp") == 0 ? "ok" : strerror(can_write("/tmp/probe-tmp")));
  printf("libcuda=%s\n", access("/usr/lib/${TRIPLET}/libcuda.so.1", F_OK) == 0 ? "yes" : "no");
  printf("nvidiactl=%s\n", access("/dev/nvidiactl", F_OK) == 0 ? "yes" : "no");
  printf("nvidia0=%s\n", access("/dev/nvidia0", F_OK) == 0 ? "yes" : "no");
  printf("nvidia1=%s\n", access("/dev/nvidia1", F_OK) == 0 ? "yes" : "no");
  printf("nvml=%s\n", access("/usr/lib/${TRIPLET}/libnvidia-ml.so.1", F_OK) == 0 ? "yes" : "no");
  gid_t groups[64];
  int ngroups = getgroups(64, groups);
  printf("groups=");
  for (int i = 0; i < ngroups; i++) printf("%s%d", i ? "," : "", (int)groups[i]);
  printf("\n");
  DIR *fds = opendir("/proc/self/fd");
  struct dirent *fde;
  printf("fds=");
  for (int first = 1; fds && (fde = readdir(fds)) != NULL;) {
    if (fde->d_name[0] == '.' || atoi(fde->d_name) == dirfd(fds)) continue;
    printf("%s%s", first ? "" : ",", fde->d_name);
    first = 0;
  }
  printf("\n");
  if (fds) closedir(fds);
  FILE *status = fopen("/proc/self/status", "r");
  char line[256];
  while (status && fgets(line, sizeof line, status)) {
    if (strncmp(line, "CapBnd:\t", 8) == 0) printf("capbnd=%s", line + 8);
    if (strncmp(line, "CapEff:\t", 8) == 0) printf("capeff=%s", line + 8);
    if (strncmp(line, "NoNewPrivs:\t", 12) == 0) printf("nnp=%s", line + 12);
  }
  if (status) fclose(status);
  fflush(stdout);
  if (argc > 2 && strcmp(argv[1], "exit") == 0) return atoi(argv[2]);
  if (argc > 2 && strcmp(argv[1], "volume") == 0) {
    /* Reads DIR/in.txt, writes DIR/out.txt, and says how DIR is mounted. */
    char path[4096], line[256] = "";
    snprintf(path, sizeof path, "%s/in.txt", argv[2]);
    FILE *in = fopen(path, "r");
    if (in && fgets(line, sizeof line, in)) line[strcspn(line, "\n")] = '\0';
    printf("volume.read=%s\n", in ? line : strerror(errno));
    if (in) fclose(in);
    snprintf(path, sizeof path, "%s/out.txt", argv[2]);
    int err = can_write(path);
    if (err == 0) {
      FILE *out = fopen(path, "w");
      if (out) fputs("from the container\n", out), fclose(out);
    }
    printf("volume.write=%s\n", err == 0 ? "ok" : strerror(err));
    struct statvfs sv;
    if (statvfs(argv[2], &sv) == 0)
      printf("volume.nosuid=%d\nvolume.nodev=%d\n", !!(sv.f_flag & ST_NOSUID), !!(sv.f_flag & ST_NODEV));
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "syscalls") == 0) {
    syscalls();
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "count") == 0) {
    /* Counts the SIGINTs that arrive within half a second of the first, then says how many. */
    signal(SIGINT, count);
    printf("ready\n");
    fflush(stdout);
    while (interrupts == 0) pause();
    for (int i = 0; i < 50; i++) usleep(10000);
    printf("interrupts=%d\n", (int)interrupts);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "wait") == 0) {
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
  }
  return 0;
}
`;

/** A fake CUDA runtime that, like the real one, needs the driver's libcuda.so.1 and a device node. */
const FAKE_CUDART = `
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static void *driver(void) { return dlopen("libcuda.so.1", RTLD_NOW); }
int cudaRuntimeGetVersion(int *v) { *v = 12040; return 0; }
int cudaDriverGetVersion(int *v) {
  void *d = driver();
  int (*get)(int *) = d ? (int (*)(int *))dlsym(d, "cuDriverGetVersion") : NULL;
  *v = 0;
  return get ? get(v) : 0;
}
int cudaGetDeviceCount(int *n) {
  *n = 0;
  if (driver() == NULL) return 35;
  if (access("/dev/nvidiactl", F_OK) != 0) return 100;
  *n = 1;
  return 0;
}
int cudaGetDeviceProperties_v2(void *prop, int dev) {
  if (dev != 0) return 101;
  memset(prop, 0, 1032);
  strcpy(prop, "Fake GPU");
  *(size_t *)((char *)prop + 288) = (size_t)16 << 30; /* totalGlobalMem */
  return 0;
}
int cudaGetDeviceProperties(void *prop, int dev) { return cudaGetDeviceProperties_v2(prop, dev); }
int cudaDeviceGetAttribute(int *v, int attr, int dev) {
  if (dev != 0) return 101;
  *v = attr == 75 ? 8 : 0;
  return 0;
}
int cudaMalloc(void **p, size_t n) { *p = malloc(n); return *p ? 0 : 2; }
int cudaFree(void *p) { free(p); return 0; }
int cudaMemcpy(void *dst, const void *src, size_t n, int kind) { (void)kind; memcpy(dst, src, n); return 0; }
int cudaDeviceSynchronize(void) { return 0; }
const char *cudaGetErrorString(int err) {
  return err == 35 ? "CUDA driver version is insufficient for CUDA runtime version"
       : err == 100 ? "no CUDA-capable device is detected" : "fake runtime error";
}
`;

const FAKE_LIBCUDA = "int cuDriverGetVersion(int *v) { *v = 12080; return 0; }\n";
const FAKE_NVML = "int nvmlInit_v2(void) { return 0; }\n";

function gcc(args: string[]): void {
  const r = spawnSync("gcc", args, { encoding: "utf8" });
  assert.equal(r.status, 0, `gcc ${args.join(" ")}: ${r.stderr}`);
}

/** Compile one C source with gcc into `dir` and return the binary's path. */
export function compile(dir: string, name: string, source: string, args: string[]): string {
  mkdirSync(dir, { recursive: true });
  const src = join(dir, `${name}.c`);
  writeFileSync(src, source);
  const out = join(dir, name);
  gcc([...args, "-o", out, src]);
  return out;
}

/** The dynamic loader and libraries a glibc program needs, from ldd, with their paths. */
function sharedLibraries(binary: string): string[] {
  const text = execFileSync("ldd", [binary], { encoding: "utf8" });
  return [...text.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]);
}

/** Copy a host file into a rootfs at the same path (its real contents, not a link). */
function copyIn(rootfs: string, path: string, dest = path): void {
  const target = join(rootfs, dest);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(path, target);
  chmodSync(target, 0o755);
}

export interface RunFixture {
  /** An image whose entrypoint is the probe, as 1234:2345 in /work. */
  probe: string;
  /** The smoke program's image, with a fake libcudart and no NVRTC. */
  smoke: string;
  /** The directory everything was made in. */
  dir: string;
  /** A fake driver tree: pass as --driver-root. */
  driverRoot: string;
  /** The same, with a driver too old for CUDA 12.4. */
  oldDriverRoot: string;
}

/** Write an OCI layout at `dir` from gzip'd layer tars and a config. */
export async function writeImage(
  dir: string,
  layers: Buffer[],
  config: Omit<ImageConfigInput, "arch" | "created" | "layers">,
): Promise<string> {
  const blobs: LayerBlob[] = layers.map((gz, i) => {
    const path = `${dir}.layer${i}.tar.gz`;
    writeFileSync(path, gz);
    return {
      path,
      digest: sha256(gz),
      size: gz.length,
      diffId: sha256(gunzipSync(gz)),
      mediaType: OCI_LAYER_GZIP,
    };
  });
  const imageConfig = buildImageConfig({
    ...config,
    arch: ARCH,
    created: new Date("2025-01-02T03:04:05Z"),
    layers: blobs.map((b) => ({ diffId: b.diffId, createdBy: "test" })),
  });
  await writeOciLayout(dir, { platforms: [{ config: imageConfig, layers: blobs }], tag: "latest" });
  return `oci:${dir}:latest`;
}

/** A gzip'd tar of a directory, owners and modes kept. */
export function tarDirectory(dir: string): Buffer {
  const tar = execFileSync("tar", ["-c", "--sort=name", "--numeric-owner", "--mtime=@0", "-C", dir, "."], {
    maxBuffer: 512 << 20,
  });
  return gzipSync(tar);
}

/** A gzip'd tar written by python3's tarfile, as hostile as asked. */
export function hostileLayer(entries: PyTarEntry[]): Buffer {
  return gzipSync(pythonTar(entries));
}

/** Build everything under `work`. */
export async function makeRunFixture(work: string): Promise<RunFixture> {
  const bin = join(work, "bin");
  const probe = compile(bin, "probe", PROBE, ["-static", "-O2"]);

  // The probe image: the static probe, /work, /etc/passwd naming the user, a root-owned /.
  const probeRoot = join(work, "probe-root");
  copyIn(probeRoot, probe, "/usr/local/bin/probe");
  mkdirSync(join(probeRoot, "work"), { recursive: true });
  chownSync(join(probeRoot, "work"), 1234, 2345);
  mkdirSync(join(probeRoot, "etc"), { recursive: true });
  writeFileSync(
    join(probeRoot, "etc/passwd"),
    "root:x:0:0::/root:/sbin/nologin\napp:x:1234:2345::/work:/sbin/nologin\n",
  );
  writeFileSync(join(probeRoot, "etc/group"), "root:x:0:\napp:x:2345:\n");
  mkdirSync(join(probeRoot, "tmp"), { recursive: true, mode: 0o1777 });
  const probeRef = await writeImage(join(work, "probe-image"), [tarDirectory(probeRoot)], {
    user: "app",
    env: ["PATH=/usr/local/bin:/usr/bin", "GREETING=hello"],
    entrypoint: ["/usr/local/bin/probe"],
    cmd: ["from-cmd"],
    workingDir: "/work",
  });

  // The smoke image: the smoke program, glibc, the fake runtime.
  const smoke = join(bin, "cuda-smoke");
  const built = spawnSync(join(ROOT, "smoke", "build.sh"), [smoke], { encoding: "utf8" });
  assert.equal(built.status, 0, `smoke/build.sh: ${built.stderr}`);
  const smokeRoot = join(work, "smoke-root");
  copyIn(smokeRoot, smoke, "/usr/local/bin/cuda-smoke");
  for (const lib of sharedLibraries(smoke)) copyIn(smokeRoot, lib);
  const cudart = compile(join(work, "cudart"), "libcudart.so.12", FAKE_CUDART, [
    "-shared",
    "-fPIC",
    "-Wl,-soname,libcudart.so.12",
  ]);
  copyIn(smokeRoot, cudart, `/usr/lib/${TRIPLET}/libcudart.so.12`);
  for (const lib of sharedLibraries(cudart)) copyIn(smokeRoot, lib);
  const smokeConfig = {
    user: "65532:65532",
    env: [
      "PATH=/usr/local/bin:/usr/bin",
      "NVIDIA_VISIBLE_DEVICES=all",
      "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
      "NVIDIA_REQUIRE_CUDA=cuda>=12.4",
    ],
    entrypoint: ["/usr/local/bin/cuda-smoke"],
  };
  const smokeRef = await writeImage(join(work, "smoke-image"), [tarDirectory(smokeRoot)], smokeConfig);

  return {
    probe: probeRef,
    smoke: smokeRef,
    dir: work,
    driverRoot: makeDriverTree(join(work, "driver"), "550.54.15"),
    oldDriverRoot: makeDriverTree(join(work, "old-driver"), "535.104.05"),
  };
}

/** A host driver tree as the toolkit would find it, with device nodes as plain files. */
export function makeDriverTree(root: string, version: string): string {
  const lib = join(root, "usr/lib", TRIPLET);
  mkdirSync(lib, { recursive: true });
  const real = compile(join(root, "build"), `libcuda.so.${version}`, FAKE_LIBCUDA, [
    "-shared",
    "-fPIC",
    "-Wl,-soname,libcuda.so.1",
  ]);
  copyFileSync(real, join(lib, `libcuda.so.${version}`));
  execFileSync("ln", ["-sf", `libcuda.so.${version}`, join(lib, "libcuda.so.1")]);
  const nvml = compile(join(root, "build"), `libnvidia-ml.so.${version}`, FAKE_NVML, [
    "-shared",
    "-fPIC",
    "-Wl,-soname,libnvidia-ml.so.1",
  ]);
  copyFileSync(nvml, join(lib, `libnvidia-ml.so.${version}`));
  execFileSync("ln", ["-sf", `libnvidia-ml.so.${version}`, join(lib, "libnvidia-ml.so.1")]);
  mkdirSync(join(root, "proc/driver/nvidia"), { recursive: true });
  writeFileSync(
    join(root, "proc/driver/nvidia/version"),
    `NVRM version: NVIDIA UNIX x86_64 Kernel Module  ${version}  Tue Mar  5 22:25:55 UTC 2024\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n`,
  );
  mkdirSync(join(root, "dev/nvidia-caps"), { recursive: true });
  for (const node of ["nvidiactl", "nvidia-uvm", "nvidia0", "nvidia1"])
    writeFileSync(join(root, "dev", node), "");
  return root;
}

/** `key=value` lines into a map. */
export function facts(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}
