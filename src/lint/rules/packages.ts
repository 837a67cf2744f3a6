// Rules on package managers inside RUN: apt without
// --no-install-recommends or without removing its lists, in-place upgrades,
// and pip keeping its download cache. Each is about what ends up in a layer:
// recommended packages are attack surface nobody asked for; lists and
// caches are tens to hundreds of MB nobody uses at run time.

import { atRun, type Hit, type LintContext, lineage, type Mount, type Rule, type RunStep } from "../rule.ts";
import type { Invocation } from "../shell-script.ts";

const APT = new Set(["apt-get", "apt", "aptitude"]);
// apt-get options that take a value as the next word.
const APT_VALUE_OPTIONS = new Set(["-o", "-c", "-t", "--option", "--config-file", "--target-release"]);

/** apt's subcommand (`install`), skipping its options. */
function aptAction(call: Invocation): string | undefined {
  if (!APT.has(call.name)) return undefined;
  for (let i = 0; i < call.args.length; i++) {
    const a = call.args[i];
    if (APT_VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

function mounted(mounts: readonly Mount[], test: (target: string) => boolean): boolean {
  return mounts.some(
    (m) => (m.type === "cache" || m.type === "tmpfs") && m.target !== undefined && test(m.target),
  );
}

// An apt.conf line written earlier (`APT::Install-Recommends "0"`) turns recommends off for later RUNs.
function recommendsOffBefore(ctx: LintContext, run: RunStep): boolean {
  const stages = new Set(lineage(run.stage));
  return ctx.runs.some(
    (r) =>
      stages.has(r.stage) &&
      r.step.ins.startLine < run.step.ins.startLine &&
      /APT::Install-Recommends\s*"?(0|false)/i.test(r.script),
  );
}

export const aptRecommends: Rule = {
  id: "CS-DF-APT-RECOMMENDS",
  severity: "low",
  title: "apt-get install without --no-install-recommends",
  refs: ["CIS Docker 4.3"],
  fix: "apt-get install -y --no-install-recommends PACKAGE…",
  check: (ctx) =>
    ctx.runs.flatMap((run) => {
      const bad = run.commands.some(({ call }) => {
        if (aptAction(call) !== "install") return false;
        const text = call.args.join(" ");
        return !/--no-install-recommends|APT::Install-Recommends=(0|false)/i.test(text);
      });
      return bad && !recommendsOffBefore(ctx, run)
        ? [
            atRun(
              run,
              "apt-get install without --no-install-recommends also installs every recommended package",
            ),
          ]
        : [];
    }),
};

export const aptLists: Rule = {
  id: "CS-DF-APT-LISTS",
  severity: "low",
  title: "apt lists left in the layer",
  refs: ["CIS Docker 4.7"],
  fix: "end the same RUN with && rm -rf /var/lib/apt/lists/*, or mount a cache on /var/lib/apt (RUN --mount=type=cache,target=/var/lib/apt,sharing=locked)",
  check: (ctx) =>
    ctx.runs.flatMap((run): Hit[] => {
      const actions = new Set(run.commands.map(({ call }) => aptAction(call)));
      if (!actions.has("update") && !actions.has("install")) return [];
      const removed = run.commands.some(
        ({ call }) => call.name === "rm" && call.args.some((a) => a.startsWith("/var/lib/apt/lists")),
      );
      if (removed || mounted(run.mounts, (t) => /^\/var\/lib\/apt(\/lists)?\/?$/.test(t))) return [];
      if (mounted(run.mounts, (t) => /^\/var\/cache\/apt\/?$/.test(t))) {
        // The cache mount keeps the .debs out, but the lists under /var/lib/apt still land in the layer.
        return [
          {
            ...atRun(
              run,
              "a cache mount on /var/cache/apt keeps the .deb files out, but /var/lib/apt/lists stays in the layer",
            ),
            severity: "info",
          },
        ];
      }
      return [
        atRun(
          run,
          actions.has("update")
            ? "apt-get update writes /var/lib/apt/lists (tens of MB) and this RUN does not remove it"
            : "apt-get install runs without removing /var/lib/apt/lists in the same RUN",
        ),
      ];
    }),
};

const UPGRADES: Record<string, ReadonlySet<string>> = {
  "apt-get": new Set(["upgrade", "dist-upgrade", "full-upgrade"]),
  apt: new Set(["upgrade", "dist-upgrade", "full-upgrade"]),
  apk: new Set(["upgrade"]),
  yum: new Set(["update", "upgrade"]),
  dnf: new Set(["update", "upgrade", "distro-sync"]),
  microdnf: new Set(["update", "upgrade"]),
};

export const packageUpgrade: Rule = {
  id: "CS-DF-APT-UPGRADE",
  severity: "low",
  title: "Upgrading every package inside the build",
  refs: ["CIS Docker 4.7"],
  fix: "rebuild on a newer (digest-pinned) base image instead; install the exact versions you need",
  check: (ctx) =>
    ctx.runs.flatMap((run) => {
      const call = run.commands
        .map((c) => c.call)
        .find((c) => {
          const action = APT.has(c.name) ? aptAction(c) : c.args.find((a) => !a.startsWith("-"));
          return action !== undefined && UPGRADES[c.name]?.has(action) === true;
        });
      if (call === undefined) return [];
      return [
        atRun(
          run,
          `${call.name} ${call.args.filter((a) => !a.startsWith("-"))[0]} makes the image depend on the day it was built`,
        ),
      ];
    }),
};

function isPipInstall(call: Invocation): boolean {
  let args = call.args;
  if (/^python[\d.]*$/.test(call.name)) {
    if (args[0] !== "-m" || !/^pip[\d.]*$/.test(args[1] ?? "")) return false;
    args = args.slice(2);
  } else if (call.name === "uv") {
    if (args[0] !== "pip") return false;
    args = args.slice(1);
  } else if (!/^pip[\d.]*$/.test(call.name)) {
    return false;
  }
  return args.find((a) => !a.startsWith("-")) === "install";
}

export const pipCache: Rule = {
  id: "CS-DF-PIP-CACHE",
  severity: "low",
  title: "pip install keeps its cache in the layer",
  refs: [],
  fix: "pip install --no-cache-dir …, or mount a cache: RUN --mount=type=cache,target=/root/.cache/pip pip install …",
  check: (ctx) =>
    ctx.runs.flatMap((run) => {
      const env = run.step.env;
      const bad = run.commands.some(({ call }) => {
        if (!isPipInstall(call)) return false;
        const uv = call.name === "uv";
        const flag = uv ? /^--no-cache$/ : /^--no-cache-dir(=.*)?$/;
        if (call.args.some((a) => flag.test(a))) return false;
        const off = uv ? "UV_NO_CACHE" : "PIP_NO_CACHE_DIR";
        if (call.assignments.has(off) || env.has(off)) return false;
        const dir = (uv ? env.get("UV_CACHE_DIR") : env.get("PIP_CACHE_DIR")) ?? "";
        return !mounted(run.mounts, (t) => /\/\.cache(\/(pip|uv))?\/?$/.test(t) || (dir !== "" && t === dir));
      });
      return bad
        ? [atRun(run, "pip install without --no-cache-dir leaves every downloaded wheel in the layer")]
        : [];
    }),
};
