// `cudaseal outdated LOCK|IMAGE`: what can be updated today, which known
// vulnerabilities each update fixes, and, for a lock, the lock that takes
// them (--write-lock). Exit 1 when a security update exists.

import { statSync } from "node:fs";
import { DEFAULT_SUITE } from "../../apt/sources.ts";
import { ContentStore } from "../../cache/content-store.ts";
import { CudasealError } from "../../errors.ts";
import {
  lockSuite,
  type OutdatedReport,
  outdatedImage,
  outdatedJson,
  outdatedLock,
  outdatedMarkdown,
  outdatedSummary,
  outdatedTable,
} from "../../outdated/index.ts";
import { readLockFile, serializeLock } from "../../resolve/index.ts";
import { loadSpec } from "../../spec/load.ts";
import type { Spec } from "../../spec/types.ts";
import { writeOutputFile } from "../../util/atomic-file.ts";
import {
  type Command,
  type FlagValues,
  listFlag,
  SOURCE_FLAGS,
  SOURCE_FLAGS_HELP,
  stringFlag,
} from "../command.ts";
import {
  DATABASE_FLAGS,
  DATABASE_FLAGS_HELP,
  databaseOptionsFrom,
  wantsCves,
  withNoCvesHint,
} from "../database-options.ts";
import type { Output } from "../output.ts";
import { cacheDirFrom, sourcesFrom } from "../sources-options.ts";

export const outdatedCommand: Command = {
  name: "outdated",
  help: `Usage: cudaseal outdated LOCK|IMAGE [options]

Compares each package of a lock (a file 'cudaseal lock' wrote) or of an
image (oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE, or a registry
reference; its dpkg database is read) with what the archive offers today,
security suite included, and lists what can be updated: the package, the
installed and the candidate version, the suite the candidate comes from,
and the known vulnerabilities it fixes, from the Debian Security Tracker's
data (an advisory counts when its fixed version is newer than the installed
source version and no newer than the candidate's).

A lock's request is resolved again, exactly as 'cudaseal lock' resolves it,
in the Debian suite its recorded repositories name (bookworm for a lock
made with --suite bookworm) unless --suite or the spec's suite says
otherwise, so new dependencies come along; --write-lock FILE writes that lock, which
'cudaseal build --lock FILE' replays. An image is held against apt's
candidate for each installed package, in the sources of its Debian release
(from its os-release).

The sources are the ones 'build' and 'lock' read: Debian's archive and
security archive from this machine's apt setup, or the repository flags
below, or a spec's sources (--spec, --preset): a lock made from a spec with
its own sources (nvidia-cuda, a company mirror) needs that spec here too.

An update is a security update when its candidate comes from a security
suite (trixie-security) or it fixes a known vulnerability.

Options:
  --spec FILE             take the sources from this spec (as 'build' does)
  --preset NAME           take the sources from a built-in spec
  --release CODENAME      the Debian release for the tracker data (default: a
                          lock's suite, an image's os-release)
  --write-lock FILE       write the updated lock there (a lock only)
  --format FORMAT         table, json or markdown (default: table; --json is json)
  --no-cves               match no vulnerability data (no download)
${DATABASE_FLAGS_HELP}
${SOURCE_FLAGS_HELP}

Exit status: 0 when there is no security update, 1 when there is one (or
on an error, which prints one and writes no report), 2 on a usage error.

Examples:
  cudaseal outdated cuda-runtime.lock.json
  cudaseal outdated app.lock.json --spec app.yaml --write-lock app.lock.json
  cudaseal outdated oci:out/cuda-base --format markdown >> "$GITHUB_STEP_SUMMARY"
  cudaseal outdated registry.example/ml/cuda-runtime:12.8 --json`,
  flags: {
    ...SOURCE_FLAGS,
    ...DATABASE_FLAGS,
    spec: { type: "string" },
    preset: { type: "string" },
    release: { type: "string" },
    "write-lock": { type: "string" },
    format: { type: "string" },
    "no-cves": { type: "boolean" },
  },
  async run(positionals, flags, out) {
    const target = positionals[0];
    if (target === undefined || positionals.length > 1) {
      throw new CudasealError("USAGE", "name one lock file or image", {
        hint: "cudaseal outdated cuda-runtime.lock.json",
      });
    }
    const format = stringFlag(flags, "format") ?? (out.json ? "json" : "table");
    if (format !== "table" && format !== "json" && format !== "markdown") {
      throw new CudasealError("USAGE", `unknown format: ${format}`, { hint: "use table, json or markdown" });
    }
    const spec = specFrom(flags);
    const writeLock = stringFlag(flags, "write-lock");
    // A name ending in .json is a lock even when missing: readLockFile says so, rather than a registry lookup.
    const isLock = isFile(target) || target.endsWith(".json");
    if (writeLock !== undefined && !isLock) {
      throw new CudasealError(
        "USAGE",
        "--write-lock needs a lock: an image has no request to resolve again",
        {
          hint: "run outdated on the lock the image was built from",
        },
      );
    }
    const options = {
      store: new ContentStore(cacheDirFrom(flags)),
      database: wantsCves(flags, "match CVEs") ? databaseOptionsFrom(flags) : undefined,
      onNote: (n: string) => out.note(n),
    };
    let report: OutdatedReport;
    try {
      if (isLock) {
        const lock = await readLockFile(target);
        const suite = stringFlag(flags, "suite") ?? spec?.suite ?? lockSuite(lock) ?? DEFAULT_SUITE;
        out.note(`resolving ${target}'s request again in ${suite} (${lock.request.arches.join(", ")})`);
        report = await outdatedLock(lock, target, {
          ...options,
          sources: sourcesFrom({ ...flags, suite }, spec),
          release: stringFlag(flags, "release") ?? suite.replace(/-(security|updates|backports)$/, ""),
        });
      } else {
        out.note(`reading ${target}'s packages`);
        report = await outdatedImage(target, {
          ...options,
          sourcesFor: (release) =>
            sourcesFrom({ ...flags, suite: stringFlag(flags, "suite") ?? release }, spec),
          release: stringFlag(flags, "release"),
          arch: listFlag(flags, "arch")?.[0],
        });
      }
    } catch (err) {
      throw withNoCvesHint(err, "or list updates without CVEs: --no-cves");
    }
    for (const warning of report.warnings) out.warn(warning);
    if (writeLock !== undefined && report.lock) {
      await writeOutputFile(writeLock, serializeLock(report.lock));
      out.note(`wrote ${writeLock}`);
    }
    if (format === "json") out.jsonData(outdatedJson(report));
    else if (format === "markdown") out.data(outdatedMarkdown(report));
    else {
      if (report.updates.length > 0) out.data(`${outdatedTable(report)}\n`);
      const removed = report.kind === "lock" ? "no longer needed" : "not in the sources";
      notes(
        out,
        "new dependency",
        report.added.map((p) => `${p.name} ${p.version} (${p.arch})`),
      );
      notes(
        out,
        removed,
        report.removed.map((p) => `${p.name} ${p.version} (${p.arch})`),
      );
      notes(
        out,
        "only an older version is offered",
        report.downgrades.map((u) => `${u.name} ${u.installed} -> ${u.candidate} (${u.arch})`),
      );
      out.data(outdatedSummary(report));
    }
    return report.securityUpdates > 0 ? 1 : 0;
  },
};

/** Notes of one kind, the first few by name: an image from elsewhere can have hundreds (--json lists all). */
function notes(out: Output, what: string, items: readonly string[]): void {
  const shown = 10;
  for (const item of items.slice(0, shown)) out.note(`${what}: ${item}`);
  if (items.length > shown) out.note(`${what}: ${items.length - shown} more (see --json)`);
}

function specFrom(flags: FlagValues): Spec | undefined {
  const file = stringFlag(flags, "spec");
  const preset = stringFlag(flags, "preset");
  if (file !== undefined && preset !== undefined) {
    throw new CudasealError("USAGE", "--spec and --preset both name a spec", { hint: "pass one of them" });
  }
  if (file !== undefined) return loadSpec(file).spec;
  if (preset !== undefined) return loadSpec(`preset:${preset}`).spec;
  return undefined;
}

/** A lock is a file on disk; an image reference names a transport or a registry. */
function isFile(target: string): boolean {
  try {
    return statSync(target).isFile();
  } catch {
    return false;
  }
}
