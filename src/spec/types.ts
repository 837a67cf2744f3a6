// The image spec as cudaseal reads it (schema/spec.schema.json is the
// published form that editors complete against).

export interface SpecSource {
  uri: string;
  suites?: string[];
  components?: string[];
  archs?: string[];
  keyring?: "debian" | string[];
  priority?: number;
  allowExpired?: boolean;
}

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
}

export interface Spec {
  include?: string | string[];
  name?: string;
  description?: string;
  version?: string;
  suite?: string;
  sources?: SpecSource[];
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
