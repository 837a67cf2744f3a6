// The NVIDIA Container Toolkit and the container engines it plugs into:
// installed (its programs on PATH), and configured for Docker
// (daemon.json), containerd (config.toml), CRI-O (a crio.conf.d drop-in),
// or through CDI specs that name the GPUs and the driver's files.

import type { Host } from "../host/index.ts";
import { type Check, check } from "./check.ts";

const TOOLKIT_PROGRAMS = [
  "nvidia-ctk",
  "nvidia-container-toolkit",
  "nvidia-container-runtime-hook",
  "nvidia-container-runtime",
  "nvidia-container-cli",
];

/** The toolkit's programs found on PATH. */
export function toolkitCheck(host: Host): Check {
  const found = TOOLKIT_PROGRAMS.map((p) => host.which(p)).filter((p): p is string => p !== undefined);
  if (found.length === 0) {
    return check(
      "container-toolkit",
      "fail",
      `the NVIDIA Container Toolkit is not installed: none of ${TOOLKIT_PROGRAMS.join(", ")} is on PATH`,
      "install the nvidia-container-toolkit package from NVIDIA's repository, then run nvidia-ctk runtime configure for your engine",
    );
  }
  return check("container-toolkit", "ok", `found ${found.join(", ")}`);
}

/** Docker: the nvidia runtime or CDI enabled in /etc/docker/daemon.json. */
export function dockerCheck(host: Host): Check {
  const fix = "sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker";
  const text = host.read("/etc/docker/daemon.json");
  if (text === undefined) {
    if (!host.which("docker") && !host.isDirectory("/etc/docker")) {
      return check("docker", "skip", "Docker is not installed");
    }
    return check(
      "docker",
      "warn",
      "/etc/docker/daemon.json is missing: docker run --gpus works only through the toolkit's hook, and --runtime=nvidia and CDI devices not at all",
      fix,
    );
  }
  let config: Record<string, unknown>;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new Error("not an object");
    config = parsed as Record<string, unknown>;
  } catch (err) {
    return check(
      "docker",
      "fail",
      `/etc/docker/daemon.json is not valid JSON (${(err as Error).message}): dockerd will not start`,
      "fix the file by hand, then run: " + fix,
    );
  }
  const runtimes = (config.runtimes ?? {}) as Record<string, unknown>;
  const nvidia = runtimes.nvidia as { path?: unknown } | undefined;
  const cdi = (config.features as Record<string, unknown> | undefined)?.cdi === true;
  const parts: string[] = [];
  if (nvidia) parts.push(`runtime nvidia → ${typeof nvidia.path === "string" ? nvidia.path : "?"}`);
  if (config["default-runtime"] === "nvidia") parts.push("the default runtime");
  if (cdi) parts.push("CDI enabled");
  if (parts.length === 0) {
    return check(
      "docker",
      "warn",
      "/etc/docker/daemon.json names no nvidia runtime and does not enable CDI",
      fix,
    );
  }
  return check("docker", "ok", parts.join("; "));
}

/** containerd: an nvidia runtime in config.toml or a conf.d drop-in (the GPU Operator's and nvidia-ctk's). */
export function containerdCheck(host: Host): Check {
  const files = [
    "/etc/containerd/config.toml",
    ...host.list("/etc/containerd/conf.d").map((f) => `/etc/containerd/conf.d/${f}`),
  ];
  const present = files.filter((f) => host.read(f) !== undefined);
  if (present.length === 0)
    return check("containerd", "skip", "no containerd configuration in /etc/containerd");
  const configured = present.filter((f) =>
    /runtimes\.["']?nvidia["']?\]|nvidia-container-runtime/.test(host.read(f) ?? ""),
  );
  if (configured.length === 0) {
    return check(
      "containerd",
      "warn",
      `${present.join(", ")} define no nvidia runtime`,
      "sudo nvidia-ctk runtime configure --runtime=containerd && sudo systemctl restart containerd",
    );
  }
  return check("containerd", "ok", `nvidia runtime in ${configured.join(", ")}`);
}

/** CRI-O: a drop-in naming the nvidia runtime. */
export function crioCheck(host: Host): Check {
  if (!host.isDirectory("/etc/crio")) return check("cri-o", "skip", "CRI-O is not installed (no /etc/crio)");
  const dropIns = host.list("/etc/crio/crio.conf.d").filter((f) => f.includes("nvidia"));
  if (dropIns.length > 0)
    return check("cri-o", "ok", `drop-in ${dropIns.map((f) => `/etc/crio/crio.conf.d/${f}`).join(", ")}`);
  if (/crio\.runtime\.runtimes\.nvidia/.test(host.read("/etc/crio/crio.conf") ?? "")) {
    return check("cri-o", "ok", "nvidia runtime in /etc/crio/crio.conf");
  }
  return check(
    "cri-o",
    "warn",
    "no nvidia runtime in /etc/crio/crio.conf or /etc/crio/crio.conf.d",
    "sudo nvidia-ctk runtime configure --runtime=crio && sudo systemctl restart crio",
  );
}

const CDI_DIRS = ["/etc/cdi", "/var/run/cdi"];

/** CDI specs naming nvidia.com/gpu devices, and whether they were made for the driver now loaded. */
export function cdiCheck(host: Host, driverVersion: string | undefined): Check {
  const fix = "sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml (again after every driver upgrade)";
  const specs = CDI_DIRS.flatMap((d) =>
    host
      .list(d)
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .map((f) => `${d}/${f}`),
  );
  const nvidia = specs.filter((f) => /nvidia\.com\/gpu/.test(host.read(f) ?? ""));
  if (nvidia.length === 0) {
    const seen = specs.length ? ` (${specs.length} other spec${specs.length > 1 ? "s" : ""})` : "";
    return check("cdi", "warn", `no CDI spec for nvidia.com/gpu in ${CDI_DIRS.join(" or ")}${seen}`, fix);
  }
  // A spec names the driver's libraries by version; after a driver upgrade it points at files that are gone.
  const stale = driverVersion
    ? nvidia.filter((f) => {
        const versions = [...(host.read(f) ?? "").matchAll(/libcuda\.so\.(\d+\.\d+(?:\.\d+)?)/g)].map(
          (m) => m[1],
        );
        return versions.length > 0 && !versions.includes(driverVersion);
      })
    : [];
  if (stale.length > 0) {
    return check(
      "cdi",
      "warn",
      `${stale.join(", ")} name${stale.length === 1 ? "s" : ""} another driver than ${driverVersion}`,
      fix,
    );
  }
  return check("cdi", "ok", nvidia.join(", "));
}
