// The NVIDIA driver and its device nodes: the kernel module's version from
// /proc/driver/nvidia/version (nvidia-smi when /proc does not say), and the
// /dev/nvidia* nodes a container runtime passes through.

import { driverCudaVersion } from "../image/cuda-compat.ts";
import { type Check, check } from "./check.ts";
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
const INSTALL_DRIVER =
  "install the NVIDIA data center driver for this distribution and load it (modprobe nvidia); see docs/doctor.md";

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

/** The driver check: present, which version, which CUDA it reports. */
export function driverCheck(d: DriverFacts): Check {
  if (!d.version) {
    const why = d.smiError ? `; ${d.smiError}` : "";
    return check(
      "driver",
      "fail",
      `no NVIDIA driver found: /proc/driver/nvidia/version is missing${why}`,
      INSTALL_DRIVER,
    );
  }
  const cuda = driverCudaVersion(d.version);
  const gpus = d.gpus.length
    ? `; ${d.gpus.length} GPU${d.gpus.length > 1 ? "s" : ""}: ${d.gpus.join(", ")}`
    : "";
  const cudaText = cuda ? ` (CUDA ${cuda})` : " (older than CUDA 10)";
  return check("driver", "ok", `NVIDIA driver ${d.version}${cudaText}, from ${d.source}${gpus}`);
}

/** The device nodes: one per GPU, the control node, UVM (CUDA's memory manager), and MIG caps. */
export function deviceNodesCheck(host: Host): Check {
  const gpus = host.list("/dev").filter((n) => /^nvidia\d+$/.test(n));
  const ctl = host.exists("/dev/nvidiactl");
  const uvm = host.exists("/dev/nvidia-uvm");
  const caps = host.isDirectory("/dev/nvidia-caps");
  const found = [...gpus.map((g) => `/dev/${g}`), ctl ? "/dev/nvidiactl" : "", uvm ? "/dev/nvidia-uvm" : ""]
    .filter(Boolean)
    .join(", ");
  const capsNote = caps ? "; /dev/nvidia-caps present (MIG)" : "; no /dev/nvidia-caps (needed only for MIG)";
  if (gpus.length === 0 || !ctl) {
    const missing = [gpus.length === 0 ? "/dev/nvidia0…" : "", ctl ? "" : "/dev/nvidiactl"].filter(Boolean);
    return check(
      "device-nodes",
      "fail",
      `missing ${missing.join(" and ")}${found ? ` (found ${found})` : ""}`,
      "load the driver (modprobe nvidia) and create the nodes: run nvidia-smi once as root, or nvidia-modprobe -c 0",
    );
  }
  if (!uvm) {
    return check(
      "device-nodes",
      "warn",
      `${found}; /dev/nvidia-uvm is missing, and CUDA cannot allocate memory without it${capsNote}`,
      "load the UVM module: nvidia-modprobe -u -c 0 (or modprobe nvidia-uvm)",
    );
  }
  return check("device-nodes", "ok", `${found}${capsNote}`);
}
