// Rules on what RUN executes: sudo, scripts piped from the network into a
// shell, and world-writable modes.

import { atRun, type Rule } from "../rule.ts";
import { SHELLS } from "../shell-script.ts";

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

export const curlPipeShell: Rule = {
  id: "CS-DF-CURL-PIPE-SHELL",
  severity: "high",
  title: "A script downloaded and run unverified",
  refs: ["CIS Docker 4.11", "NIST SP 800-190 4.1.3"],
  fix: "download to a file, check its sha256 (echo 'SUM  file' | sha256sum -c -), then run it; or install a signed package",
  check: (ctx) =>
    ctx.runs.flatMap((run) => {
      const pipelines = new Map<number, string[]>();
      for (const { pipeline, call } of run.commands) {
        pipelines.set(pipeline, [...(pipelines.get(pipeline) ?? []), call.name]);
      }
      for (const names of pipelines.values()) {
        const fetch = names.findIndex((n) => FETCHERS.has(n));
        const shell = names.findIndex((n, i) => i > fetch && SHELLS.has(n));
        if (fetch >= 0 && shell > fetch) {
          return [
            atRun(run, `${names[fetch]} … | ${names[shell]} runs whatever the server sends, unchecked`),
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
