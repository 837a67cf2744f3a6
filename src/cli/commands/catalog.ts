// `cudaseal catalog SUBCOMMAND`: a catalog of images planned, run here, or
// handed to an engine. Each subcommand is an entry of SUBCOMMANDS, with its
// own file, help section and flags; the command's flags are their union, so
// each subcommand refuses the flags that are only another's.

import { CudasealError } from "../../errors.ts";
import { COMMON_FLAGS, type Command, type Flags, type FlagValues } from "../command.ts";
import type { Output } from "../output.ts";
import { catalogEmit } from "./catalog-emit.ts";
import { catalogJoin } from "./catalog-join.ts";
import { catalogPlan } from "./catalog-plan.ts";
import { catalogRun } from "./catalog-run.ts";

/** One subcommand: its help section (usage, what it does, its options) and its run. */
export interface Subcommand {
  name: string;
  help: string;
  flags: Flags;
  run(positionals: string[], flags: FlagValues, out: Output): Promise<number | undefined>;
}

/** Every subcommand, in the order the help lists them. */
const SUBCOMMANDS: readonly Subcommand[] = [catalogPlan, catalogRun, catalogEmit, catalogJoin];

export const catalogCommand: Command = {
  name: "catalog",
  help: `Usage: cudaseal catalog plan|run|emit|join … [options]

A catalog (catalog.yaml, schema/catalog.schema.json) lists the images a team
builds: each a spec or preset with its architectures, variants (cuda:
["12.4", "12.8"]), tags ("{cuda}-runtime") and repository. Its plan is a
DAG of units: one build per image × variant × architecture, one index per
image × variant joining them, and an edge where a spec copies from another
image of the catalog (contents: image:). Each unit has a key over its inputs
and records it on what it pushes, so a unit whose key the registry holds is
done. See docs/fleet.md.

${SUBCOMMANDS.map((s) => s.help).join("\n\n")}

Examples:
  cudaseal catalog plan catalog.yaml                  # which units are done
  cudaseal catalog plan catalog.yaml --offline -o plan.json
  cudaseal catalog run catalog.yaml --jobs 2          # build what is not done, here
  cudaseal catalog emit fleet/catalog.yaml --engine argo --image registry.example/team/cudaseal:0.1.0 \\
    --git-repo https://git.example/team/images.git --git-revision "$(git rev-parse HEAD)" -o catalog-argo.yaml
  cudaseal catalog emit fleet/catalog.yaml --engine github-actions --image registry.example/team/cudaseal:0.1.0 \\
    -o .github/workflows/cudaseal-catalog.yml`,
  flags: Object.assign({}, ...SUBCOMMANDS.map((s) => s.flags)),
  async run(positionals, flags, out) {
    const [name, ...rest] = positionals;
    const sub = SUBCOMMANDS.find((s) => s.name === name);
    if (sub === undefined)
      throw new CudasealError(
        "USAGE",
        name === undefined ? "catalog needs a subcommand" : `no catalog subcommand ${name}`,
        {
          hint: `use one of ${SUBCOMMANDS.map((s) => s.name).join(", ")} (cudaseal catalog --help)`,
        },
      );
    const foreign = Object.keys(flags).find((f) => !(f in COMMON_FLAGS) && !(f in sub.flags));
    if (foreign !== undefined)
      throw new CudasealError("USAGE", `catalog ${sub.name} takes no --${foreign}`, {
        hint: `cudaseal catalog --help lists what each subcommand takes`,
      });
    return sub.run(rest, flags, out);
  },
};
