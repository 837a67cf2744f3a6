// Rules on what the image declares about how it runs: labels that ask for
// --privileged, services with no HEALTHCHECK, ssh exposed, relative WORKDIR,
// and the deprecated MAINTAINER.

import { exposedPorts, nameValues } from "../instruction-args.ts";
import { at, type Hit, lineage, type Rule } from "../rule.ts";
import { expandWord } from "../substitute.ts";
import { splitWords, unquote } from "../words.ts";

// Run-time options that give a container the host: named in labels meant for `docker run` wrappers.
const PRIVILEGED: readonly { re: RegExp; what: string }[] = [
  { re: /--privileged\b/i, what: "--privileged" },
  { re: /\bprivileged["']?\s*[:=]\s*["']?true\b/i, what: "privileged: true" },
  { re: /--cap-add[= ](ALL|SYS_ADMIN|CAP_SYS_ADMIN)\b/i, what: "--cap-add" },
  { re: /--(pid|ipc|net|network|userns|uts)[= ]host\b/i, what: "host namespaces" },
  { re: /--security-opt[= ]\S*unconfined/i, what: "an unconfined security profile" },
];

export const privilegedLabel: Rule = {
  id: "CS-DF-PRIVILEGED-LABEL",
  severity: "medium",
  title: "A label asks for a privileged container",
  refs: ["CIS Docker 5.4", "NIST SP 800-190 4.4.3"],
  fix: "drop the flag from the label; give the container only the devices and capabilities it needs (--gpus, --device)",
  check: (ctx) =>
    ctx.dockerfile.instructions
      .filter((ins) => ins.keyword === "LABEL")
      .flatMap((ins): Hit[] => {
        for (const { name, value } of nameValues(ins, ctx.escape)) {
          const text = `${name}=${unquote(value ?? "", ctx.escape)}`;
          const found = PRIVILEGED.find((p) => p.re.test(text));
          if (found)
            return [at(ins, `label ${name} asks for ${found.what}, which hands the host to the container`)];
        }
        return [];
      }),
};

export const healthcheckMissing: Rule = {
  id: "CS-DF-HEALTHCHECK-MISSING",
  severity: "low",
  title: "A service image has no HEALTHCHECK",
  refs: ["CIS Docker 4.6"],
  fix: "add HEALTHCHECK CMD … that probes the service (or HEALTHCHECK NONE to say it is deliberate)",
  check(ctx) {
    const final = ctx.model.final;
    if (final === undefined) return [];
    const steps = lineage(final).flatMap((s) => s.steps);
    if (steps.some((s) => s.ins.keyword === "HEALTHCHECK")) return [];
    const expose = steps.find((s) => s.ins.keyword === "EXPOSE");
    if (expose === undefined) return [];
    return [
      at(
        expose.ins,
        `the image exposes ${expose.ins.args} but has no HEALTHCHECK, so a hung service looks healthy`,
      ),
    ];
  },
};

export const exposeSsh: Rule = {
  id: "CS-DF-EXPOSE-SSH",
  severity: "medium",
  title: "Port 22 (ssh) is exposed",
  refs: ["CIS Docker 5.6"],
  fix: "do not run sshd in a container; use docker exec / kubectl exec for access",
  check: (ctx) =>
    ctx.model.stages.flatMap((stage) =>
      stage.steps
        .filter((s) => s.ins.keyword === "EXPOSE")
        .flatMap((s): Hit[] => {
          const words = splitWords(s.ins.args, ctx.escape).map(
            (w) => expandWord(w, s.vars, ctx.escape).value,
          );
          const ssh = exposedPorts(words).find((p) => p.from <= 22 && p.to >= 22);
          return ssh
            ? [at(s.ins, `EXPOSE ${ssh.text} publishes ssh, which means an sshd and its keys in the image`)]
            : [];
        }),
    ),
};

export const workdirRelative: Rule = {
  id: "CS-DF-WORKDIR-RELATIVE",
  severity: "low",
  title: "WORKDIR is a relative path",
  refs: [],
  fix: "use an absolute path: WORKDIR /app",
  check: (ctx) =>
    ctx.dockerfile.instructions
      .filter((ins) => ins.keyword === "WORKDIR")
      .flatMap((ins): Hit[] => {
        const dir = unquote(ins.args, ctx.escape);
        // `WORKDIR "C:\"`: in a Windows path the backslash before the quote is not an escape.
        if (dir.startsWith("/") || dir.startsWith("$") || /^["']?[A-Za-z]:[\\/]/.test(ins.args.trim()))
          return [];
        return [at(ins, `WORKDIR ${dir} depends on the WORKDIR before it (or the base image's)`)];
      }),
};

export const cmdShellForm: Rule = {
  id: "CS-DF-CMD-SHELL-FORM",
  severity: "low",
  title: "CMD or ENTRYPOINT in shell form",
  refs: [],
  fix: 'exec form: CMD ["python3", "-m", "app"] (or exec in a wrapper script), so the process is PID 1 and gets SIGTERM',
  check: (ctx) =>
    ctx.dockerfile.instructions
      .filter((ins) => (ins.keyword === "CMD" || ins.keyword === "ENTRYPOINT") && ins.json === undefined)
      // Broken JSON is CS-DF-JSON-FORM-INVALID's finding; an empty CMD is no command.
      // `CMD exec python3 app.py`: exec replaces the shell, so the process gets the signals.
      .filter((ins) => ins.args.trim() !== "" && !/^(\[|exec\s)/.test(ins.args.trimStart()))
      .map((ins) =>
        at(
          ins,
          `${ins.keyword} ${ins.args.trim().split(/\s+/)[0]} … runs under /bin/sh -c, which does not pass SIGTERM on: a stop waits out the grace period and kills it`,
        ),
      ),
};

export const maintainer: Rule = {
  id: "CS-DF-MAINTAINER",
  severity: "info",
  title: "MAINTAINER is deprecated",
  refs: [],
  fix: 'LABEL org.opencontainers.image.authors="…"',
  check: (ctx) =>
    ctx.dockerfile.instructions
      .filter((ins) => ins.keyword === "MAINTAINER")
      .map((ins) => at(ins, "MAINTAINER is deprecated")),
};
