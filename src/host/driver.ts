// The NVIDIA driver the host runs, as far as the host says: the kernel
// module's version from /proc/driver/nvidia/version (nvidia-smi when /proc
// does not say) and the GPUs nvidia-smi names. `cudaseal doctor` checks it;
// `cudaseal run --gpus` binds the libraries of that version.

import type { Host } from "./host.ts";

/** What the host's driver is, as far as it could be found. */
export interface DriverFacts {
  version?: string;
  source?: "/proc/driver/nvidia/version" | "nvidia-smi";
  /** GPU names from nvidia-smi, one per GPU. */
  gpus: string[];
  /** Why nvidia-smi gave nothing, when it was tried. */
  smiError?: string;
}

// "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 …" and the open module's
// "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.86.15  Release Build …".
const NVRM = /^NVRM version:.*?\s(\d+\.\d+(?:\.\d+)?)\s/m;

/** Find the driver version and GPUs. */
export async function probeDriver(host: Host): Promise<DriverFacts> {
  const facts: DriverFacts = { gpus: [] };
  const proc = host.read("/proc/driver/nvidia/version");
  const fromProc = proc === undefined ? undefined : NVRM.exec(proc)?.[1];
  if (fromProc) {
    facts.version = fromProc;
    facts.source = "/proc/driver/nvidia/version";
  }
  const smi = host.which("nvidia-smi");
  if (!smi) {
    facts.smiError = "nvidia-smi is not on PATH";
    return facts;
  }
  const r = await host.run(smi, ["--query-gpu=driver_version,name", "--format=csv,noheader"]);
  if (!r.ok) {
    facts.smiError = (r.stdout.trim() || r.stderr.trim() || "nvidia-smi failed").split("\n")[0];
    return facts;
  }
  for (const line of r.stdout.split("\n")) {
    const [version, ...name] = line.split(",").map((s) => s.trim());
    if (!version || !/^\d+\.\d+(?:\.\d+)?$/.test(version)) continue;
    if (!facts.version) {
      facts.version = version;
      facts.source = "nvidia-smi";
    }
    facts.gpus.push(name.join(",") || "unknown GPU");
  }
  return facts;
}
