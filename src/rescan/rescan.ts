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

import { availableParallelism } from "node:os";
import { CudasealError, isCudasealError } from "../errors.ts";
import type { RegistryClientOptions } from "../registry/index.ts";
import {
  type DatabaseInfo,
  type DatabaseOptions,
  type IgnoreEntry,
  loadIgnoreFile,
  loadVex,
  type PrioritizedFinding,
  type PriorityFeeds,
  type SuppressedFinding,
  suppressFindings,
  type VexStatement,
} from "../scan/index.ts";
import { openReader } from "../source/image-source.ts";
import type { ImageReader } from "../source/types.ts";
import { mapPool } from "../util/pool.ts";
import { noProgress, type ProgressSink } from "../util/progress.ts";
import { FleetMatcher } from "./fleet-matcher.ts";
import { type Inventory, readInventory } from "./inventory.ts";
import { type PlatformImage, platformImages } from "./platforms.ts";
import { ReleaseDatabases } from "./release-databases.ts";

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

/** What every image of one rescan shares. */
interface Context {
  options: RescanOptions;
  registry: RegistryClientOptions;
  vex: VexStatement[];
  ignores: IgnoreEntry[];
  today: string;
  databases: ReleaseDatabases;
  matcher: FleetMatcher;
  /** One image under several tags (or in several references) is read and matched once. */
  byDigest: Map<string, Promise<Omit<RescannedImage, "ref" | "platform">>>;
}

/** Rescan every image `refs` names. */
export async function rescan(refs: readonly string[], options: RescanOptions): Promise<RescanResult> {
  const now = options.now ?? (() => new Date());
  const today = now().toISOString().slice(0, 10);
  const vex: VexStatement[] = [];
  for (const file of options.vex ?? []) vex.push(...(await loadVex(file)));
  const ignores = options.ignoreFile ? await loadIgnoreFile(options.ignoreFile) : [];
  const ctx: Context = {
    options,
    // One client per registry for the whole rescan: one scheme probe and one token, not one per image.
    registry: { ...options.registry, clients: options.registry?.clients ?? new Map() },
    vex,
    ignores,
    today,
    databases: new ReleaseDatabases({ db: options.db, feed: options.feed && { now, ...options.feed } }),
    matcher: new FleetMatcher(options.priority),
    byDigest: new Map(),
  };
  const progress = options.progress ?? noProgress;
  progress({ task: "rescan", kind: "start", unit: "items", total: refs.length });
  // The pool stops at the first DataFailure, the one failure rescanRef lets through.
  const results = await mapPool(
    refs,
    options.jobs ?? Math.max(4, 2 * availableParallelism()),
    async (ref) => {
      let rows: RescannedImage[];
      try {
        rows = await rescanRef(ctx, ref);
      } catch (err) {
        if (err instanceof DataFailure) throw err.err;
        rows = [failed(ref, undefined, err)];
      }
      progress({ task: "rescan", kind: "advance", unit: "items", delta: 1 });
      return rows;
    },
  );
  progress({ task: "rescan", kind: "end" });
  return {
    images: results.flat(),
    database: await ctx.databases.info(),
    warnings: ctx.databases.warnings,
    expiredIgnores: ignores.filter((e) => e.expires < today),
  };
}

/** The rows of one reference: one per platform image, or one saying why it could not be read. */
async function rescanRef(ctx: Context, ref: string): Promise<RescannedImage[]> {
  let reader: ImageReader;
  let images: PlatformImage[];
  try {
    reader = await openReader(ref, { registry: ctx.registry });
    images = await platformImages(reader, ctx.options.arch);
  } catch (err) {
    return [failed(ref, undefined, err)];
  }
  if (images.length === 0) {
    const arch = ctx.options.arch ?? "any platform";
    return [failed(ref, undefined, new CudasealError("IMAGE_NOT_FOUND", `${ref} has no image for ${arch}`))];
  }
  const rows: RescannedImage[] = [];
  for (const image of images) {
    const platform = image.platform ? { platform: image.platform } : {};
    try {
      rows.push({ ref, ...platform, ...(await scanOnce(ctx, reader, image)) });
    } catch (err) {
      if (err instanceof DataFailure) throw err;
      rows.push(failed(ref, image, err));
    }
  }
  return rows;
}

/** scanPlatform, once per image digest however many references lead to it. */
function scanOnce(ctx: Context, reader: ImageReader, image: PlatformImage) {
  const key = `${image.digest}\0${image.indexDigest ?? ""}`;
  let done = ctx.byDigest.get(key);
  if (done === undefined) {
    done = scanPlatform(ctx, reader, image);
    ctx.byDigest.set(key, done);
  }
  return done;
}

/** Inventory, match, suppress: one platform image's row, less its reference. */
async function scanPlatform(
  ctx: Context,
  reader: ImageReader,
  image: PlatformImage,
): Promise<Omit<RescannedImage, "ref" | "platform">> {
  const inventory = await readInventory(reader, image, {
    release: ctx.options.release,
    useSbom: ctx.options.useSbom,
  });
  let data: Awaited<ReturnType<ReleaseDatabases["get"]>>;
  try {
    data = await ctx.databases.get(inventory.release);
  } catch (err) {
    throw new DataFailure(err);
  }
  const matched = ctx.matcher.match(inventory, data);
  // Without VEX or an ignore file nothing is suppressed, and images of one package set share one list.
  const { findings, suppressed } =
    ctx.vex.length === 0 && ctx.ignores.length === 0
      ? { findings: matched, suppressed: [] }
      : suppressFindings(matched, {
          vex: ctx.vex,
          ignores: ctx.ignores,
          digest: image.digest,
          indexDigest: image.indexDigest,
          today: ctx.today,
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
