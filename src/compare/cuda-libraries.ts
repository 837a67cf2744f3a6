// Which installed packages are CUDA libraries. A name prefix is not enough:
// `libcu` and `libnv` also start libcurl4t64, libcups2 and libnvme1. A
// package counts when its source package is one of NVIDIA's CUDA, cuDNN,
// NCCL, cuTENSOR or TensorRT sources, or when it ships a library whose
// soname stem is one of CUDA's own (libcudart, libcublas, …), compared
// whole: `libcurl.so.4` has the stem libcurl, which is not libcu-anything.
//
// Sources come in two forms. Debian's packages name theirs
// (`Source: nvidia-cuda-toolkit`). NVIDIA's repository's packages carry no
// Source field, so their source is their own name, which follows NVIDIA's
// scheme: `cuda-<component>-<major>-<minor>`, `lib<component>-<major>-<minor>`
// for the math libraries, `libcudnn9-cuda-12`, `libnccl2`, `libnvinfer10`.

import { posix } from "node:path";
import { fileOwners } from "../source/file-owners.ts";
import type { ImageFilesystem } from "../source/filesystem.ts";
import type { InstalledPackage } from "../source/packages.ts";

/** Debian's (and NVIDIA's, where they name one) source packages of the CUDA libraries. */
const CUDA_SOURCES: ReadonlySet<string> = new Set([
  "nvidia-cuda-toolkit",
  "nvidia-cudnn",
  "nvidia-cutensor",
  "nvidia-tensorrt",
  "nccl",
  "cudnn",
  "cutensor",
  "tensorrt",
]);

/**
 * NVIDIA's repository's own names, which are their sources: every `cuda-*`
 * package; the math libraries with the CUDA release (`libcublas-12-8`,
 * `libnpp-dev-12-8`); cuDNN, NCCL, cuTENSOR, cuSPARSELt and TensorRT with their ABI
 * number (`libcudnn9-cuda-12`, `libnccl2`, `libcutensor2`, `libnvinfer10`).
 */
const NVIDIA_SOURCE =
  /^(cuda-[a-z0-9][a-z0-9.+-]*|lib(cublas|cufft|curand|cusolver|cusparse|npp|nvjitlink|nvjpeg|nvrtc|cufile|nvfatbin|nvptxcompiler)(-dev|-static)?-\d+-\d+|libcudnn\d+(-[a-z0-9-]+)?|libnccl(\d+|-dev)|libcutensor(\d+|-dev)(-[a-z0-9-]+)?|libcusparselt(\d+|-dev)(-[a-z0-9-]+)?|lib(nvinfer|nvinfer-plugin|nvinfer-lean|nvinfer-dispatch|nvinfer-vc-plugin|nvonnxparsers|nvparsers)(\d+|-dev))$/;

/** CUDA's library stems: the soname up to `.so` (`libcudart.so.12` → libcudart). */
const CUDA_STEMS: ReadonlySet<string> = new Set([
  "libcudart",
  "libcublas",
  "libcublasLt",
  "libnvblas",
  "libcufft",
  "libcufftw",
  "libcurand",
  "libcusolver",
  "libcusolverMg",
  "libcusparse",
  "libcusparseLt",
  "libnvrtc",
  "libnvrtc-builtins",
  "libnvJitLink",
  "libnppc",
  "libnppial",
  "libnppicc",
  "libnppidei",
  "libnppif",
  "libnppig",
  "libnppim",
  "libnppist",
  "libnppisu",
  "libnppitc",
  "libnpps",
  "libnvjpeg",
  "libcudnn",
  "libnccl",
  "libcupti",
  "libnvToolsExt",
  "libcufile",
  "libcufile_rdma",
  "libcutensor",
  "libcutensorMg",
  "libnvinfer",
  "libnvinfer_plugin",
  "libnvinfer_lean",
  "libnvinfer_dispatch",
  "libnvinfer_vc_plugin",
  "libnvonnxparser",
]);

/**
 * `libcudart.so.12.8.90` and `libcudart_static.a` → libcudart; undefined for
 * a name that is not a library's. Static archives count because CUDA's -dev
 * packages ship most of their bytes as them.
 */
function libraryStem(basename: string): string | undefined {
  const m =
    /^(lib[A-Za-z0-9_+-]+)\.so(\.\d+)*$/.exec(basename) ??
    /^(lib[A-Za-z0-9_+-]+?)(_static)?\.a$/.exec(basename);
  return m?.[1];
}

/** True for a shared or static library whose stem is a CUDA library's; cuDNN's sub-libraries (`libcudnn_ops`) too. */
export function isCudaLibraryFile(basename: string): boolean {
  const stem = libraryStem(basename);
  if (stem === undefined) return false;
  return CUDA_STEMS.has(stem) || /^libcudnn_[a-z_]+$/.test(stem);
}

/** True when the package's source (its own name where it names none) is NVIDIA's CUDA, cuDNN, NCCL, cuTENSOR or TensorRT. */
function isCudaSource(pkg: InstalledPackage): boolean {
  const source = pkg.source ?? pkg.name;
  return CUDA_SOURCES.has(source) || NVIDIA_SOURCE.test(source);
}

/** The CUDA library packages of `packages`, by source or by the libraries they ship (as `fs`'s package databases record). */
export function cudaLibraryPackages(
  packages: readonly InstalledPackage[],
  fs: ImageFilesystem,
): InstalledPackage[] {
  const shipping = new Set<string>();
  const candidates = [...fs.files.keys()].filter((p) => isCudaLibraryFile(posix.basename(p)));
  if (candidates.length > 0) {
    const { owners, canonical } = fileOwners(fs, new Set(packages.map((p) => p.name)));
    for (const path of candidates) for (const name of owners.get(canonical(path)) ?? []) shipping.add(name);
  }
  return packages.filter((p) => isCudaSource(p) || shipping.has(p.name));
}
