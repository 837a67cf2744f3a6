// The image spec as cudaseal reads it (schema/spec.schema.json is the
// published form that editors complete against).

/**
 * A repository named by cudaseal (`nvidia-cuda`: NVIDIA's CUDA apt
 * repository; `debian`: the default Debian sources) rather than by URI.
 */
export interface SpecBuiltinSource {
  name: "debian" | "nvidia-cuda";
  /** nvidia-cuda: which of NVIDIA's trees (`debian12`, `debian13`, `ubuntu2404`…); default debian13. */
  distribution?: string;
  /** A mirror of the repository (a company proxy); NVIDIA's own URL otherwise. */
  url?: string;
  /** `debian` or `nvidia` for the keys shipped with cudaseal, or key files. */
  keyring?: "debian" | "nvidia" | string[];
  priority?: number;
  /** apt-style pins: packages matching `package` (a glob) get `priority` from this source. */
  pins?: SpecPin[];
  allowExpired?: boolean;
}

export interface SpecPin {
  package: string;
  priority: number;
}

export interface SpecSource {
  uri: string;
  suites?: string[];
  components?: string[];
  archs?: string[];
  /** `debian` or `nvidia` for the keys shipped with cudaseal, or key files. */
  keyring?: "debian" | "nvidia" | string[];
  priority?: number;
  pins?: SpecPin[];
  allowExpired?: boolean;
}

/** `sources:` items: a URI-named repository, a built-in one by name, or a bare built-in name. */
export type SpecSourceItem = SpecSource | SpecBuiltinSource | "debian" | "nvidia-cuda";

export interface SpecUser {
  name: string;
  uid: number;
  gid?: number;
  home?: string;
  shell?: string;
}

export interface SpecGroup {
  name: string;
  gid: number;
  members?: string[];
}

export interface SpecContent {
  source?: string;
  tarball?: string;
  image?: string;
  path?: string;
  destination: string;
  owner?: string;
  mode?: string;
}

export interface SpecPath {
  type: "directory" | "symlink" | "file";
  path: string;
  target?: string;
  owner?: string;
  mode?: string;
}

export interface SpecAllow {
  shell?: boolean;
  packageManager?: boolean;
  interpreters?: boolean;
  setuid?: boolean;
  docs?: boolean;
  headers?: boolean;
  staticLibraries?: boolean;
  /** Globs of sonames (or image paths) the link check may leave unresolved. */
  unresolved?: string[];
}

/** An application's locked Python dependencies (see docs/python.md). */
export interface SpecPython {
  /** uv.lock, pylock.toml or a fully hashed requirements.txt, relative to the spec. */
  lock: string;
  /** The application's own code, installed like contents. */
  project?: string;
  /** PEP 503/691 simple index URL the wheels come from (pylock.toml and uv.lock name their own). */
  index?: string;
  extraIndex?: string[];
  /** `system` (the interpreter's dist-packages) or `venv:/opt/venv`. Default system. */
  target?: string;
  /** uv.lock: dependency groups and extras to install, as `uv sync --group/--extra`. */
  groups?: string[];
  extras?: string[];
}

export interface Spec {
  include?: string | string[];
  name?: string;
  description?: string;
  version?: string;
  suite?: string;
  sources?: SpecSourceItem[];
  /** NVIDIA CUDA toolkit version (`12.8`, `13.0`) whose packages the NVIDIA presets install. */
  cuda?: string;
  /** cuDNN major version to add (`9`), built for the chosen CUDA major. */
  cudnn?: number;
  /** Add NCCL (`libnccl2`) built for the chosen CUDA version. */
  nccl?: boolean;
  python?: SpecPython;
  archs?: string[];
  packages?: string[];
  provided?: string[];
  recommends?: boolean;
  accounts?: { users?: SpecUser[]; groups?: SpecGroup[]; runAs?: string };
  entrypoint?: string[];
  cmd?: string[];
  workdir?: string;
  env?: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  stopSignal?: string;
  /** Prefix the entrypoint with the static cudaseal-entry diagnostics wrapper (src/contents/diagnostics.ts). */
  diagnostics?: boolean;
  contents?: SpecContent[];
  paths?: SpecPath[];
  excludes?: string[];
  keep?: string[];
  allow?: SpecAllow;
  trim?: "none" | "elf";
  trimRoots?: string[];
  layering?: { maxLayers?: number; ownLayerBytes?: number };
  compression?: { algorithm?: "gzip" | "zstd"; level?: number };
  /** files: list every package's files with their checksums in the SBOMs. */
  sbom?: { files?: boolean };
}

/** A spec with its includes merged, relative paths made absolute, and where it came from. */
export interface LoadedSpec {
  spec: Spec;
  /** The files read, the top one first. */
  files: string[];
}
