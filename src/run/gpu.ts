// What `--gpus` puts into a container, found the way the NVIDIA Container
// Toolkit (libnvidia-container) finds it: the driver's user-space libraries
// from `ldconfig -p` and the usual driver folders, the device nodes under
// /dev, and the driver version, each narrowed by the image's
// NVIDIA_VISIBLE_DEVICES and NVIDIA_DRIVER_CAPABILITIES. Everything is read
// under a driver root (`/` normally; a fake tree in tests), and the driver
// version comes from src/host's probe, which `cudaseal doctor` shares.
//
// Nothing here mounts anything: the result is a list of (host file,
// container path) pairs that the launcher binds read-only.

import { execFile } from "node:child_process";
import { readdir, realpath, stat } from "node:fs/promises";
import { join, posix } from "node:path";
import { promisify } from "node:util";
import { CudasealError } from "../errors.ts";
import { Host, probeDriver } from "../host/index.ts";

const run = promisify(execFile);

/** A host file or directory bound into the container at `target`. */
export interface GpuMount {
  source: string;
  target: string;
}

export interface GpuInjection {
  /** The host driver's version, e.g. 550.54.15. */
  driverVersion: string;
  /** Device nodes (and /dev/nvidia-caps) for the launcher's /dev. */
  devices: GpuMount[];
  /** Libraries and programs, bound read-only. */
  files: GpuMount[];
}

/** The `--gpus` request: every GPU, the first N, or named indexes. */
export type GpuRequest =
  | { kind: "all" }
  | { kind: "count"; count: number }
  | { kind: "devices"; ids: string[] };

/** Parse `--gpus all|N|device=0,1` (docker's forms). */
export function parseGpuRequest(value: string): GpuRequest {
  const v = value.trim().replace(/^"(.*)"$/, "$1");
  if (v === "all") return { kind: "all" };
  if (/^\d+$/.test(v)) return { kind: "count", count: Number(v) };
  const m = /^device=(.+)$/.exec(v);
  if (m) return { kind: "devices", ids: m[1].split(",").map((s) => s.trim()) };
  throw new CudasealError("USAGE", `--gpus ${value} is not understood`, {
    hint: "use --gpus all, --gpus 2 or --gpus device=0,1",
  });
}

// By capability, as libnvidia-container lists them; globs end in `*` (versioned names).
const COMPUTE_LIBS = [
  "libcuda.so.1",
  "libcudadebugger.so.1",
  "libnvidia-ptxjitcompiler.so.1",
  "libnvidia-nvvm.so.4",
  "libnvidia-gpucomp.so.*",
  "libnvidia-allocator.so.1",
  "libnvidia-opencl.so.1",
  "libnvidia-pkcs11.so.*",
];
const UTILITY_LIBS = ["libnvidia-ml.so.1", "libnvidia-cfg.so.1"];
const UTILITY_BINS = ["nvidia-smi", "nvidia-debugdump", "nvidia-persistenced"];
const CONTROL_NODES = ["nvidiactl", "nvidia-uvm", "nvidia-uvm-tools"];
const TRIPLETS: Readonly<Record<string, string>> = { amd64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" };
const LDCONFIG_ARCH: Readonly<Record<string, RegExp>> = { amd64: /x86-64/, arm64: /AArch64/ };

/** The image's library folder for an architecture: where the loader looks without a cache. */
export function libraryDir(arch: string): string {
  const triplet = TRIPLETS[arch];
  if (triplet === undefined) {
    throw new CudasealError("USAGE", `--gpus supports amd64 and arm64 images, not ${arch}`);
  }
  return `/usr/lib/${triplet}`;
}

export interface FindGpuOptions {
  request: GpuRequest;
  /** The image's architecture (Debian name). */
  arch: string;
  /** The image's environment after -e: NVIDIA_VISIBLE_DEVICES and NVIDIA_DRIVER_CAPABILITIES. */
  env: Readonly<Record<string, string>>;
  /** Where the host's driver tree starts (default `/`); elsewhere, ldconfig and PATH are not used. */
  driverRoot?: string;
}

/** What to inject for `options.request`; RUN_NO_DRIVER when there is no driver to inject. */
export async function findGpuInjection(options: FindGpuOptions): Promise<GpuInjection> {
  const root = options.driverRoot ?? "/";
  const fake = root !== "/";
  const host = new Host({ root, path: fake ? "" : process.env.PATH });
  const driver = await probeDriver(host);
  if (!driver.version) {
    throw new CudasealError(
      "RUN_NO_DRIVER",
      `--gpus needs the NVIDIA driver, and none was found under ${root}`,
      {
        hint: "load the driver (modprobe nvidia; /proc/driver/nvidia/version must exist), or run without --gpus; cudaseal doctor says more",
        details: { driverRoot: root, smiError: driver.smiError },
      },
    );
  }

  const visible = (options.env.NVIDIA_VISIBLE_DEVICES ?? "all").trim();
  const caps = capabilities(options.env.NVIDIA_DRIVER_CAPABILITIES);
  const devices: GpuMount[] = [];
  // "void" (or empty) means not a GPU container; "none" means the driver without devices.
  if (visible !== "void" && visible !== "") {
    const gpus = (await list(join(root, "dev")))
      .filter((n) => /^nvidia\d+$/.test(n))
      .sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
    const chosen = visible === "none" ? [] : select(select(gpus, options.request), imageRequest(visible));
    for (const name of [...CONTROL_NODES, ...chosen]) {
      const source = join(root, "dev", name);
      if (await exists(source)) devices.push({ source, target: `/dev/${name}` });
    }
    if (chosen.length > 0 && (await exists(join(root, "dev", "nvidia-caps")))) {
      devices.push({ source: join(root, "dev", "nvidia-caps"), target: "/dev/nvidia-caps" });
    }
  }

  const files: GpuMount[] = [];
  if (visible !== "void" && visible !== "") {
    const libDir = libraryDir(options.arch);
    const wanted = [
      ...(caps.has("compute") ? COMPUTE_LIBS : []),
      ...(caps.has("utility") ? UTILITY_LIBS : []),
    ];
    const found = await findLibraries(root, options.arch, wanted, driver.version, !fake);
    for (const [name, source] of found) files.push({ source, target: posix.join(libDir, name) });
    if (caps.has("utility")) {
      for (const bin of UTILITY_BINS) {
        const source = await findProgram(root, bin, !fake);
        if (source) files.push({ source, target: `/usr/bin/${bin}` });
      }
    }
  }
  return { driverVersion: driver.version, devices, files };
}

/** NVIDIA_DRIVER_CAPABILITIES as a set; unset means compute and utility, as the toolkit assumes. */
export function capabilities(value: string | undefined): Set<string> {
  if (value === undefined || value.trim() === "") return new Set(["compute", "utility"]);
  const list = value.split(",").map((s) => s.trim().toLowerCase());
  if (list.includes("all"))
    return new Set(["compute", "utility", "graphics", "video", "display", "compat32"]);
  return new Set(list.filter((s) => s !== "none"));
}

function imageRequest(visible: string): GpuRequest {
  return visible === "all"
    ? { kind: "all" }
    : { kind: "devices", ids: visible.split(",").map((s) => s.trim()) };
}

/** The GPU nodes a request keeps, by index; UUIDs cannot be told apart without NVML and keep all. */
function select(gpus: string[], request: GpuRequest): string[] {
  if (request.kind === "all") return gpus;
  if (request.kind === "count") return gpus.slice(0, request.count);
  if (request.ids.some((id) => !/^\d+$/.test(id))) return gpus;
  const ids = new Set(request.ids.map(Number));
  return gpus.filter((g) => ids.has(Number(g.slice(6))));
}

/** The folders driver packages install into, per architecture. */
function driverFolders(arch: string): string[] {
  const t = TRIPLETS[arch] ?? "x86_64-linux-gnu";
  return [
    `/usr/lib/${t}`,
    `/lib/${t}`,
    `/usr/lib/${t}/nvidia/current`, // Debian's nvidia-driver packages
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/nvidia/lib64",
    "/usr/local/nvidia/lib",
  ];
}

/** name in the container → real file on the host, for each wanted library found. */
async function findLibraries(
  root: string,
  arch: string,
  wanted: string[],
  driverVersion: string,
  useLdconfig: boolean,
): Promise<Map<string, string>> {
  const candidates = new Map<string, string[]>();
  const add = (name: string, path: string) => {
    const list = candidates.get(name) ?? [];
    list.push(path);
    candidates.set(name, list);
  };
  if (useLdconfig) {
    for (const [name, path] of await ldconfigEntries(arch)) add(name, path);
  }
  for (const folder of driverFolders(arch)) {
    for (const name of await list(join(root, folder))) add(name, join(root, folder, name));
  }
  const found = new Map<string, string>();
  for (const pattern of wanted) {
    const names = pattern.endsWith("*")
      ? [...candidates.keys()].filter((n) => n.startsWith(pattern.slice(0, -1)) && n.endsWith(driverVersion))
      : [pattern];
    for (const name of names) {
      for (const path of candidates.get(name) ?? []) {
        const real = await realpath(path).catch(() => undefined);
        if (real !== undefined && (await isFile(real))) {
          found.set(name, real);
          break;
        }
      }
    }
  }
  return found;
}

async function ldconfigEntries(arch: string): Promise<[string, string][]> {
  const archPattern = LDCONFIG_ARCH[arch];
  for (const ldconfig of ["/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"]) {
    try {
      const { stdout } = await run(ldconfig, ["-p"], { maxBuffer: 16 << 20 });
      const out: [string, string][] = [];
      for (const line of stdout.split("\n")) {
        const m = /^\s+(\S+) \(([^)]*)\) => (\S+)$/.exec(line);
        if (m && (archPattern === undefined || archPattern.test(m[2]))) out.push([m[1], m[3]]);
      }
      return out;
    } catch {
      // try the next
    }
  }
  return [];
}

async function findProgram(root: string, name: string, usePath: boolean): Promise<string | undefined> {
  const dirs = ["/usr/bin", "/usr/sbin", "/bin", "/usr/local/nvidia/bin"];
  if (usePath) dirs.push(...(process.env.PATH ?? "").split(":").filter(Boolean));
  for (const dir of dirs) {
    const real = await realpath(join(usePath ? "/" : root, dir, name)).catch(() => undefined);
    if (real !== undefined && (await isFile(real))) return real;
  }
  return undefined;
}

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}
