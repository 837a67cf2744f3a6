// The NVIDIA driver and its device nodes: the driver's version as src/host
// probes it, and the /dev/nvidia* nodes a container runtime passes through.

import type { DriverFacts, Host } from "../host/index.ts";
import { driverCudaVersion } from "../image/cuda-compat.ts";
import { type Check, check } from "./check.ts";

const INSTALL_DRIVER =
  "install the NVIDIA data center driver for this distribution and load it (modprobe nvidia); see docs/doctor.md";

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
