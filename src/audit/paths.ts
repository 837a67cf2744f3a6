// What a path in an image is, by its name: a shell, a package manager, a
// compiler, a network tool, an NVIDIA driver library, the CUDA runtime, a
// CUDA library's soname, a credentials file, a package database. Names only; contents are judged by
// the layer walker (ELF magic, `#!`, size).

import { posix } from "node:path";

export type ToolKind = "shell" | "package-manager" | "compiler" | "network-tool";

const TOOLS: readonly [ToolKind, RegExp][] = [
  ["shell", /^(?:sh|bash|rbash|dash|ash|zsh|ksh|ksh93|mksh|csh|tcsh|fish|busybox|toybox)$/],
  [
    "package-manager",
    /^(?:apt|apt-get|aptitude|dpkg|apk|pip|pip3|pip3\.\d+|pip\d\.\d+|conda|mamba|micromamba|yum|dnf|microdnf|rpm|zypper|npm|gem)$/,
  ],
  [
    "compiler",
    /^(?:(?:[a-z0-9_]+-linux-gnu[a-z]*-)?(?:gcc|g\+\+|cc|c\+\+|cpp)(?:-\d+(?:\.\d+)*)?|clang(?:\+\+)?(?:-\d+)?|nvcc|tcc|go|rustc|javac)$/,
  ],
  [
    "network-tool",
    /^(?:curl|wget|nc|nc\.openbsd|nc\.traditional|netcat|ncat|socat|ssh|scp|sftp|telnet|ftp|tftp)$/,
  ],
];

/** The kind of tool an executable at `path` is, by its name, if it lives in a bin or sbin directory. */
export function toolKind(path: string): ToolKind | undefined {
  const dir = posix.basename(posix.dirname(path));
  if (dir !== "bin" && dir !== "sbin") return undefined;
  const name = posix.basename(path);
  for (const [kind, re] of TOOLS) if (re.test(name)) return kind;
  return undefined;
}

// The driver's user-space half, which must match the host's kernel module.
// Link-time stubs that the CUDA toolkit ships (…/stubs/libcuda.so) are not it.
const DRIVER_LIB =
  /^(?:libcuda|libcudadebugger|libnvcuvid|libnvoptix|libnvidia-(?!container)[a-z0-9-]+|libGLX_nvidia|libEGL_nvidia|libGLESv2_nvidia|libGLESv1_CM_nvidia)\.so(?:\.[0-9.]+)?$/;

/** True for a bundled NVIDIA driver library (`libcuda.so.1`, `libnvidia-ml.so.550.54.15`). */
export function isDriverLibrary(path: string): boolean {
  return DRIVER_LIB.test(posix.basename(path)) && !path.split("/").includes("stubs");
}

// The CUDA toolkit's and its companions' libraries, which NVIDIA's packages,
// the CUDA toolkit and PyPI's nvidia-*-cu12 wheels all ship. auditwheel may
// have renamed a bundled copy with a hash (`libcudart-d0da41ae.so.11.0`).
const CUDA_LIB =
  /^(libcublas|libcublasLt|libcudart|libcudnn(?:_[a-z_]+)?|libnccl|libcufft|libcufftw|libcurand|libcusolver|libcusolverMg|libcusparse|libcusparseLt|libnvrtc|libnvrtc-builtins|libnvJitLink|libcupti|libnvToolsExt|libnvtx3interop|libcufile|libcufile_rdma|libnvjpeg|libnpp[a-z]*|libnvblas|libcudla|libnvperf_host|libnvperf_target|libcheckpoint)(?:-[0-9a-f]{8})?\.so\.(\d+)(?:\.[0-9]+)*$/;

/**
 * The soname a CUDA library file answers to, from its name:
 * `libcublas.so.12.4.5.8` and `nvidia/cublas/lib/libcublas.so.12` are both
 * `libcublas.so.12`; undefined for anything else, and for the unversioned
 * link-time name (`libcublas.so`), which nothing loads at run time.
 */
export function cudaSoname(path: string): string | undefined {
  const m = CUDA_LIB.exec(posix.basename(path));
  return m ? `${m[1]}.so.${m[2]}` : undefined;
}

/** The CUDA runtime version a libcudart file name carries: `libcudart.so.12.4.127` → [12, 4, "12.4.127"]. */
export function cudartVersion(path: string): { major: number; minor: number; full: string } | undefined {
  const m = /^libcudart\.so\.(\d+)\.(\d+)(?:\.(\d+))?$/.exec(posix.basename(path));
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    full: m[3] === undefined ? `${m[1]}.${m[2]}` : `${m[1]}.${m[2]}.${m[3]}`,
  };
}

/** True for any libcudart.so name: the image carries the CUDA runtime. */
export function isCudart(path: string): boolean {
  return /^libcudart\.so(?:\.|$)/.test(posix.basename(path));
}

/** What kind of credentials file `path` is by its name, or undefined. */
export function credentialsFile(path: string): string | undefined {
  const name = posix.basename(path);
  const parent = posix.basename(posix.dirname(path));
  if (name === ".env" || /^\.env\.(?:local|production|prod|staging|secret)$/.test(name)) return "a .env file";
  if (name === ".netrc" || name === "_netrc") return "a .netrc file";
  if (name === ".git-credentials") return "a .git-credentials file";
  if (/^id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?$/.test(name)) return "an SSH private key file";
  if (name === ".pgpass") return "a .pgpass file";
  if (name === ".pypirc") return "a .pypirc file";
  if (name === "credentials" && parent === ".aws") return "an AWS credentials file";
  if (name === "config" && parent === ".kube") return "a kubeconfig";
  if (name === "config.json" && parent === ".docker") return "a Docker config.json";
  if (name === ".npmrc") return "an .npmrc file";
  if (name === ".vault-token") return "a Vault token file";
  return undefined;
}

/** Whether a credentials file's body holds credentials (a Docker config may hold only settings). */
export function credentialsFileHasSecrets(kind: string, body: Buffer): boolean {
  const text = body.toString("utf8").trim();
  if (text === "") return false;
  if (kind === "a Docker config.json") {
    try {
      const doc = JSON.parse(text) as { auths?: Record<string, { auth?: string; identitytoken?: string }> };
      return Object.values(doc.auths ?? {}).some((a) => Boolean(a?.auth || a?.identitytoken));
    } catch {
      return /"auth"\s*:\s*"[^"]+"/.test(text);
    }
  }
  if (kind === "an .npmrc file") return /_authToken\s*=|_auth\s*=|_password\s*=/.test(text);
  return true;
}

/** Package databases scanners read; an image with none of them hides what it has installed. */
export function isPackageDatabase(path: string): boolean {
  return (
    path === "/var/lib/dpkg/status" ||
    path.startsWith("/var/lib/dpkg/status.d/") ||
    path === "/lib/apk/db/installed" ||
    path === "/usr/lib/apk/db/installed" ||
    path === "/var/lib/rpm/Packages" ||
    path === "/var/lib/rpm/rpmdb.sqlite" ||
    path === "/usr/lib/sysimage/rpm/rpmdb.sqlite"
  );
}

// Bodies that are never text worth searching for secrets.
const BINARY_SUFFIX =
  /\.(?:so(?:\.[0-9.]+)?|a|o|pyc|pyo|whl|zip|jar|gz|tgz|xz|bz2|zst|7z|png|jpe?g|gif|webp|ico|pdf|mo|ttf|otf|woff2?|bin|pt|pth|safetensors|onnx|npy|npz|cubin|fatbin|ptx)$/;

/** Whether a file's body is worth searching for secrets, by name. */
export function mayHoldSecrets(path: string): boolean {
  return !BINARY_SUFFIX.test(path);
}
