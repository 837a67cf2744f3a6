// A GitHub Actions workflow. Units are grouped into jobs so that `needs:`
// stays exact: units with the same needs and the same dependants (the
// architectures of one spec × variant, typically) share one job with a
// matrix over them, and every other unit is a job of its own. A job then
// waits for exactly the jobs holding the units its units need, because any
// unit that needs one member of a group needs all of them.
//
// Each unit runs the worker image with the runner's Docker, as the runner's
// user, read-only and without capabilities, over a read-only checkout; the
// registry credentials are a secret holding a docker config.json, written
// to a file only the runner's user reads, which Docker also pulls the
// worker image with. The workflow asks for no
// permission beyond reading the repository. The one action used,
// actions/checkout, is pinned by its full commit.

import { type CatalogPlan, type PlanUnit, UNIT_OUTPUT_DIR } from "../catalog/index.ts";
import { shellQuote } from "../deploy/index.ts";
import { CudasealError } from "../errors.ts";
import { catalogFolderInRepo, inCheckout } from "./catalog-dir.ts";
import type { ResolvedEmitOptions } from "./options.ts";

type Obj = Record<string, unknown>;

/** actions/checkout v7.0.1, by commit: a tag can be moved, a commit cannot. */
export const CHECKOUT_ACTION = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1";

const CONFIG_DIR = "$RUNNER_TEMP/cudaseal-docker";
const CACHE_DIR = "$RUNNER_TEMP/cudaseal-cache";

/** A GitHub expression, `${{ … }}`, evaluated by the runner. */
function expr(e: string): string {
  return `\${{ ${e} }}`;
}

interface Group {
  id: string;
  units: PlanUnit[];
}

function groupUnits(units: PlanUnit[]): Group[] {
  const dependants = new Map<string, string[]>();
  for (const u of units) for (const n of u.needs) dependants.set(n, [...(dependants.get(n) ?? []), u.id]);
  const byShape = new Map<string, PlanUnit[]>();
  for (const u of units) {
    const shape = `${[...u.needs].sort().join(",")}|${(dependants.get(u.id) ?? []).sort().join(",")}`;
    byShape.set(shape, [...(byShape.get(shape) ?? []), u]);
  }
  const taken = new Set<string>();
  const groups: Group[] = [];
  // Units are in plan order (level, then id), so groups come out in that order too.
  for (const u of units) {
    const members = byShape.get(
      `${[...u.needs].sort().join(",")}|${(dependants.get(u.id) ?? []).sort().join(",")}`,
    );
    if (!members || members[0] !== u) continue;
    let id = jobId(members);
    for (let n = 2; taken.has(id); n++) id = `${jobId(members)}-${n}`;
    taken.add(id);
    groups.push({ id, units: members });
  }
  return groups;
}

/**
 * A job id: the unit's id, or for a group the ids' common prefix up to a
 * dash and `-matrix` (the index unit of the same variant often has the
 * prefix as its own id); ids may not start with a digit.
 */
function jobId(members: PlanUnit[]): string {
  let id = members[0].id;
  if (members.length > 1) {
    let prefix = id;
    for (const m of members) while (!m.id.startsWith(prefix)) prefix = prefix.slice(0, -1);
    prefix = prefix.slice(0, prefix.lastIndexOf("-") + 1).replace(/-+$/, "");
    id = prefix ? `${prefix}-matrix` : "matrix";
  }
  return /^[a-z_]/i.test(id) ? id : `u-${id}`;
}

function runStep(plan: CatalogPlan): string {
  // The catalog's folder holds only [A-Za-z0-9._/-] (catalog-dir.ts), safe inside double quotes.
  const folder = catalogFolderInRepo(plan);
  const outInRepo = folder ? `${folder}/${UNIT_OUTPUT_DIR}` : UNIT_OUTPUT_DIR;
  return [
    "set -eu",
    // The unit's arguments, quoted for sh when the workflow was written.
    'eval "set -- $UNIT_ARGS"',
    // The checkout is mounted read-only; the units' output folder is the one writable place in it.
    `mkdir -p "${CACHE_DIR}" "$GITHUB_WORKSPACE/${outInRepo}"`,
    // Docker pulls the worker image with the same credentials, as the workflow logs in nowhere else.
    `DOCKER_CONFIG="${CONFIG_DIR}" docker run --rm --read-only --cap-drop ALL --security-opt no-new-privileges \\`,
    '  --user "$(id -u):$(id -g)" --tmpfs /tmp:rw,nosuid,nodev \\',
    `  -e HOME=/tmp -e CUDASEAL_CACHE_DIR=/cache -e DOCKER_CONFIG=/docker-config \\`,
    `  -v "${CACHE_DIR}:/cache" -v "${CONFIG_DIR}:/docker-config:ro" \\`,
    `  -v "$GITHUB_WORKSPACE:/src:ro" -v "$GITHUB_WORKSPACE/${outInRepo}:${inCheckout("/src", plan)}/${UNIT_OUTPUT_DIR}" \\`,
    `  -w ${shellQuote(inCheckout("/src", plan))} \\`,
    '  --entrypoint cudaseal "$CUDASEAL_IMAGE" "$@"',
    "",
  ].join("\n");
}

function job(group: Group, jobOf: Map<string, string>, plan: CatalogPlan, options: ResolvedEmitOptions): Obj {
  const matrix = group.units.length > 1;
  const needs = [...new Set(group.units[0].needs.map((n) => jobOf.get(n) ?? n))].sort();
  const j: Obj = { name: matrix ? expr("matrix.unit") : group.units[0].id, "runs-on": options.runsOn };
  if (needs.length) j.needs = needs;
  j["timeout-minutes"] = 360;
  if (matrix) {
    const strategy: Obj = {
      "fail-fast": false,
      matrix: { include: group.units.map((u) => ({ unit: u.id, args: u.args.map(shellQuote).join(" ") })) },
    };
    if (options.parallelism !== undefined) strategy["max-parallel"] = options.parallelism;
    j.strategy = strategy;
  }
  const args = matrix ? expr("matrix.args") : group.units[0].args.map(shellQuote).join(" ");
  j.steps = [
    { uses: CHECKOUT_ACTION, with: { "persist-credentials": false } },
    {
      name: "Registry credentials",
      env: { DOCKER_CONFIG_JSON: expr(`secrets.${options.registrySecret}`) },
      run: `umask 077\nmkdir -p "${CONFIG_DIR}"\nprintf '%s' "$DOCKER_CONFIG_JSON" > "${CONFIG_DIR}/config.json"\n`,
    },
    {
      name: matrix ? `cudaseal ${expr("matrix.unit")}` : `cudaseal ${group.units[0].id}`,
      env: { UNIT_ARGS: args },
      run: runStep(plan),
    },
  ];
  return j;
}

/**
 * GitHub evaluates `${{ … }}` in env and matrix values before the shell sees
 * them, so an argument holding one (from a spec path or cache repository in
 * the catalog) would put whatever it expands to into the eval'd arguments.
 */
function refuseExpressions(units: readonly PlanUnit[]): void {
  for (const unit of units) {
    const arg = unit.args.find((a) => a.includes("${{"));
    if (arg !== undefined)
      throw new CudasealError(
        "CATALOG_INVALID",
        `unit ${unit.id}: argument ${JSON.stringify(arg)} holds a GitHub expression`,
        {
          hint: "catalog paths and repositories cannot hold '${{'; rename what the catalog names",
          details: { unit: unit.id, arg },
        },
      );
  }
}

/** The workflow, one document. */
export function githubActionsDocuments(
  plan: CatalogPlan,
  units: PlanUnit[],
  options: ResolvedEmitOptions,
): Obj[] {
  refuseExpressions(units);
  const groups = groupUnits(units);
  const jobOf = new Map<string, string>();
  for (const g of groups) for (const u of g.units) jobOf.set(u.id, g.id);
  const jobs: Obj = {};
  for (const g of groups) jobs[g.id] = job(g, jobOf, plan, options);
  return [
    {
      name: options.name,
      on: { schedule: [{ cron: options.schedule }], workflow_dispatch: {} },
      permissions: { contents: "read" },
      // One catalog run at a time: a second would race the first for the same tags.
      concurrency: { group: options.name, "cancel-in-progress": false },
      env: { CUDASEAL_IMAGE: options.image },
      jobs,
    },
  ];
}
