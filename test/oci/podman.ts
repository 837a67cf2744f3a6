// podman in a throwaway store, so tests never touch the machine's images:
// vfs storage (works without overlay or fuse) under a temporary root. Every
// state folder podman would share with other podmans is moved under it too:
// with the default libpod tmpdir, one test's `system reset` removed the
// runtime files another test's podman was about to use.

import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export interface Podman {
  /** Run podman with the throwaway store; throws with stderr on failure. */
  run(args: string[]): string;
  /** Delete the store; rootless podman leaves files the test process itself cannot remove. */
  reset(): void;
}

/** A podman bound to a store under `dir`, or a reason it cannot run here (for `skip`). */
export function throwawayPodman(dir: string): Podman | string {
  const store = join(dir, "podman");
  mkdirSync(join(store, "tmp"), { recursive: true });
  const base = [
    "--root",
    join(store, "root"),
    "--runroot",
    join(store, "run"),
    "--tmpdir",
    join(store, "libpod"),
    "--volumepath",
    join(store, "volumes"),
    "--network-config-dir",
    join(store, "networks"),
    "--storage-driver",
    "vfs",
    "--events-backend",
    "none",
  ];
  const env = { ...process.env, TMPDIR: join(store, "tmp") };
  const exec = (args: string[]) =>
    spawnSync("podman", [...base, ...args], { encoding: "utf8", env, maxBuffer: 64 << 20 });
  const probe = exec(["images"]);
  if (probe.error !== undefined) return "podman is not installed (npm run setup-test-tools)";
  if (probe.status !== 0)
    return `podman cannot run in this sandbox: ${probe.stderr.trim().split("\n").at(-1)}`;
  return {
    run(args) {
      const r = exec(args);
      if (r.status !== 0) throw new Error(`podman ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
      return r.stdout;
    },
    reset() {
      exec(["system", "reset", "--force"]);
    },
  };
}
