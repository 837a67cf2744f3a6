// `cudaseal rescan`: every image of a list, a repository or a catalog against
// today's vulnerability data, from the SBOMs they carry, prioritised by KEV
// and EPSS, with one summary and one exit code.

import { once } from "node:events";
import { catalogImages, loadCatalog } from "../../catalog/index.ts";
import { CudasealError } from "../../errors.ts";
import { parseRegistryRef } from "../../registry/index.ts";
import {
  DEFAULT_MAX_TAGS,
  repositoryRefs,
  rescan,
  rescanFooter,
  rescanGate,
  rescanJsonChunks,
  rescanMarkdown,
  rescanSarif,
  rescanTable,
} from "../../rescan/index.ts";
import {
  DEFAULT_EPSS_URL,
  DEFAULT_KEV_URL,
  openEpss,
  openKev,
  type PriorityFeedOptions,
  type PriorityFeeds,
  PUBLISHED_FEED,
  type Severity,
} from "../../scan/index.ts";
import { type Command, type FlagValues, listFlag, stringFlag } from "../command.ts";
import { DATABASE_FLAGS, DATABASE_FLAGS_HELP, databaseOptionsFrom } from "../database-options.ts";
import { REGISTRY_FLAGS, REGISTRY_FLAGS_HELP, registryOptionsFrom } from "../registry-options.ts";

const GATES = ["critical", "high", "medium", "low"] as const;
const FORMATS = ["table", "json", "sarif", "markdown"] as const;

export const rescanCommand: Command = {
  name: "rescan",
  help: `Usage: cudaseal rescan [IMAGE…] [--repository REGISTRY/REPO]… [--from-catalog catalog.yaml]… [options]

Rescans many images against today's vulnerability data without pulling
them: for each image (each platform of a multi-platform one) it reads the
SBOM that 'cudaseal build --push' attached as an OCI referrer (CycloneDX or
SPDX, checked against its digest, capped at 32 MiB), and matches its
packages as 'cudaseal scan' does. An image with no SBOM is read from its
layers instead, and the summary says which way each was read. One image
under several tags is read once.

What to rescan (any mix, at least one):
  IMAGE…                  registry references (host/repo:tag, host/repo@sha256:…)
                          or oci:DIR[:TAG] and the other transports scan takes
  --repository REG/REPO   every tag of the repository, from the registry's tags
                          list (referrer-fallback and cosign tags left out), repeatable
  --from-catalog FILE     every final tag of every image a catalog.yaml publishes
  --max-tags N            refuse a repository listing more tags (default ${DEFAULT_MAX_TAGS})

Prioritising:
  --kev FILE|URL|${PUBLISHED_FEED}     CISA's Known Exploited Vulnerabilities catalog (JSON): a
                          file; a URL; or '${PUBLISHED_FEED}', the published catalog
                          (${DEFAULT_KEV_URL};
                          env CUDASEAL_KEV_URL). URLs are kept in the cache dir and
                          refreshed with a conditional GET, as the tracker's data is
  --epss FILE|URL|${PUBLISHED_FEED}    FIRST's EPSS scores (CSV, or .csv.gz), the same ways
                          (${DEFAULT_EPSS_URL}; env CUDASEAL_EPSS_URL)
Findings in the KEV catalog come first, then by EPSS score, then by severity.

Options:
${DATABASE_FLAGS_HELP}
  --arch ARCH             only this platform of multi-platform images
  --release CODENAME      the Debian release for every image (default: from each SBOM or os-release)
  --no-sbom               read every image's layers, even where an SBOM is attached
  --jobs N                images in flight at once (default: twice the cores, at least 4)
  --vex FILE              an OpenVEX document, repeatable (as scan)
  --ignore-file FILE      findings to suppress, with reasons and expiry dates (as scan)
  --format FORMAT         table, json, sarif or markdown (an issue body, under
                          65,536 characters) (default: table; --json is json)
  --top N                 findings listed under the table (default 20)
  --fail-on SEVERITY      exit 1 when any image has a finding this severe or worse
  --only-fixed            with --fail-on, count only findings a fix exists for
  --fail-on-kev           exit 1 when any image has a finding in the KEV catalog
${REGISTRY_FLAGS_HELP}

An image that cannot be read (unreachable, a damaged SBOM: SBOM_INVALID, not
Debian) is a row with its error code, and the rest go on. SBOM referrers are
not signature-checked here: rescan from the layers (--no-sbom) where anyone
else can push to the repository. --username is for a rescan whose images
are all in one registry; for several, log in to each (docker login).

Exit status: 0 when every image was rescanned and the gate passes, 1 when the
gate fails or an image could not be rescanned.

Examples:
  cudaseal rescan --repository registry.example/team/cuda-runtime --kev feed --epss feed
  cudaseal rescan --from-catalog catalog.yaml --fail-on critical --fail-on-kev
  cudaseal rescan registry.example/team/app:1.0 registry.example/team/app:1.1 --json
  cudaseal rescan --repository registry.example/team/app --kev kev.json --epss epss.csv.gz --offline \\
    --format markdown > issue.md`,
  flags: {
    ...DATABASE_FLAGS,
    ...REGISTRY_FLAGS,
    repository: { type: "string", multiple: true },
    "from-catalog": { type: "string", multiple: true },
    "max-tags": { type: "string" },
    kev: { type: "string" },
    epss: { type: "string" },
    arch: { type: "string" },
    release: { type: "string" },
    "no-sbom": { type: "boolean" },
    jobs: { type: "string" },
    vex: { type: "string", multiple: true },
    "ignore-file": { type: "string" },
    format: { type: "string" },
    top: { type: "string" },
    "fail-on": { type: "string" },
    "only-fixed": { type: "boolean" },
    "fail-on-kev": { type: "boolean" },
  },
  async run(positionals, flags, out) {
    const format = stringFlag(flags, "format") ?? (out.json ? "json" : "table");
    if (!(FORMATS as readonly string[]).includes(format))
      throw new CudasealError("USAGE", `unknown format: ${format}`, { hint: `use ${FORMATS.join(", ")}` });
    const failOn = stringFlag(flags, "fail-on");
    if (failOn !== undefined && !(GATES as readonly string[]).includes(failOn))
      throw new CudasealError("USAGE", `unknown severity for --fail-on: ${failOn}`, {
        hint: `use one of ${GATES.join(", ")}`,
      });
    const repositories = listFlag(flags, "repository") ?? [];
    const catalogs = (flags["from-catalog"] as string[] | undefined) ?? [];
    if (positionals.length === 0 && repositories.length === 0 && catalogs.length === 0)
      throw new CudasealError("USAGE", "name the images to rescan", {
        hint: "cudaseal rescan --repository registry.example/team/cuda, --from-catalog catalog.yaml, or IMAGE…",
      });
    const database = databaseOptionsFrom(flags);
    const refs = [...positionals];
    for (const path of catalogs) {
      for (const image of catalogImages(await loadCatalog(path)))
        for (const tag of image.tags) refs.push(`${image.repository}:${tag}`);
    }
    const registry = await registryOptionsFrom(flags, credentialsRegistry(flags, [...refs, ...repositories]));

    // Feeds first: a bad KEV or EPSS file fails before any image is read.
    const priority = await openPriority(flags, database.feed);
    for (const w of priority.warnings) out.warn(w);

    for (const repository of repositories) {
      const tags = await repositoryRefs(repository, { registry, maxTags: positiveInt(flags, "max-tags") });
      out.note(`${repository}: ${tags.length} tags`);
      refs.push(...tags);
    }
    const unique = [...new Set(refs)];
    out.note(`rescanning ${unique.length} images`);
    const result = await rescan(unique, {
      ...database,
      registry,
      arch: stringFlag(flags, "arch"),
      release: stringFlag(flags, "release"),
      useSbom: flags["no-sbom"] !== true,
      jobs: positiveInt(flags, "jobs"),
      vex: Array.isArray(flags.vex) ? flags.vex : undefined,
      ignoreFile: stringFlag(flags, "ignore-file"),
      priority: priority.feeds,
      progress: out.progress(),
    });
    for (const warning of result.warnings) out.warn(warning);
    const feedsInfo = { kev: priority.info.kev, epss: priority.info.epss };
    if (format === "json") await writeChunks(rescanJsonChunks(result, { feeds: feedsInfo }));
    else if (format === "sarif") out.jsonData(rescanSarif(result));
    else if (format === "markdown") out.data(rescanMarkdown(result));
    else out.data(`${rescanTable(result, positiveInt(flags, "top") ?? 20)}\n\n${rescanFooter(result)}`);

    const verdict = rescanGate(result, {
      failOn: failOn as Severity | undefined,
      onlyFixed: flags["only-fixed"] === true,
      failOnKev: flags["fail-on-kev"] === true,
    });
    const findings = result.images.reduce((n, i) => n + i.findings.length, 0);
    out.note(
      `${findings} findings in ${result.images.length} images; ${verdict.errors} could not be rescanned`,
    );
    if (!verdict.failed) return 0;
    const why = [
      verdict.severity > 0 ? `${verdict.severity} findings of severity ${failOn} or worse` : "",
      verdict.kev > 0 ? `${verdict.kev} findings in the KEV catalog` : "",
      verdict.errors > 0 ? `${verdict.errors} images not rescanned` : "",
    ].filter((w) => w !== "");
    process.stderr.write(`rescan failed: ${why.join(", ")}\n`);
    return 1;
  },
};

/** The KEV and EPSS data the flags name, opened (files read, feeds refreshed). */
async function openPriority(
  flags: FlagValues,
  feed: ReturnType<typeof databaseOptionsFrom>["feed"],
): Promise<{ feeds: PriorityFeeds; info: Record<string, unknown>; warnings: string[] }> {
  const base = (source: string, env: string): PriorityFeedOptions => ({
    source,
    url: process.env[env] || undefined,
    cacheDir: feed?.cacheDir ?? "",
    offline: feed?.offline,
    skipUpdate: feed?.skipUpdate,
    maxAgeMs: feed?.maxAgeMs,
    maxAgeLabel: feed?.maxAgeLabel,
  });
  const feeds: PriorityFeeds = {};
  const info: Record<string, unknown> = {};
  const warnings: string[] = [];
  const kev = stringFlag(flags, "kev");
  if (kev !== undefined) {
    const opened = await openKev(base(kev, "CUDASEAL_KEV_URL"));
    feeds.kev = opened.data;
    info.kev = {
      ...opened.info,
      catalogVersion: opened.data.catalogVersion,
      entries: opened.data.entries.size,
    };
    warnings.push(...opened.warnings);
  }
  const epss = stringFlag(flags, "epss");
  if (epss !== undefined) {
    const opened = await openEpss(base(epss, "CUDASEAL_EPSS_URL"));
    feeds.epss = opened.data;
    info.epss = { ...opened.info, modelVersion: opened.data.modelVersion, scoreDate: opened.data.scoreDate };
    warnings.push(...opened.warnings);
  }
  if (flags["fail-on-kev"] === true && feeds.kev === undefined)
    throw new CudasealError("USAGE", "--fail-on-kev needs the KEV catalog", {
      hint: `add --kev FILE, or --kev ${PUBLISHED_FEED} for CISA's published catalog`,
    });
  return { feeds, info, warnings };
}

/** A large document on stdout piece by piece, waiting for a slow reader instead of holding it all. */
async function writeChunks(chunks: Iterable<string>): Promise<void> {
  for (const chunk of chunks) if (!process.stdout.write(chunk)) await once(process.stdout, "drain");
}

/**
 * The one registry --username's password is for. Credentials given without
 * a registry go to every registry asked, so images in several registries
 * (or none) with --username are USAGE: one registry's password must never
 * reach another.
 */
function credentialsRegistry(flags: FlagValues, refs: readonly string[]): string | undefined {
  if (stringFlag(flags, "username") === undefined) return undefined;
  const hosts = new Set<string>();
  for (const ref of refs) {
    try {
      hosts.add(parseRegistryRef(ref).registry);
    } catch {
      // Not a registry reference (oci:DIR): no credentials go to it.
    }
  }
  if (hosts.size !== 1)
    throw new CudasealError(
      "USAGE",
      `--username names one registry's credentials, and these images are in ${hosts.size} registries`,
      {
        hint: "rescan each registry's images apart, or log in to each (docker login) so its credentials go to it alone",
      },
    );
  return [...hosts][0];
}

function positiveInt(flags: FlagValues, name: string): number | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new CudasealError("USAGE", `--${name} takes a whole number of at least 1`);
  return n;
}
