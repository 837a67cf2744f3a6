// A streaming tar reader for untrusted archives.
//
// Entries come one at a time, each with its body as an async iterable of
// slices straight from the source. The caller reads the body or calls
// skip(); whatever is left unread is skipped when the next entry is asked
// for, and the old body is spent then, so it can never read the next
// entry's bytes. Nothing is read ahead of the caller, and no body is held.
//
// PAX (`x`, `g`) and GNU long-name (`L`, `K`) pseudo-entries are folded into
// the entry they describe. Before any body is read, sizes are capped, header-
// only types must declare no data (readers disagree on what follows one
// that does), and paths are checked (entry-check.ts). An archive must end
// with the zero block: one that stops between entries has lost some.

import { CudasealError } from "../errors.ts";
import { ByteSource } from "./byte-source.ts";
import {
  type CheckContext,
  checkHardlink,
  checkSymlink,
  refuseSpecial,
  SymlinkTracker,
  safePath,
} from "./entry-check.ts";
import { BLOCK, isZeroBlock, padding, parseHeader, parsePax, type RawHeader } from "./header.ts";

/** One entry of an archive, its path checked and made canonical. */
export interface TarEntry {
  /** Canonical: relative, no `./`, no trailing slash; `` for the root itself. */
  path: string;
  type: "file" | "directory" | "symlink" | "hardlink";
  /** Permission bits (with setuid, setgid, sticky), without the file-type bits some writers add. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, whole. */
  mtime: number;
  /** Bytes of body: 0 for everything but files. */
  size: number;
  /** Symlink target as written; hardlink target made canonical. */
  linkname?: string;
  /** The body, as slices of the source; read it or skip() before asking for the next entry. */
  body: AsyncIterable<Buffer>;
  /** Discard what is left of the body. */
  skip(): Promise<void>;
}

export interface ReadTarOptions {
  /** Named in errors: the package, the file, the layer. */
  origin: string;
  /** The package the archive belongs to, added to error details. */
  package?: string;
  /** Largest file body, bytes. */
  maxEntrySize?: number;
  /** Most entries (pseudo-entries not counted). */
  maxEntries?: number;
  /** Largest PAX or GNU long-name data, bytes; also caps the global PAX records kept. */
  maxMetaSize?: number;
  /** Most file bytes in all, so a stream of small bombs is caught too. */
  maxTotalSize?: number;
  /** Pass over device nodes, fifos and unknown types instead of failing (for auditing foreign images). */
  skipSpecial?: boolean;
  /** Skip path checks, for readers that do their own (image layers with whiteouts). */
  unchecked?: boolean;
  /**
   * What may follow the end-of-archive block. "zeros" (the default): the
   * source is read to its end, which must be zero padding and at most 16 MiB
   * of it; a decompressor upstream then also checks its own trailer.
   * "ignore": stop at the end block and release the source.
   */
  trailer?: "zeros" | "ignore";
}

/** The caps used where options do not say. */
export const TAR_READ_DEFAULTS = {
  maxEntrySize: 32 * 1024 ** 3,
  maxEntries: 2_000_000,
  maxMetaSize: 1024 * 1024,
  maxTotalSize: 256 * 1024 ** 3,
} as const;

const MAX_TRAILER = 16 * 1024 * 1024;
const HEADER_ONLY = new Set(["directory", "symlink", "hardlink", "chardev", "blockdev", "fifo"]);
const DECIMAL = /^[0-9]{1,16}$/;
const TIME = /^-?[0-9]{1,16}(\.[0-9]*)?$/;

/** The entries of the tar in `source`, in order. */
export async function* readTar(
  source: AsyncIterable<Uint8Array>,
  options: ReadTarOptions,
): AsyncGenerator<TarEntry> {
  const ctx: CheckContext = { origin: options.origin, package: options.package };
  const maxEntry = options.maxEntrySize ?? TAR_READ_DEFAULTS.maxEntrySize;
  const maxMeta = options.maxMetaSize ?? TAR_READ_DEFAULTS.maxMetaSize;
  const maxEntries = options.maxEntries ?? TAR_READ_DEFAULTS.maxEntries;
  const maxTotal = options.maxTotalSize ?? TAR_READ_DEFAULTS.maxTotalSize;
  const where: Record<string, unknown> = { origin: ctx.origin };
  if (ctx.package !== undefined) where.package = ctx.package;
  const src = new ByteSource(source, `tar in ${options.origin}`, "TAR_INVALID", where);
  const links = options.unchecked ? undefined : new SymlinkTracker(ctx);
  const fail = (
    code: "TAR_INVALID" | "TAR_TOO_LARGE",
    message: string,
    details: Record<string, unknown> = {},
  ) => new CudasealError(code, `${ctx.origin}: ${message}`, { details: { ...where, ...details } });

  let count = 0;
  let total = 0;
  // Pseudo-entry state, applied to the next real entry.
  let local = new Map<string, string>();
  let global = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let pending = false;

  try {
    for (;;) {
      const block = await src.read(BLOCK);
      if (!block) {
        throw fail("TAR_INVALID", "the archive ends without its end-of-archive block", {
          offset: src.offset,
        });
      }
      if (isZeroBlock(block)) {
        if (pending) throw fail("TAR_INVALID", "the archive ends after an extended header with no entry");
        // Entries hidden past the end block would be seen by any tool that reads on (tar -i).
        if (options.trailer !== "ignore") await checkTrailer(src, fail);
        return;
      }
      const h = parseHeader(block);

      if (
        h.type === "pax" ||
        h.type === "pax-global" ||
        h.type === "gnu-longname" ||
        h.type === "gnu-longlink"
      ) {
        if (h.size > maxMeta) {
          throw fail(
            "TAR_TOO_LARGE",
            `a ${h.type} header of ${h.size} bytes is over the limit of ${maxMeta}`,
            {
              size: h.size,
            },
          );
        }
        const padded = await src.read(h.size + padding(h.size));
        if (!padded) throw src.truncated();
        const data = padded.subarray(0, h.size);
        if (h.type === "pax") local = parsePax(data);
        else if (h.type === "pax-global") global = mergeGlobal(global, parsePax(data), maxMeta, fail);
        else if (h.type === "gnu-longname") longName = untilNul(data);
        else longLink = untilNul(data);
        pending = true;
        continue;
      }

      const meta = local.size === 0 ? global : merged(global, local);
      const rawName = nonEmpty(meta.get("path")) ?? longName ?? h.name;
      const rawLink = nonEmpty(meta.get("linkpath")) ?? longLink ?? h.linkname;
      local = new Map();
      longName = undefined;
      longLink = undefined;
      pending = false;
      for (const key of meta.keys()) {
        if (key.startsWith("GNU.sparse.")) {
          throw fail("TAR_INVALID", `entry ${rawName} is a sparse file, which cudaseal does not read`, {
            entry: rawName,
          });
        }
      }
      const size = paxNumber(meta, "size", DECIMAL, h.size, rawName, fail);
      const type = typeOf(h, rawName);

      if (++count > maxEntries) throw fail("TAR_TOO_LARGE", `more than ${maxEntries} entries`);
      if (HEADER_ONLY.has(type) && size !== 0) {
        throw fail("TAR_INVALID", `entry ${rawName} is a ${type} yet declares ${size} bytes of data`, {
          entry: rawName,
          size,
        });
      }
      if (size > maxEntry) {
        throw fail("TAR_TOO_LARGE", `entry ${rawName} is ${size} bytes, over the limit of ${maxEntry}`, {
          entry: rawName,
          size,
        });
      }
      total += size;
      if (total > maxTotal) throw fail("TAR_TOO_LARGE", `the archive holds over ${maxTotal} bytes`);

      if (type === "chardev" || type === "blockdev" || type === "fifo" || type === "other") {
        if (!options.skipSpecial) {
          if (type === "other") {
            throw fail("TAR_INVALID", `entry ${rawName} has the unknown type '${h.typeflag}'`, {
              entry: rawName,
              typeflag: h.typeflag,
            });
          }
          refuseSpecial(rawName, type, ctx);
        }
        await src.skip(size + padding(size));
        continue;
      }

      let path: string;
      let linkname: string | undefined;
      if (options.unchecked) {
        path = loosePath(rawName);
        if (type === "symlink") linkname = rawLink;
        else if (type === "hardlink") linkname = loosePath(rawLink);
      } else {
        path = safePath(rawName, ctx);
        if (path === "" && type !== "directory") {
          throw fail("TAR_INVALID", `a ${type} entry has an empty name`);
        }
        links?.checkParents(path, type);
        if (type === "symlink") {
          checkSymlink(path, rawLink, ctx);
          linkname = rawLink;
        } else if (type === "hardlink") {
          linkname = checkHardlink(path, rawLink, ctx);
          links?.checkParents(linkname, "hardlink target");
        }
        links?.note(path, type);
      }

      // Counts down as the caller reads, so a body left half-read is skipped
      // exactly; once the reader moves on it is 0 and the old body yields nothing.
      const state = { remaining: size };
      const cutShort = () =>
        new CudasealError(
          "TAR_INVALID",
          `${ctx.origin}: entry ${path} declares ${size} bytes but the archive ends first`,
          {
            hint: "the archive is truncated or corrupt",
            details: { ...where, entry: path, declared: size, missing: state.remaining },
          },
        );
      const drain = async () => {
        while (state.remaining > 0) {
          if (await src.atEnd()) throw cutShort();
          state.remaining -= (await src.chunk(state.remaining)).length;
        }
      };
      yield {
        path,
        type,
        mode: h.mode & 0o7777,
        uid: paxNumber(meta, "uid", DECIMAL, h.uid, rawName, fail),
        gid: paxNumber(meta, "gid", DECIMAL, h.gid, rawName, fail),
        mtime: paxNumber(meta, "mtime", TIME, h.mtime, rawName, fail),
        size,
        linkname,
        body: {
          async *[Symbol.asyncIterator]() {
            while (state.remaining > 0) {
              if (await src.atEnd()) throw cutShort();
              const chunk = await src.chunk(state.remaining);
              state.remaining -= chunk.length;
              yield chunk;
            }
          },
        },
        skip: drain,
      };
      await drain();
      const pad = padding(size);
      if (pad > 0) {
        if (!(await src.read(pad))) throw src.truncated();
      }
    }
  } finally {
    await src.close();
  }
}

async function checkTrailer(
  src: ByteSource,
  fail: (code: "TAR_INVALID", message: string, details?: Record<string, unknown>) => CudasealError,
): Promise<void> {
  let seen = 0;
  while (!(await src.atEnd())) {
    const chunk = await src.chunk(MAX_TRAILER);
    seen += chunk.length;
    let zeros = seen <= MAX_TRAILER;
    for (let i = 0; zeros && i < chunk.length; i++) zeros = chunk[i] === 0;
    if (!zeros) throw fail("TAR_INVALID", "data follows the end-of-archive block", { offset: src.offset });
  }
}

/** The entry type, with the old convention that a file whose name ends in `/` is a directory. */
function typeOf(h: RawHeader, name: string): TarEntry["type"] | "chardev" | "blockdev" | "fifo" | "other" {
  if (h.type === "file") return name.endsWith("/") ? "directory" : "file";
  if (
    h.type === "directory" ||
    h.type === "symlink" ||
    h.type === "hardlink" ||
    h.type === "chardev" ||
    h.type === "blockdev" ||
    h.type === "fifo"
  ) {
    return h.type;
  }
  return "other";
}

/** A numeric PAX value, strictly parsed, or the header's own. */
function paxNumber(
  meta: Map<string, string>,
  key: string,
  pattern: RegExp,
  fallback: number,
  entry: string,
  fail: (code: "TAR_INVALID", message: string, details?: Record<string, unknown>) => CudasealError,
): number {
  const text = meta.get(key);
  if (text === undefined || text === "") return fallback;
  if (!pattern.test(text)) {
    throw fail("TAR_INVALID", `entry ${entry} has a bad PAX ${key}: ${JSON.stringify(text)}`, { entry });
  }
  const value = Math.floor(Number(text));
  if (!Number.isSafeInteger(value)) {
    throw fail("TAR_INVALID", `entry ${entry} has an out-of-range PAX ${key}`, { entry });
  }
  return value;
}

function merged(global: Map<string, string>, local: Map<string, string>): Map<string, string> {
  const out = new Map(global);
  for (const [k, v] of local) out.set(k, v);
  return out;
}

/**
 * Global records accumulate; an empty value removes one. Their total size is
 * capped like one header. A global path, link or size would apply to every
 * later entry, and readers disagree on whether they do: refused.
 */
function mergeGlobal(
  global: Map<string, string>,
  records: Map<string, string>,
  max: number,
  fail: (code: "TAR_TOO_LARGE" | "TAR_INVALID", message: string) => CudasealError,
): Map<string, string> {
  const out = new Map(global);
  for (const [k, v] of records) {
    if (k === "path" || k === "linkpath" || k === "size") {
      throw fail("TAR_INVALID", `a global PAX header sets ${k}, for every entry after it`);
    }
    if (v === "") out.delete(k);
    else out.set(k, v);
  }
  let size = 0;
  for (const [k, v] of out) size += k.length + v.length;
  if (size > max) throw fail("TAR_TOO_LARGE", `global PAX records exceed ${max} bytes`);
  return out;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === "" ? undefined : text;
}

function untilNul(data: Buffer): string {
  const nul = data.indexOf(0);
  return data.toString("utf8", 0, nul >= 0 ? nul : data.length);
}

/** The path forms unchecked readers get: no leading `./` or `/`, no trailing slash. */
function loosePath(raw: string): string {
  return raw.replace(/^(\.?\/)+/, "").replace(/\/+$/, "");
}
