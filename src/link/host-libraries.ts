// Libraries the NVIDIA container toolkit mounts into a container from the
// host's driver, so an image must not ship them and may still need them:
// libnvidia-container's utility and compute lists (src/nvc_info.c), the
// capabilities a CUDA image asks for (NVIDIA_DRIVER_CAPABILITIES
// compute,utility). Each is a name prefix: the toolkit mounts
// NAME.<driver version> and makes the soname link (libcuda.so.1).

/** Library names, without version, the toolkit injects for compute and utility. */
export const HOST_LIBRARIES: readonly string[] = [
  // utility
  "libnvidia-ml.so",
  "libnvidia-cfg.so",
  "libnvidia-nscq.so",
  // compute
  "libcuda.so",
  "libcudadebugger.so",
  "libnvidia-opencl.so",
  "libnvidia-gpucomp.so",
  "libnvidia-ptxjitcompiler.so",
  "libnvidia-fatbinaryloader.so",
  "libnvidia-allocator.so",
  "libnvidia-compiler.so",
  "libnvidia-pkcs11.so",
  "libnvidia-pkcs11-openssl3.so",
  "libnvidia-nvvm.so",
  "libnvidia-nvvm70.so",
  "libnvidia-tileiras.so",
];

/** True when the loader will find `soname` among the driver's libraries the runtime mounts. */
export function isHostLibrary(soname: string): boolean {
  return HOST_LIBRARIES.some((name) => soname === name || soname.startsWith(`${name}.`));
}
