// The NVIDIA driver's user-space half (libcuda, NVML, the PTX JIT, the
// graphics and video libraries, the daemons and tools) must match the kernel
// module of the machine the container runs on, so the container runtime
// mounts it in from the host at start time. An image must never carry its
// own copy: it would shadow the host's and break on any other driver version.
//
// Debian's CUDA packages still name the driver: libcudart12 recommends
// `libcuda1 (>= 550) | libcuda.so.1 (>= 550) | libcuda-12.4-1`,
// nvidia-cuda-dev depends on it, and libnvidia-ml-dev on `libnvidia-ml1 (>= 550) |
// libnvidia-ml.so.1 (>= 550)`. The resolver treats such dependencies as met
// by the host. Two rules recognise driver packages:
//   - names, real or virtual, matching the patterns below (these cover the
//     virtual names like `libcuda.so.1` and `libcuda-12.4-1` too);
//   - real packages built from the driver's source packages, which catches
//     driver libraries a future release adds under a new name.
// The CUDA toolkit's own packages (`libnvidia-ml-dev`, NVIDIA's
// `cuda-compat-*` forward-compatibility libcuda) are not the driver and stay
// installable.

import type { PackageRecord } from "../apt/types.ts";

const DRIVER_NAMES: readonly RegExp[] = [
  // libcuda and its virtual names: libcuda1, libcuda1-any, libcuda.so.1, libcuda-12.4-1
  /^libcuda1(-any)?$/,
  /^libcuda\.so\.1$/,
  /^libcuda-[0-9.]+-1$/,
  /^libcudadebugger/,
  /^libnvcuvid/,
  /^libnvoptix/,
  // libnvidia-ml1, libnvidia-ptxjitcompiler1, libnvidia-nvvm4, libnvidia-encode1,
  // libnvidia-tesla-535-cuda1…, but not development packages of the toolkit.
  /^libnvidia-(?!.*-(dev|doc)$)/,
  // GL/EGL/GLES/Vulkan/OpenCL vendor libraries and ICDs of the driver.
  /^lib(gl1|glx|egl|gles[0-9]*)-nvidia/,
  /^nvidia-(vulkan|egl|opencl|vdpau)-(icd|driver)/,
  /^xserver-xorg-video-nvidia/,
  // The driver itself, its kernel modules, alternatives and tools.
  /^nvidia-driver/,
  /^nvidia-(open-)?kernel-/,
  /^nvidia-tesla-/,
  /^nvidia-alternative/,
  /^nvidia-legacy-check$/,
  /^nvidia-smi$/,
  /^nvidia-persistenced$/,
  /^nvidia-fabricmanager/,
  // NVIDIA's own repository names the driver meta-packages so.
  /^cuda-drivers/,
];

const DRIVER_SOURCES: readonly RegExp[] = [/^nvidia-graphics-drivers/, /^nvidia-open-gpu-kernel-modules/];

/** True when `name` (a package or a virtual package) belongs to the host's NVIDIA driver. */
export function isHostProvidedName(name: string): boolean {
  return DRIVER_NAMES.some((pattern) => pattern.test(name));
}

/** True when a real package is part of the host's NVIDIA driver, by name or by its source package. */
export function isHostProvidedPackage(pkg: Pick<PackageRecord, "name" | "source">): boolean {
  return isHostProvidedName(pkg.name) || DRIVER_SOURCES.some((pattern) => pattern.test(pkg.source));
}
