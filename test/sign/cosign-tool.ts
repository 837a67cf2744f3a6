// The real cosign, to cross-check cudaseal against: on PATH, or in the
// project's .tools/bin where scripts/install-test-tools.sh unpacks the
// Debian 13 package. Tests skip with this reason when it is not there.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const local = join(import.meta.dirname, "..", "..", ".tools", "bin", "cosign");

/** The cosign binary to run, or undefined. */
export const cosignBin: string | undefined = (() => {
  if (spawnSync("cosign", ["version"], { stdio: "ignore" }).status === 0) return "cosign";
  if (existsSync(local) && spawnSync(local, ["version"], { stdio: "ignore" }).status === 0) return local;
  return undefined;
})();

/** The `skip` option for tests that need cosign. */
export const needsCosign: string | false =
  cosignBin === undefined && !process.env.CUDASEAL_REQUIRE_TOOLS
    ? "cosign is not installed (run npm run setup-test-tools)"
    : false;

export interface CosignResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run cosign with `env` added (COSIGN_PASSWORD…), in `cwd`. */
export function cosign(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): CosignResult {
  if (cosignBin === undefined) throw new Error("cosign is not installed");
  const run = () =>
    spawnSync(cosignBin as string, args, {
      encoding: "utf8",
      cwd: options.cwd,
      // No network is needed for key-based checks without the transparency log.
      env: { ...process.env, COSIGN_YES: "true", ...options.env },
      timeout: 120_000,
    });
  let r = run();
  // cosign (a Go binary) has been seen killed by a signal within a quarter
  // of a second on a loaded machine, before doing anything: run it again
  // then, rather than report a crash of the peer as a verdict on cudaseal.
  for (let retry = 0; r.status === null && r.signal !== "SIGTERM" && retry < 2; retry++) r = run();
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run cosign and return stdout; throws with stderr when it fails. */
export function cosignOk(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): string {
  const r = cosign(args, options);
  if (r.status !== 0) throw new Error(`cosign ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}
