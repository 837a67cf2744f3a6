// Rules on package managers inside RUN: apt without
// --no-install-recommends or without removing its lists, in-place upgrades,
// and pip keeping its download cache. Each is about what ends up in a layer:
// recommended packages are attack surface nobody asked for; lists and
// caches are tens to hundreds of MB nobody uses at run time.

import {
  atRun,
  type Hit,
  type LintContext,
  lineage,
  type Mount,
  type Rule,
  type RunStep,
  reachesFinal,
} from "../rule.ts";
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

// Debian's and Ubuntu's images delete downloaded .debs through /etc/apt/apt.conf.d/docker-clean; a
// Dockerfile that removes it (to use a cache mount) keeps them unless /var/cache/apt is mounted too.
function debsKept(ctx: LintContext, run: RunStep): boolean {
  const stages = new Set(lineage(run.stage));
  const cleanRemoved = ctx.runs.some(
    (r) =>
      stages.has(r.stage) &&
      r.step.ins.startLine <= run.step.ins.startLine &&
      r.commands.some(
        ({ call }) => call.name === "rm" && call.args.some((a) => a.endsWith("apt.conf.d/docker-clean")),
      ),
  );
  if (!cleanRemoved || mounted(run.mounts, (t) => /^\/var\/cache\/apt(\/archives)?\/?$/.test(t)))
    return false;
  return !run.commands.some(
    ({ call }) =>
      (APT.has(call.name) && aptAction(call) === "clean") ||
      (call.name === "rm" && call.args.some((a) => a.startsWith("/var/cache/apt"))),
  );
}

export const aptLists: Rule = {
  id: "CS-DF-APT-LISTS",
  severity: "low",
  title: "apt lists left in the layer",
  refs: ["CIS Docker 4.7"],
  fix: "end the same RUN with && rm -rf /var/lib/apt/lists/*, or mount a cache on /var/lib/apt (RUN --mount=type=cache,target=/var/lib/apt,sharing=locked)",
  check: (ctx) =>
    ctx.runs.flatMap((run): Hit[] => {
      // A build stage's lists stay in that stage; COPY --from takes only the files it names.
      if (!run.onbuild && !reachesFinal(ctx, run.stage)) return [];
      const actions = new Set(run.commands.map(({ call }) => aptAction(call)));
      if (!actions.has("update") && !actions.has("install")) return [];
      const removed = run.commands.some(
        ({ call }) => call.name === "rm" && call.args.some((a) => a.startsWith("/var/lib/apt/lists")),
      );
      if (removed || mounted(run.mounts, (t) => /^\/var\/lib\/apt(\/lists)?\/?$/.test(t))) {
        return debsKept(ctx, run)
          ? [
              {
                ...atRun(
                  run,
                  "docker-clean is removed, so apt keeps every .deb it downloads in /var/cache/apt, in this layer",
                ),
                fix: "mount a cache on /var/cache/apt too (RUN --mount=type=cache,target=/var/cache/apt,sharing=locked), or run apt-get clean in the same RUN",
              },
            ]
          : [];
      }
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

// `python`, `python3`, `python3.11`, `python${PYTHON_VERSION}`: an interpreter name, versions and variables allowed.
const PYTHON = /^python(\d[\d.]*|\$\{?[A-Za-z_]\w*\}?)*$/;
const PIP = /^pip(\d[\d.]*)?$/;

/** Which installer a command runs to install Python packages: pip (any spelling) or `uv pip`. */
function pythonInstaller(call: Invocation): "pip" | "uv" | undefined {
  let args = call.args;
  let tool: "pip" | "uv";
  if (PYTHON.test(call.name)) {
    // `python -m pip`, `python -mpip`, `python3 -I -m pip`
    const m = args.findIndex((a) => a === "-m" || a.startsWith("-m"));
    if (m < 0 || args.slice(0, m).some((a) => !a.startsWith("-"))) return undefined;
    const mod = args[m] === "-m" ? args[m + 1] : args[m].slice(2);
    if (mod === undefined || !PIP.test(mod)) return undefined;
    args = args.slice(args[m] === "-m" ? m + 2 : m + 1);
    tool = "pip";
  } else if (call.name === "uv") {
    if (args[0] !== "pip") return undefined;
    args = args.slice(1);
    tool = "uv";
  } else if (PIP.test(call.name)) {
    tool = "pip";
  } else {
    return undefined;
  }
  return args.find((a) => !a.startsWith("-")) === "install" ? tool : undefined;
}

// uv reads UV_NO_CACHE as a boolean: 0/off/no/false keep the cache.
const TRUTHY = /^(1|true|yes|on)$/i;
// pip turns its cache off for any valid boolean in PIP_NO_CACHE_DIR, false ones too (pip's
// `_handle_no_cache_dir` keeps that for compatibility); anything else stops pip with an error.
// hadolint's DL3042 reads 0/off/no/false as keeping the cache, which pip does not do.
const PIP_BOOLEAN = /^(y|yes|t|true|on|1|n|no|f|false|off|0)$/i;

interface Tool {
  /** The option that turns the cache off. */
  flag: RegExp;
  /** The environment variable that turns it off. */
  off: string;
  /** The values of `off` that turn the cache off. */
  offValues: RegExp;
  /** The environment variable that moves the cache. */
  dir: string;
  /** Where the cache lives by default (a cache mount there keeps it out of the layer). */
  cache: RegExp;
  message: string;
  fix: string;
}

const TOOLS: Record<"pip" | "uv", Tool> = {
  pip: {
    flag: /^--no-cache-dir(=.*)?$/,
    off: "PIP_NO_CACHE_DIR",
    offValues: PIP_BOOLEAN,
    dir: "PIP_CACHE_DIR",
    cache: /\/\.cache(\/pip)?\/?$/,
    message:
      "pip install without --no-cache-dir leaves every downloaded wheel in /root/.cache/pip, in the layer",
    fix: "pip install --no-cache-dir …, or mount a cache: RUN --mount=type=cache,target=/root/.cache/pip pip install …",
  },
  uv: {
    flag: /^(--no-cache|-n)$/,
    off: "UV_NO_CACHE",
    offValues: TRUTHY,
    dir: "UV_CACHE_DIR",
    cache: /\/\.cache(\/uv)?\/?$/,
    message:
      "uv pip install without --no-cache leaves every downloaded wheel in /root/.cache/uv, in the layer",
    fix: "uv pip install --no-cache …, ENV UV_NO_CACHE=1, or mount a cache: RUN --mount=type=cache,target=/root/.cache/uv uv pip install …",
  },
};

// Whether one install keeps its cache in the layer, given what the RUN exported before it.
function keepsCache(
  run: RunStep,
  call: Invocation,
  tool: Tool,
  exported: ReadonlyMap<string, string>,
): boolean {
  if (call.args.some((a) => tool.flag.test(a))) return false;
  const off = call.assignments.get(tool.off) ?? exported.get(tool.off) ?? run.step.env.get(tool.off);
  if (off !== undefined && tool.offValues.test(off.trim())) return false;
  const dir = call.assignments.get(tool.dir) ?? exported.get(tool.dir) ?? run.step.env.get(tool.dir) ?? "";
  return !mounted(
    run.mounts,
    (t) => tool.cache.test(t) || (dir !== "" && t.replace(/\/+$/, "") === dir.replace(/\/+$/, "")),
  );
}

export const pipCache: Rule = {
  id: "CS-DF-PIP-CACHE",
  severity: "low",
  title: "pip install keeps its cache in the layer",
  refs: [],
  fix: TOOLS.pip.fix,
  check: (ctx) =>
    ctx.runs.flatMap((run): Hit[] => {
      // `export PIP_NO_CACHE_DIR=1 && pip install …`: an export holds for the rest of the RUN.
      const exported = new Map<string, string>();
      for (const { call } of run.commands) {
        if (call.name === "export") {
          for (const a of call.args) {
            const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(a);
            if (m) exported.set(m[1], m[2]);
          }
          continue;
        }
        const which = pythonInstaller(call);
        if (which === undefined) continue;
        const tool = TOOLS[which];
        if (keepsCache(run, call, tool, exported)) return [{ ...atRun(run, tool.message), fix: tool.fix }];
      }
      return [];
    }),
};
