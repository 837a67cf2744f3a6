// Real image roots on disk for the link tests: a Debian-shaped one with
// libraries copied from this machine (and their symlinks), and an
// NVIDIA-shaped one with tiny shared objects built by gcc under
// /usr/local/cuda-12.8 with NVIDIA's ld.so.conf.d files and symlink chain.

import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const HOST_LIBS = "/usr/lib/x86_64-linux-gnu";
export const CUDA_LIB = "usr/local/cuda-12.8/targets/x86_64-linux/lib";

export async function tempRoot(): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), "cudaseal-link-"));
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

export async function put(root: string, path: string, text: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text, { mode });
}

export async function link(root: string, path: string, target: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await symlink(target, join(root, path));
}

/** Copy a host library (or its symlink, as a symlink) into the root's multiarch folder. */
async function copyHostLib(root: string, name: string): Promise<void> {
  const from = join(HOST_LIBS, name);
  const to = join(root, "usr/lib/x86_64-linux-gnu", name);
  let target: string | undefined;
  try {
    target = await readlink(from);
  } catch {
    target = undefined;
  }
  if (target !== undefined) await symlink(target, to);
  else await cp(from, to);
}

/** Merged-/usr Debian: /lib → usr/lib, Debian's ld.so.conf files, real glibc, zlib, libstdc++ and libgcc_s. */
export async function debianRoot(root: string): Promise<void> {
  await mkdir(join(root, "usr/lib/x86_64-linux-gnu"), { recursive: true });
  await mkdir(join(root, "usr/lib64"), { recursive: true });
  await mkdir(join(root, "usr/bin"), { recursive: true });
  for (const [l, t] of [
    ["lib", "usr/lib"],
    ["lib64", "usr/lib64"],
    ["bin", "usr/bin"],
  ])
    await symlink(t, join(root, l));
  for (const name of [
    "libc.so.6",
    "libc.so",
    "libm.so.6",
    "libm.so",
    "ld-linux-x86-64.so.2",
    "libz.so.1.2.13",
    "libz.so.1",
    "libz.so",
    "libstdc++.so.6.0.30",
    "libstdc++.so.6",
    "libgcc_s.so.1",
    "libpthread.so.0",
  ])
    await copyHostLib(root, name);
  await link(root, "usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  await put(root, "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n\n");
  await put(root, "etc/ld.so.conf.d/libc.conf", "# libc default configuration\n/usr/local/lib\n");
  await put(
    root,
    "etc/ld.so.conf.d/x86_64-linux-gnu.conf",
    "# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n",
  );
}

/** Compile C source into `out` (relative to root) with gcc and extra flags. */
export function gcc(root: string, out: string, source: string, flags: string[]): void {
  execFileSync("gcc", ["-x", "c", "-", "-o", join(root, out), ...flags], {
    input: source,
    stdio: ["pipe", "ignore", "pipe"],
  });
}

/** Shared objects already compiled in this process, by their gcc arguments: each is built once and copied. */
const compiled = new Map<string, Promise<string>>();
let builds: string | undefined;

/** A tiny shared object with a soname, built by gcc. */
export async function sharedObject(
  root: string,
  path: string,
  soname: string,
  symbol: string,
  extra: string[] = [],
): Promise<void> {
  const key = JSON.stringify([soname, symbol, extra]);
  let built = compiled.get(key);
  if (!built) {
    const name = `${compiled.size}-${soname}`;
    built = (async () => {
      builds ??= await mkdtemp(join(tmpdir(), "cudaseal-link-objects-"));
      gcc(builds, name, `int ${symbol}(void) { return 42; }\n`, [
        "-shared",
        "-fPIC",
        `-Wl,-soname,${soname}`,
        ...extra,
      ]);
      return join(builds, name);
    })();
    compiled.set(key, built);
  }
  await mkdir(dirname(join(root, path)), { recursive: true });
  await cp(await built, join(root, path));
}

/** Remove what sharedObject compiled (call once, after the tests). */
export async function removeCompiled(): Promise<void> {
  if (builds) await rm(builds, { recursive: true, force: true });
  builds = undefined;
  compiled.clear();
}

/** NVIDIA's layout: cuda-12.8 with its libraries, /usr/local/cuda and cuda-12 through alternatives, 000_cuda.conf and 988_cuda-12.conf. */
export async function nvidiaRoot(root: string): Promise<void> {
  await sharedObject(root, `${CUDA_LIB}/libcudart.so.12.8.90`, "libcudart.so.12", "cudart_version");
  await link(root, `${CUDA_LIB}/libcudart.so.12`, "libcudart.so.12.8.90");
  await link(root, `${CUDA_LIB}/libcudart.so`, "libcudart.so.12");
  // No soname link shipped: ldconfig would make libcublas.so.12 → libcublas.so.12.8.4.1.
  await sharedObject(root, `${CUDA_LIB}/libcublas.so.12.8.4.1`, "libcublas.so.12", "cublas_version");
  await sharedObject(root, `${CUDA_LIB}/libnvrtc.so.12.8.93`, "libnvrtc.so.12", "nvrtc_version");
  await link(root, `${CUDA_LIB}/libnvrtc.so.12`, "libnvrtc.so.12.8.93");
  await link(root, "etc/alternatives/cuda", "/usr/local/cuda-12.8");
  await link(root, "etc/alternatives/cuda-12", "/usr/local/cuda-12.8");
  await link(root, "usr/local/cuda", "/etc/alternatives/cuda");
  await link(root, "usr/local/cuda-12", "/etc/alternatives/cuda-12");
  await put(root, "etc/ld.so.conf.d/000_cuda.conf", "/usr/local/cuda/targets/x86_64-linux/lib\n");
  await put(root, "etc/ld.so.conf.d/988_cuda-12.conf", "/usr/local/cuda-12/targets/x86_64-linux/lib\n");
}
