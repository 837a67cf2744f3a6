// Rules on what RUN executes: sudo, scripts piped from the network into a
// shell, and world-writable modes.

import { atRun, type Rule } from "../rule.ts";
import { type Invocation, SHELLS } from "../shell-script.ts";

export const sudo: Rule = {
  id: "CS-DF-SUDO",
  severity: "medium",
  title: "sudo in a RUN",
  refs: ["CIS Docker 4.1"],
  fix: "switch with USER root before the RUN and back to the app user after it; do not install sudo in the image",
  check: (ctx) =>
    ctx.runs.flatMap((run) =>
      run.commands.some(({ call }) => call.via.includes("sudo") || call.name === "sudo")
        ? [
            atRun(
              run,
              "sudo in a build means the image carries sudo and a user allowed to use it, or the RUN fails",
            ),
          ]
        : [],
    ),
};

const FETCHERS = new Set(["curl", "wget"]);
// `sh -c "$(curl …)"`, `bash <(curl …)`, `` sh -c "`wget -O- …`" ``: the fetch stays inside one word.
const SUBSTITUTED_FETCH = /(?:\$\(|<\(|`)\s*(?:[\w./-]*\/)?(?:curl|wget)\b/;
// Interpreters that run a program read from stdin: `python3`, `python${PYTHON_VERSION}`, `perl`, `node`.
const INTERPRETERS = /^(python|perl|ruby|node|nodejs|php|lua|tclsh)(\d[\d.]*|\$\{?[A-Za-z_]\w*\}?)*$/;
// Per interpreter: the options that give it its program on the command line,
// so stdin is only data (`curl … | python3 -c 'import json…'`), and the
// options that take the next word as their value (`python3 -W ignore -`
// still runs stdin). `-E` is perl's program but only python's "ignore the
// environment", so one list for all would miss `curl … | python3 -E`.
const PROGRAM_FLAGS: Record<string, { program: RegExp; takesValue: ReadonlySet<string> }> = {
  python: { program: /^-[cm]/, takesValue: new Set(["-W", "-X", "-Q"]) },
  perl: { program: /^-[eE]/, takesValue: new Set(["-I", "-M", "-m"]) },
  ruby: { program: /^-e/, takesValue: new Set(["-r", "-I", "-C", "-E"]) },
  node: {
    program: /^(-[ep]|--eval|--print)(=|$)/,
    takesValue: new Set(["-r", "--require", "--import", "--loader", "--experimental-loader"]),
  },
  php: { program: /^-[rfR]/, takesValue: new Set(["-d", "-c", "-z"]) },
  lua: { program: /^-e/, takesValue: new Set(["-l"]) },
  tclsh: { program: /^$/, takesValue: new Set() },
};

/** True when a command in a pipeline runs what it reads from stdin as a program. */
function runsStdin(call: Invocation): boolean {
  if (SHELLS.has(call.name)) return true;
  const m = INTERPRETERS.exec(call.name);
  if (!m) return false;
  const flags = PROGRAM_FLAGS[m[1] === "nodejs" ? "node" : m[1]];
  for (let i = 0; i < call.args.length; i++) {
    const arg = call.args[i];
    // `python3 - --user` runs stdin with arguments; `python3 setup.py` runs a local file.
    if (arg === "-" || !arg.startsWith("-")) return arg === "-";
    if (flags.program.test(arg)) return false;
    if (flags.takesValue.has(arg)) i++;
  }
  return true;
}

export const curlPipeShell: Rule = {
  id: "CS-DF-CURL-PIPE-SHELL",
  severity: "high",
  title: "A script downloaded and run unverified",
  refs: ["CIS Docker 4.11", "NIST SP 800-190 4.1.3"],
  fix: "download to a file, check its sha256 (echo 'SUM  file' | sha256sum -c -), then run it; or install a signed package",
  check: (ctx) =>
    ctx.runs.flatMap((run) => {
      const pipelines = new Map<number, Invocation[]>();
      for (const { pipeline, call } of run.commands) {
        pipelines.set(pipeline, [...(pipelines.get(pipeline) ?? []), call]);
      }
      for (const calls of pipelines.values()) {
        const fetch = calls.findIndex((c) => FETCHERS.has(c.name));
        const runner = calls.findIndex((c, i) => i > fetch && runsStdin(c));
        if (fetch >= 0 && runner > fetch) {
          return [
            atRun(
              run,
              `${calls[fetch].name} … | ${calls[runner].name} runs whatever the server sends, unchecked`,
            ),
          ];
        }
      }
      const substituted = run.commands.some(
        ({ call }) => SHELLS.has(call.name) && call.args.some((a) => SUBSTITUTED_FETCH.test(a)),
      );
      if (substituted) {
        return [atRun(run, "a shell runs a script fetched with curl/wget, unchecked")];
      }
      return [];
    }),
};

/** True when a chmod mode gives others write access (777, 0666, a+w, o+rwx), not counting sticky dirs (1777). */
export function worldWritable(mode: string): boolean {
  if (/^[0-7]{3,4}$/.test(mode)) {
    const digits = mode.padStart(4, "0");
    const sticky = (Number(digits[0]) & 1) === 1;
    return (Number(digits[3]) & 2) === 2 && !sticky;
  }
  return mode.split(",").some((clause) => /^[ugoa]*[ao][ugoa]*[+=][rwxXst]*w/.test(clause));
}

export const chmodWorldWritable: Rule = {
  id: "CS-DF-CHMOD-WORLD-WRITABLE",
  severity: "medium",
  title: "chmod makes files world-writable",
  refs: ["CIS Docker 4.8"],
  fix: "give the app user ownership (COPY --chown, chown) and use 755 for directories, 644 for files",
  check: (ctx) =>
    ctx.runs.flatMap((run) => {
      for (const { call } of run.commands) {
        if (call.name !== "chmod") continue;
        const mode = call.args.find((a) => !a.startsWith("-") || /^-[rwxXst]+$/.test(a));
        if (mode !== undefined && worldWritable(mode)) {
          return [atRun(run, `chmod ${mode} lets any user in the container change these files`)];
        }
      }
      return [];
    }),
};
