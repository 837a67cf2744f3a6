// A Compose file with one service for the plan: GPUs reserved through
// deploy.resources.reservations.devices (driver nvidia, capabilities
// [gpu]), a read-only root, no capabilities, no new privileges, the
// numeric user, tmpfs for scratch paths and named volumes for data.

import { stringify } from "yaml";
import type { DeployPlan } from "./plan.ts";
import { dockerCpus, dockerSize } from "./sizes.ts";

type Obj = Record<string, unknown>;

/** tmpfs options: nosuid and nodev; not noexec, which breaks JIT caches (Triton, Inductor) that load what they compile. */
export const TMPFS_OPTIONS = "rw,nosuid,nodev";

/** The Compose document as an object. */
export function composeDocument(plan: DeployPlan): Obj {
  const service: Obj = {
    image: plan.image,
    user: `${plan.uid}:${plan.gid}`,
    read_only: true,
    cap_drop: ["ALL"],
    security_opt: ["no-new-privileges:true"],
  };
  if (plan.shmBytes !== undefined) service.shm_size = dockerSize(plan.shmBytes);
  const scratch = plan.mounts.filter((m) => m.kind === "scratch");
  const persistent = plan.mounts.filter((m) => m.kind === "persistent");
  if (scratch.length) service.tmpfs = scratch.map((m) => `${m.path}:${TMPFS_OPTIONS}`);
  if (persistent.length) service.volumes = persistent.map((m) => `${m.name}:${m.path}`);
  if (Object.keys(plan.env).length) service.environment = { ...plan.env };
  if (plan.ports.length)
    service.ports = plan.ports.map((p) => `${p.port}:${p.port}/${p.protocol.toLowerCase()}`);

  const resources: Obj = {};
  const limits: Obj = {};
  if (plan.milliCpu !== undefined) limits.cpus = dockerCpus(plan.milliCpu);
  if (plan.memoryBytes !== undefined) limits.memory = dockerSize(plan.memoryBytes);
  if (Object.keys(limits).length) resources.limits = limits;
  const device: Obj | undefined =
    "all" in plan.gpus
      ? { driver: "nvidia", count: "all", capabilities: ["gpu"] }
      : "devices" in plan.gpus
        ? { driver: "nvidia", device_ids: plan.gpus.devices, capabilities: ["gpu"] }
        : plan.gpus.count > 0
          ? { driver: "nvidia", count: plan.gpus.count, capabilities: ["gpu"] }
          : undefined;
  if (device) resources.reservations = { devices: [device] };
  if (Object.keys(resources).length) service.deploy = { resources };

  const doc: Obj = { services: { [plan.name]: service } };
  if (persistent.length) doc.volumes = Object.fromEntries(persistent.map((m) => [m.name, {}]));
  return doc;
}

export function composeYaml(plan: DeployPlan): string {
  // Every value quoted: `user: 65532:65532` unquoted is a base-60 number to a YAML 1.1 reader.
  return stringify(composeDocument(plan), {
    lineWidth: 0,
    aliasDuplicateObjects: false,
    defaultStringType: "QUOTE_DOUBLE",
    defaultKeyType: "PLAIN",
  });
}
