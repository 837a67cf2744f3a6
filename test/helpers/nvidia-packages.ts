// NVIDIA's CUDA packages as the tests' NVIDIA repository publishes them:
// the real package names, versions, Depends, file layout, ld.so.conf.d
// files and maintainer scripts, with each shared library described by its
// real soname, file name and DT_NEEDED between the CUDA libraries. The
// libraries themselves are compiled by nvidia-repo.ts from these rows.
//
// Where the numbers come from: NVIDIA's CUDA container Dockerfiles
// (gitlab.com/nvidia/container-images/cuda, dist/12.8.1/ubuntu2404 and
// dist/13.0.0/ubuntu2404, base/runtime/cudnn: NV_CUDA_CUDART_VERSION,
// NV_LIBCUBLAS_VERSION, NV_LIBCUSPARSE_VERSION, NV_NVTX_VERSION,
// NV_LIBNPP_VERSION, NV_CUDNN_VERSION, NV_LIBNCCL_PACKAGE_VERSION) and
// PyTorch's CI pins (libnccl2=2.25.1-1+cuda12.8, libcudnn9-cuda-12=9.8.0.87-1
// for 12.8). The remaining library versions follow the same releases'
// component versions (CUDA 12.8.1 and 13.0.0 release notes). Sonames are
// the real ones: CUDA 13 moved cudart, cuBLAS, nvJitLink and NVRTC to .13
// and cuFFT and cuSOLVER to .12.
//
// Two simplifications, both said where they matter: every function a
// library exports is `size_t NAME(void)` or `int NAME(int *)` (enough to
// prove at run time that the loader bound the right file), and CUDA 13's
// NVTX package carries only headers, as NVIDIA's does (nvtx3 is header-only).

import type { DebFile } from "./debs.ts";

/** A CUDA release the fixture publishes. */
export type CudaRelease = "12.8" | "12.9" | "13.0";

export const CUDA_RELEASES: readonly CudaRelease[] = ["12.8", "12.9", "13.0"];

/** One function a fixture library exports: `size_t NAME(void)` ("ret") or `int NAME(int *out)` ("out"). */
export interface FixtureExport {
  name: string;
  kind: "ret" | "out";
  value: number;
}

/** A shared library to compile: its soname, the file it lies in, the sonames it links (DT_NEEDED). */
export interface FixtureLib {
  soname: string;
  /** The real file name (`libcudart.so.12.8.90`); the soname is a symlink to it. */
  file: string;
  needed: string[];
  exports: FixtureExport[];
}

/** A package of the fixture, before its libraries are compiled and it is built with dpkg-deb. */
export interface FixturePackage {
  name: string;
  version: string;
  arch: "amd64" | "all";
  fields: Record<string, string>;
  files: Record<string, DebFile>;
  /** Libraries to compile into `dir` (relative to the root), each with its soname symlink. */
  libs: { dir: string; lib: FixtureLib }[];
  scripts?: Record<string, string>;
  /** Which compiled set its libraries belong to (the libraries it links against are in the same set). */
  set: string;
}

const TRIPLET_DIR = "x86_64-linux";
const MULTIARCH = "x86_64-linux-gnu";

/** The dpkg trigger NVIDIA's library packages carry instead of calling ldconfig themselves. */
const LDCONFIG_TRIGGER = { triggers: "activate-noawait ldconfig\n" };

/** Per release: the component versions of one CUDA release (see the header for the sources). */
interface ReleaseFacts {
  dash: string;
  major: number;
  /** CUDART_VERSION as cudaRuntimeGetVersion reports it (12080). */
  code: number;
  cudart: string;
  /** Full version of the toolkit meta packages (cuda-libraries-X-Y). */
  meta: string;
  /** Library packages: package stem, version, libraries (stem, soname major, file version, needed stems). */
  libraries: {
    pkg: string;
    version: string;
    libs: { stem: string; so: number | string; file: string; needed?: string[] }[];
    headersOnly?: boolean;
  }[];
  compat?: string;
}

const RELEASES: Record<CudaRelease, ReleaseFacts> = {
  "12.8": {
    dash: "12-8",
    major: 12,
    code: 12080,
    cudart: "12.8.90-1",
    meta: "12.8.1-1",
    compat: "570.124.06",
    libraries: [
      { pkg: "libnvjitlink", version: "12.8.93-1", libs: [{ stem: "nvJitLink", so: 12, file: "12.8.93" }] },
      {
        pkg: "libcublas",
        version: "12.8.4.1-1",
        libs: [
          { stem: "cublasLt", so: 12, file: "12.8.4.1" },
          { stem: "cublas", so: 12, file: "12.8.4.1", needed: ["cublasLt"] },
        ],
      },
      {
        pkg: "libcusparse",
        version: "12.5.8.93-1",
        libs: [{ stem: "cusparse", so: 12, file: "12.5.8.93", needed: ["nvJitLink"] }],
      },
      {
        pkg: "libcusolver",
        version: "11.7.3.90-1",
        libs: [
          {
            stem: "cusolver",
            so: 11,
            file: "11.7.3.90",
            needed: ["cublas", "cublasLt", "cusparse", "nvJitLink"],
          },
        ],
      },
      {
        pkg: "libcufft",
        version: "11.3.3.83-1",
        libs: [
          { stem: "cufft", so: 11, file: "11.3.3.83" },
          { stem: "cufftw", so: 11, file: "11.3.3.83", needed: ["cufft"] },
        ],
      },
      { pkg: "libcurand", version: "10.3.9.90-1", libs: [{ stem: "curand", so: 10, file: "10.3.9.90" }] },
      {
        pkg: "cuda-nvrtc",
        version: "12.8.93-1",
        libs: [
          { stem: "nvrtc", so: 12, file: "12.8.93" },
          { stem: "nvrtc-builtins", so: "12.8", file: "12.8.93" },
        ],
      },
      { pkg: "cuda-nvtx", version: "12.8.90-1", libs: [{ stem: "nvToolsExt", so: 1, file: "1.0.0" }] },
      {
        pkg: "libnpp",
        version: "12.3.3.100-1",
        libs: [
          { stem: "nppc", so: 12, file: "12.3.3.100" },
          { stem: "nppial", so: 12, file: "12.3.3.100", needed: ["nppc"] },
        ],
      },
    ],
  },
  // 12.9 is published with cudart and the config packages only: enough to be
  // a version the repository offers, and a newer cuDNN and NCCL build.
  "12.9": {
    dash: "12-9",
    major: 12,
    code: 12090,
    cudart: "12.9.79-1",
    meta: "12.9.1-1",
    libraries: [],
  },
  "13.0": {
    dash: "13-0",
    major: 13,
    code: 13000,
    cudart: "13.0.48-1",
    meta: "13.0.0-1",
    compat: "580.65.06",
    libraries: [
      { pkg: "libnvjitlink", version: "13.0.39-1", libs: [{ stem: "nvJitLink", so: 13, file: "13.0.39" }] },
      {
        pkg: "libcublas",
        version: "13.0.0.19-1",
        libs: [
          { stem: "cublasLt", so: 13, file: "13.0.0.19" },
          { stem: "cublas", so: 13, file: "13.0.0.19", needed: ["cublasLt"] },
        ],
      },
      {
        pkg: "libcusparse",
        version: "12.6.2.49-1",
        libs: [{ stem: "cusparse", so: 12, file: "12.6.2.49", needed: ["nvJitLink"] }],
      },
      {
        pkg: "libcusolver",
        version: "12.0.3.29-1",
        libs: [
          {
            stem: "cusolver",
            so: 12,
            file: "12.0.3.29",
            needed: ["cublas", "cublasLt", "cusparse", "nvJitLink"],
          },
        ],
      },
      {
        pkg: "libcufft",
        version: "12.0.0.15-1",
        libs: [
          { stem: "cufft", so: 12, file: "12.0.0.15" },
          { stem: "cufftw", so: 12, file: "12.0.0.15", needed: ["cufft"] },
        ],
      },
      { pkg: "libcurand", version: "10.4.0.35-1", libs: [{ stem: "curand", so: 10, file: "10.4.0.35" }] },
      {
        pkg: "cuda-nvrtc",
        version: "13.0.48-1",
        libs: [
          { stem: "nvrtc", so: 13, file: "13.0.48" },
          { stem: "nvrtc-builtins", so: "13.0", file: "13.0.48" },
        ],
      },
      // CUDA 13 ships NVTX 3 only, a header library: no libnvToolsExt.so.1.
      { pkg: "cuda-nvtx", version: "13.0.39-1", libs: [], headersOnly: true },
      {
        pkg: "libnpp",
        version: "13.0.0.50-1",
        libs: [
          { stem: "nppc", so: 13, file: "13.0.0.50" },
          { stem: "nppial", so: 13, file: "13.0.0.50", needed: ["nppc"] },
        ],
      },
    ],
  },
};

/** cuDNN 9 builds: libcudnn9-cuda-MAJOR at a version, in the set of the release it was published with. */
const CUDNN: { cudaMajor: number; version: string; set: CudaRelease }[] = [
  { cudaMajor: 12, version: "9.8.0.87-1", set: "12.8" },
  { cudaMajor: 12, version: "9.10.2.21-1", set: "12.9" },
  { cudaMajor: 13, version: "9.12.0.46-1", set: "13.0" },
];

/** NCCL builds: one libnccl2 version per CUDA release, told apart by the `+cudaX.Y` suffix. */
const NCCL: { version: string; set: CudaRelease }[] = [
  { version: "2.25.1-1+cuda12.8", set: "12.8" },
  { version: "2.26.5-1+cuda12.9", set: "12.9" },
  { version: "2.27.3-1+cuda13.0", set: "13.0" },
];

/** The cuDNN 9 libraries: the front library (which dlopens the rest) and its sub-libraries, which link libcudnn_graph. */
const CUDNN_LIBS = [
  "cudnn_graph",
  "cudnn",
  "cudnn_ops",
  "cudnn_cnn",
  "cudnn_adv",
  "cudnn_engines_precompiled",
  "cudnn_engines_runtime_compiled",
  "cudnn_heuristic",
];

/** cudaRuntimeGetVersion's number for a release: 12080 for 12.8. */
export function cudartCode(release: CudaRelease): number {
  return RELEASES[release].code;
}

/** The `X-Y` of package names (`12-8`). */
export function cudaDash(release: CudaRelease): string {
  return RELEASES[release].dash;
}

/** CUDNN_VERSION of a Debian version (9.8.0.87-1 → 90800), as cudnnGetVersion reports it. */
export function cudnnCode(version: string): number {
  const [major, minor, patch] = version.split(/[.-]/).map(Number);
  return major * 10000 + minor * 100 + patch;
}

/** NCCL_VERSION_CODE of a Debian version (2.25.1-1+cuda12.8 → 22501). */
export function ncclCode(version: string): number {
  const [major, minor, patch] = version.split(/[.-]/).map(Number);
  return major * 10000 + minor * 100 + patch;
}

/**
 * What `cudnn: 9` and `nccl: true` install for a release when every release
 * is published: the newest cuDNN 9 built for its CUDA major (cuDNN is not
 * tied to a minor), and the NCCL build for exactly that release.
 */
export function companions(release: CudaRelease): { cudnn?: string; nccl: string } {
  const major = RELEASES[release].major;
  const cudnn = CUDNN.filter((c) => c.cudaMajor === major).at(-1)?.version;
  return { cudnn, nccl: NCCL.find((n) => n.set === release)?.version ?? "" };
}

function lib(
  stem: string,
  so: number | string,
  file: string,
  needed: string[],
  exports: FixtureExport[],
): FixtureLib {
  const soname = `lib${stem}.so.${so}`;
  return { soname, file: `lib${stem}.so.${file}`, needed, exports };
}

/** Every library exports `<stem>FixtureVersion`, plus the real version query where the fixture models one. */
function exportsOf(stem: string, value: number): FixtureExport[] {
  const name = `${stem.replace(/[^A-Za-z0-9]/g, "_")}FixtureVersion`;
  return [{ name, kind: "ret", value }];
}

function cudaDir(release: CudaRelease): string {
  return `usr/local/cuda-${release}/targets/${TRIPLET_DIR}/lib`;
}

/** The packages of one release: cudart, the config packages, the libraries, compat and the meta package. */
function releasePackages(release: CudaRelease): FixturePackage[] {
  const r = RELEASES[release];
  const dir = cudaDir(release);
  const configDeps = `cuda-toolkit-${r.dash}-config-common, cuda-toolkit-${r.major}-config-common, cuda-toolkit-config-common`;
  const out: FixturePackage[] = [];
  const cudartFile = r.cudart.replace(/-\d+$/, "");
  out.push({
    name: `cuda-cudart-${r.dash}`,
    version: r.cudart,
    arch: "amd64",
    set: release,
    fields: { Depends: configDeps, Section: "devel", Priority: "optional" },
    files: {},
    libs: [
      {
        dir,
        lib: lib(
          "cudart",
          r.major,
          cudartFile,
          [],
          [{ name: "cudaRuntimeGetVersion", kind: "out", value: r.code }, ...exportsOf("cudart", r.code)],
        ),
      },
    ],
    scripts: LDCONFIG_TRIGGER,
  });
  // The per-version config package makes /usr/local/cuda and /usr/local/cuda-X
  // through update-alternatives, at a priority from the version (128 for 12.8).
  const altPriority = r.major * 10 + Number(release.split(".")[1]);
  const cudaHome = `/usr/local/cuda-${release}`;
  out.push({
    name: `cuda-toolkit-${r.dash}-config-common`,
    version: r.cudart,
    arch: "all",
    set: release,
    fields: { Section: "devel", Priority: "optional" },
    files: {},
    libs: [],
    scripts: {
      postinst:
        "#!/bin/sh\nset -e\n" +
        'if [ "$1" = "configure" ]; then\n' +
        `  update-alternatives --install /usr/local/cuda cuda ${cudaHome} ${altPriority}\n` +
        `  update-alternatives --install /usr/local/cuda-${r.major} cuda-${r.major} ${cudaHome} ${altPriority}\n` +
        "fi\n",
      prerm:
        "#!/bin/sh\nset -e\n" +
        'if [ "$1" = "remove" ] || [ "$1" = "deconfigure" ]; then\n' +
        `  update-alternatives --remove cuda ${cudaHome}\n` +
        `  update-alternatives --remove cuda-${r.major} ${cudaHome}\n` +
        "fi\n",
    },
  });
  for (const l of r.libraries) {
    const name = `${l.pkg}-${r.dash}`;
    const files: Record<string, DebFile> = {};
    if (l.headersOnly) {
      files[`usr/local/cuda-${release}/targets/${TRIPLET_DIR}/include/nvtx3/nvToolsExt.h`] =
        "/* NVTX 3: header-only */\n";
    }
    out.push({
      name,
      version: l.version,
      arch: "amd64",
      set: release,
      fields: { Depends: configDeps, Section: "devel", Priority: "optional" },
      files,
      libs: l.libs.map((x) => {
        const needed = (x.needed ?? []).map((stem) => {
          const dep = r.libraries.flatMap((p) => p.libs).find((d) => d.stem === stem);
          if (!dep) throw new Error(`fixture: ${x.stem} needs unknown ${stem}`);
          return `lib${stem}.so.${dep.so}`;
        });
        return { dir, lib: lib(x.stem, x.so, x.file, needed, exportsOf(x.stem, r.code)) };
      }),
      scripts: l.headersOnly ? undefined : LDCONFIG_TRIGGER,
    });
  }
  if (r.compat) {
    // The forward-compatibility driver: never on the loader's path unless asked
    // for (NVIDIA's images leave it to the container toolkit), so no ld.so.conf.d file.
    const compatDir = `usr/local/cuda-${release}/compat`;
    out.push({
      name: `cuda-compat-${r.dash}`,
      version: `${r.compat}-1`,
      arch: "amd64",
      set: release,
      fields: { Section: "devel", Priority: "optional" },
      files: { [`${compatDir}/libcuda.so`]: { symlink: "libcuda.so.1" } },
      libs: [
        { dir: compatDir, lib: lib("cuda", 1, r.compat, [], exportsOf("cuda_compat", r.code)) },
        { dir: compatDir, lib: lib("nvidia-nvvm", 4, r.compat, [], exportsOf("nvvm_compat", r.code)) },
        {
          dir: compatDir,
          lib: lib("nvidia-ptxjitcompiler", 1, r.compat, [], exportsOf("ptxjit_compat", r.code)),
        },
      ],
    });
  }
  if (r.libraries.length > 0) {
    const withVersion = (pkg: string) => {
      const l = r.libraries.find((x) => x.pkg === pkg);
      return l ? `${pkg}-${r.dash} (>= ${l.version.replace(/-\d+$/, "")})` : `${pkg}-${r.dash}`;
    };
    out.push({
      name: `cuda-libraries-${r.dash}`,
      version: r.meta,
      arch: "amd64",
      set: release,
      fields: {
        Depends: [
          `cuda-cudart-${r.dash} (>= ${cudartFile})`,
          ...r.libraries.filter((l) => !l.headersOnly).map((l) => withVersion(l.pkg)),
        ].join(", "),
        Section: "metapackages",
      },
      files: {},
      libs: [],
    });
  }
  return out;
}

/**
 * The config packages shared by every release: one ld.so.conf.d file for
 * /usr/local/cuda (000_cuda.conf) and one per major (988_cuda-12.conf),
 * published at the version of each release that updated them, as NVIDIA's
 * repository keeps every version.
 */
function configPackages(releases: readonly CudaRelease[]): FixturePackage[] {
  const out: FixturePackage[] = [];
  for (const release of releases) {
    const r = RELEASES[release];
    out.push({
      name: "cuda-toolkit-config-common",
      version: r.cudart,
      arch: "all",
      set: release,
      fields: { Section: "devel", Priority: "optional" },
      files: { "etc/ld.so.conf.d/000_cuda.conf": `/usr/local/cuda/targets/${TRIPLET_DIR}/lib\n` },
      libs: [],
    });
    out.push({
      name: `cuda-toolkit-${r.major}-config-common`,
      version: r.cudart,
      arch: "all",
      set: release,
      fields: { Section: "devel", Priority: "optional" },
      files: {
        [`etc/ld.so.conf.d/988_cuda-${r.major}.conf`]: `/usr/local/cuda-${r.major}/targets/${TRIPLET_DIR}/lib\n`,
      },
      libs: [],
    });
  }
  return out;
}

function cudnnPackages(releases: readonly CudaRelease[]): FixturePackage[] {
  return CUDNN.filter((c) => releases.includes(c.set)).map((c) => {
    const file = c.version.replace(/\.\d+-\d+$/, ""); // 9.8.0.87-1 → 9.8.0
    const code = cudnnCode(c.version);
    const other = c.cudaMajor === 12 ? 13 : 12;
    return {
      name: `libcudnn9-cuda-${c.cudaMajor}`,
      version: c.version,
      arch: "amd64",
      set: c.set,
      // Both builds install the same paths under the multiarch directory.
      fields: { Conflicts: `libcudnn9-cuda-${other}`, Section: "libs", Priority: "optional" },
      files: {},
      libs: CUDNN_LIBS.map((stem) => ({
        dir: `usr/lib/${MULTIARCH}`,
        lib: lib(
          stem,
          9,
          file,
          stem === "cudnn" || stem === "cudnn_graph" ? [] : ["libcudnn_graph.so.9"],
          stem === "cudnn"
            ? [{ name: "cudnnGetVersion", kind: "ret", value: code }, ...exportsOf(stem, code)]
            : exportsOf(stem, code),
        ),
      })),
      scripts: LDCONFIG_TRIGGER,
    } satisfies FixturePackage;
  });
}

function ncclPackages(releases: readonly CudaRelease[]): FixturePackage[] {
  return NCCL.filter((n) => releases.includes(n.set)).map((n) => {
    const code = ncclCode(n.version);
    return {
      name: "libnccl2",
      version: n.version,
      arch: "amd64",
      set: n.set,
      fields: { Section: "libs", Priority: "optional" },
      files: {},
      libs: [
        {
          dir: `usr/lib/${MULTIARCH}`,
          lib: lib(
            "nccl",
            2,
            n.version.replace(/-.*$/, ""),
            [],
            [{ name: "ncclGetVersion", kind: "out", value: code }, ...exportsOf("nccl", code)],
          ),
        },
      ],
      scripts: LDCONFIG_TRIGGER,
    } satisfies FixturePackage;
  });
}

/** Every package the fixture publishes for these releases. */
export function nvidiaCatalog(releases: readonly CudaRelease[] = CUDA_RELEASES): FixturePackage[] {
  return [
    ...configPackages(releases),
    ...releases.flatMap(releasePackages),
    ...cudnnPackages(releases),
    ...ncclPackages(releases),
  ];
}
