// One `docker run` line for the plan, every argument its own token, quoted
// for a POSIX shell only where it has to be.

import { TMPFS_OPTIONS } from "./compose.ts";
import type { DeployPlan } from "./plan.ts";
import { dockerCpus, dockerSize } from "./sizes.ts";

/** The arguments after `docker`. */
export function dockerRunArgs(plan: DeployPlan): string[] {
  const args = ["run", "--rm", "--name", plan.name];
  if ("all" in plan.gpus) args.push("--gpus", "all");
  // docker parses --gpus as CSV: a device list must be quoted inside the value.
  else if ("devices" in plan.gpus) args.push("--gpus", `"device=${plan.gpus.devices.join(",")}"`);
  else if (plan.gpus.count > 0) args.push("--gpus", String(plan.gpus.count));
  if (plan.runtimeClass) args.push("--runtime", plan.runtimeClass);
  args.push(
    "--read-only",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    "--user",
    `${plan.uid}:${plan.gid}`,
  );
  if (plan.shmBytes !== undefined) args.push("--shm-size", dockerSize(plan.shmBytes));
  if (plan.memoryBytes !== undefined) args.push("--memory", dockerSize(plan.memoryBytes));
  if (plan.milliCpu !== undefined) args.push("--cpus", dockerCpus(plan.milliCpu));
  for (const m of plan.mounts) {
    if (m.kind === "scratch") args.push("--tmpfs", `${m.path}:${TMPFS_OPTIONS}`);
    else args.push("-v", `${plan.name}-${m.name}:${m.path}`);
  }
  for (const [k, v] of Object.entries(plan.env)) args.push("-e", `${k}=${v}`);
  for (const p of plan.ports) args.push("-p", `${p.port}:${p.port}/${p.protocol.toLowerCase()}`);
  args.push(plan.image);
  return args;
}

/** Quote a word for sh: as is when safe, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The whole command line. */
export function dockerRunLine(plan: DeployPlan): string {
  return ["docker", ...dockerRunArgs(plan)].map(shellQuote).join(" ");
}
