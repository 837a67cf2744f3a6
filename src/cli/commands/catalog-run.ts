// `cudaseal catalog run`: the plan, run on this machine. Each unit is the
// cudaseal command an engine's worker would run (its args), started as a
// child process in the catalog's folder; the library orders them.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type PlanUnit, runPlan } from "../../catalog/index.ts";
import { CudasealError } from "../../errors.ts";
import { listFlag, stringFlag } from "../command.ts";
import type { Subcommand } from "./catalog.ts";
import { PLAN_FLAGS, PLAN_FLAGS_HELP, planFrom } from "./catalog-plan.ts";

const BIN = fileURLToPath(new URL("../../../bin/cudaseal.js", import.meta.url));
/** The end of a failed unit's stderr kept for its error. */
const MAX_STDERR_TAIL = 16 * 1024;

export const catalogRun: Subcommand = {
  name: "run",
  help: `cudaseal catalog run CATALOG.yaml [--jobs N] [--offline] [--json]
  Plans the catalog and runs every unit that is not done, here, at most N at
  once (default 2), each after its needs: the same cudaseal commands an
  engine's workers run, in the catalog's folder (build units write their
  layout under out/ there before pushing). A failed unit stops the units that
  need it and the run ends with CATALOG_UNIT_FAILED; the others finish, and a
  second run skips what is done.
  --jobs N                units at once (default 2)
  --cache-dir DIR         the download cache of every build (CUDASEAL_CACHE_DIR)
${PLAN_FLAGS_HELP}`,
  flags: { jobs: { type: "string", short: "j" }, "cache-dir": { type: "string" }, ...PLAN_FLAGS },
  async run(positionals, flags, out) {
    if (positionals.length > 1) throw new CudasealError("USAGE", "catalog run takes one catalog file");
    const jobsText = stringFlag(flags, "jobs") ?? "2";
    const jobs = Number(jobsText);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
      throw new CudasealError("USAGE", `--jobs takes 1..64, not ${jobsText}`);
    const { plan, dir } = await planFrom(positionals[0], flags);
    const todo = plan.units.filter((u) => !u.done).length;
    out.note(`${plan.units.length} units: ${plan.units.length - todo} done, ${todo} to run, ${jobs} at once`);
    const extra = (listFlag(flags, "insecure") ?? []).flatMap((h) => ["--insecure", h]);
    const cacheDir = stringFlag(flags, "cache-dir");
    const env = cacheDir === undefined ? process.env : { ...process.env, CUDASEAL_CACHE_DIR: cacheDir };
    let finished = 0;
    const summary = await runPlan(plan, {
      jobs,
      execute: (unit) => runUnit(unit, [...unit.args, ...extra], dir, env),
      onEvent: (e) => {
        if (e.kind === "start") out.note(`start ${e.unit.id}`);
        else {
          finished++;
          const { outcome } = e;
          const time = outcome.ms === undefined ? "" : ` in ${(outcome.ms / 1000).toFixed(1)} s`;
          const why =
            outcome.status === "blocked"
              ? ` (needs ${outcome.blockedBy}, which failed)`
              : outcome.status === "failed"
                ? `: ${outcome.error}`
                : "";
          out.note(`[${finished}/${todo}] ${outcome.status} ${outcome.id}${time}${why}`);
        }
      },
    });
    if (out.json) out.jsonData(summary);
    else out.data(`ran ${summary.ran} units; ${summary.done} were done already`);
    return 0;
  },
};

/** Run `cudaseal ARGS` in `cwd`; a non-zero exit rejects with the end of its stderr. */
function runUnit(unit: PlanUnit, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let tail = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      tail = (tail + chunk).slice(-MAX_STDERR_TAIL);
    });
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (code === 0) return resolve();
      const lines = tail.trim().split("\n");
      const errors = lines.filter((l) => /^(error|warning| {2}hint)/.test(l));
      const last = (errors.length > 0 ? errors : lines.slice(-3)).join(" ").trim();
      reject(
        new Error(`cudaseal ${args[0]} exited ${signal ?? code}${last ? `: ${last}` : ""} (unit ${unit.id})`),
      );
    });
  });
}
