// `cudaseal rescan`: many images against today's vulnerability data, from
// the SBOMs they carry rather than their layers. The steps, per reference,
// with at most `jobs` references in flight:
//
//   1. platforms  the manifest, or every platform of an index (platforms.ts)
//   2. inventory  the SBOM referrer, else the layers (inventory.ts); one
//                 image listed under several tags is read once, by digest
//   3. match      against its release's indexed data (release-databases.ts)
//   4. suppress   VEX and the ignore file, as scan does
//   5. prioritise KEV and EPSS marks, and KEV-first order (scan/priority.ts)
//
// An image that cannot be read (unreachable, damaged SBOM, not Debian) is a
// row with its error code, and the rest go on; data that cannot be had at
// all (no database) stops the whole rescan, since every row would say so.
// VEX and ignore files are read first, so a mistake in them fails before any
// request. Nothing here prints: progress goes to the sink given.

import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { CudasealError, isCudasealError } from "../errors.ts";
import type { RegistryClientOptions } from "../registry/index.ts";
import {
  comparePriority,
  type DatabaseInfo,
  type DatabaseOptions,
  type Finding,
  type IgnoreEntry,
  loadIgnoreFile,
  loadVex,
  markFindings,
  matchIndexed,
  matchPythonFindings,
  type PrioritizedFinding,
  type PriorityFeeds,
  type SuppressedFinding,
  suppressFindings,
  type VexStatement,
} from "../scan/index.ts";
import { openReader } from "../source/image-source.ts";
import { noProgress, type ProgressSink } from "../util/progress.ts";
import { type Inventory, readInventory } from "./inventory.ts";
import { type PlatformImage, platformImages } from "./platforms.ts";
import { type ReleaseData, ReleaseDatabases } from "./release-databases.ts";

export interface RescanOptions extends DatabaseOptions {
  registry?: RegistryClientOptions;
  /** Only this platform of multi-platform images. */
  arch?: string;
  /** The Debian release (a codename) for every image, overriding what each says. */
  release?: string;
  /** False: read every image's layers, even where an SBOM is attached. */
  useSbom?: boolean;
  /** References in flight at once (default: twice the cores, at least 4). */
  jobs?: number;
  vex?: readonly string[];
  ignoreFile?: string;
  /** KEV and EPSS data, already opened. */
  priority?: PriorityFeeds;
  now?: () => Date;
  progress?: ProgressSink;
}

/** One platform image of one reference, rescanned, or why it could not be. */
export interface RescannedImage {
  /** The reference as given (or as the tags list made it). */
  ref: string;
  /** `linux/amd64`, for a platform of an index. */
  platform?: string;
  digest?: string;
  indexDigest?: string;
  via?: Inventory["via"];
  sbomFormat?: Inventory["sbomFormat"];
  release?: string;
  packages?: number;
  pythonPackages?: number;
  /** What counts, most urgent first (KEV, then EPSS, then severity). */
  findings: PrioritizedFinding[];
  suppressed: SuppressedFinding[];
  error?: { code: string; message: string; hint?: string };
}

export interface RescanResult {
  images: RescannedImage[];
  /** Where the vulnerability data came from (the first release's view). */
  database?: DatabaseInfo;
  warnings: string[];
  expiredIgnores: IgnoreEntry[];
}

/** A failure that is no one image's: the data itself could not be had. */
class DataFailure {
  readonly err: unknown;
  constructor(err: unknown) {
    this.err = err;
  }
}

/** Rescan every image `refs` names. */
export async function rescan(refs: readonly string[], options: RescanOptions): Promise<RescanResult> {
  const now = options.now ?? (() => new Date());
  const today = now().toISOString().slice(0, 10);
  const vex: VexStatement[] = [];
  for (const file of options.vex ?? []) vex.push(...(await loadVex(file)));
  const ignores = options.ignoreFile ? await loadIgnoreFile(options.ignoreFile) : [];
  const databases = new ReleaseDatabases({ db: options.db, feed: options.feed && { now, ...options.feed } });
  const progress = options.progress ?? noProgress;
  // One client per registry for the whole rescan: one scheme probe and one token, not one per image.
  const registry = { ...options.registry, clients: options.registry?.clients ?? new Map() };
  // One image under several tags (or in several references) is read and matched once.
  const byDigest = new Map<string, Promise<Omit<RescannedImage, "ref" | "platform">>>();
  // Images share most findings (one base, many tags and builds): each is kept once, and every
  // image's list points at it, so memory grows with the fleet's distinct findings, not their sum.
  const canonical = new Map<string, PrioritizedFinding>();
  const shared = (release: string, findings: PrioritizedFinding[]): PrioritizedFinding[] =>
    findings.map((f) => {
      const key = `${release}\0${f.ecosystem ?? ""}\0${f.id}\0${f.source}\0${f.package}\0${f.installed}`;
      const seen = canonical.get(key);
      if (seen !== undefined) return seen;
      canonical.set(key, f);
      return f;
    });

  const prioritized = (release: string, findings: readonly Finding[]): PrioritizedFinding[] =>
    shared(release, markFindings(findings, options.priority ?? {}).sort(comparePriority));
  // Images of one package set (tags and rebuilds of one lock) match alike: matched once, by the set.
  const matches = new Map<string, PrioritizedFinding[]>();
  const matchOnce = (inventory: Inventory, data: ReleaseData): PrioritizedFinding[] => {
    const key = packageSetKey(inventory);
    let found = matches.get(key);
    if (found === undefined) {
      found = prioritized(inventory.release, [
        ...matchIndexed(inventory.packages, data.index),
        ...(inventory.python.length > 0 ? matchPythonFindings(inventory.python, data.python) : []),
      ]);
      if (matches.size >= MAX_PACKAGE_SETS) matches.clear();
      matches.set(key, found);
    }
    return found;
  };

  const scanPlatform = async (reader: Awaited<ReturnType<typeof openReader>>, image: PlatformImage) => {
    const key = `${image.digest}\0${image.indexDigest ?? ""}`;
    let done = byDigest.get(key);
    if (done === undefined) {
      done = (async () => {
        const inventory = await readInventory(reader, image, {
          release: options.release,
          useSbom: options.useSbom,
        });
        let data: Awaited<ReturnType<ReleaseDatabases["get"]>>;
        try {
          data = await databases.get(inventory.release);
        } catch (err) {
          throw new DataFailure(err);
        }
        const matched = matchOnce(inventory, data);
        // Without VEX or an ignore file nothing is suppressed, and images of one package set share one list.
        const { findings, suppressed } =
          vex.length === 0 && ignores.length === 0
            ? { findings: matched, suppressed: [] }
            : suppressFindings(matched, {
                vex,
                ignores,
                digest: image.digest,
                indexDigest: image.indexDigest,
                today,
              });
        return {
          digest: image.digest,
          ...(image.indexDigest === undefined ? {} : { indexDigest: image.indexDigest }),
          via: inventory.via,
          ...(inventory.sbomFormat === undefined ? {} : { sbomFormat: inventory.sbomFormat }),
          release: inventory.release,
          packages: inventory.packages.length,
          ...(inventory.python.length > 0 ? { pythonPackages: inventory.python.length } : {}),
          // Suppression keeps the matched findings' objects and order.
          findings: findings as PrioritizedFinding[],
          suppressed,
        };
      })();
      byDigest.set(key, done);
    }
    return done;
  };

  const rescanRef = async (ref: string): Promise<RescannedImage[]> => {
    let images: PlatformImage[];
    let reader: Awaited<ReturnType<typeof openReader>>;
    try {
      reader = await openReader(ref, { registry });
      images = await platformImages(reader, options.arch);
    } catch (err) {
      return [failed(ref, undefined, err)];
    }
    if (images.length === 0)
      return [
        failed(
          ref,
          undefined,
          new CudasealError("IMAGE_NOT_FOUND", `${ref} has no image for ${options.arch ?? "any platform"}`),
        ),
      ];
    const rows: RescannedImage[] = [];
    for (const image of images) {
      try {
        rows.push({
          ref,
          ...(image.platform ? { platform: image.platform } : {}),
          ...(await scanPlatform(reader, image)),
        });
      } catch (err) {
        if (err instanceof DataFailure) throw err;
        rows.push(failed(ref, image, err));
      }
    }
    return rows;
  };

  const jobs = options.jobs ?? Math.max(4, 2 * availableParallelism());
  const results = new Array<RescannedImage[]>(refs.length);
  let next = 0;
  let fatal: DataFailure | undefined;
  progress({ task: "rescan", kind: "start", unit: "items", total: refs.length });
  const worker = async () => {
    while (fatal === undefined && next < refs.length) {
      const i = next++;
      try {
        results[i] = await rescanRef(refs[i]);
      } catch (err) {
        if (err instanceof DataFailure) fatal ??= err;
        else results[i] = [failed(refs[i], undefined, err)];
      }
      progress({ task: "rescan", kind: "advance", unit: "items", delta: 1 });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, refs.length)) }, worker));
  progress({ task: "rescan", kind: "end" });
  if (fatal !== undefined) throw fatal.err;
  return {
    images: results.flat(),
    database: await databases.info(),
    warnings: databases.warnings,
    expiredIgnores: ignores.filter((e) => e.expires < today),
  };
}

/** Package sets whose matches are kept for reuse; past it the memo starts again (memory stays bounded). */
const MAX_PACKAGE_SETS = 256;

/** The release and every package's name, architecture, version and source version: what matching reads. */
function packageSetKey(inventory: Inventory): string {
  const parts = [inventory.release];
  for (const p of inventory.packages)
    parts.push(`${p.name}\0${p.arch}\0${p.version}\0${p.source ?? ""}\0${p.sourceVersion ?? ""}`);
  parts.push("");
  for (const p of inventory.python) parts.push(`${p.name}\0${p.version}`);
  return createHash("sha256").update(parts.join("\n")).digest("hex");
}

function failed(ref: string, image: PlatformImage | undefined, err: unknown): RescannedImage {
  const error = isCudasealError(err)
    ? { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) }
    : { code: "INTERNAL", message: err instanceof Error ? err.message : String(err) };
  return {
    ref,
    ...(image?.platform ? { platform: image.platform } : {}),
    ...(image ? { digest: image.digest } : {}),
    findings: [],
    suppressed: [],
    error,
  };
}
