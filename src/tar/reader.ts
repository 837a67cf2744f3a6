// A streaming tar reader for untrusted archives. Entries come one at a time
// with their body as a stream of slices; whatever the caller leaves unread is
// skipped before the next header. PAX and GNU long names are applied; paths
// are checked (entry-check.ts) and sizes capped before any body is read.

import { CudasealError } from "../errors.ts";
import { ByteSource } from "./byte-source.ts";
import { checkHardlink, checkSymlink, refuseSpecial, safePath } from "./entry-check.ts";
import { BLOCK, isZeroBlock, padding, parseHeader, parsePax } from "./header.ts";

export interface TarEntry {
  /** Normalised: relative, no `./`, no trailing slash; `` for the root itself. */
  path: string;
  type: "file" | "directory" | "symlink" | "hardlink";
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  /** Symlink target as written, or normalised hardlink target. */
  linkname?: string;
  /** The body; read it or call skip(), before asking for the next entry. */
  body: AsyncIterable<Buffer>;
  skip(): Promise<void>;
}

export interface ReadTarOptions {
  /** Named in errors: the package, the file. */
  origin: string;
  maxEntrySize?: number;
  maxEntries?: number;
  maxMetaSize?: number;
  /** Let device nodes and fifos through as skipped entries instead of failing (for auditing foreign images). */
  skipSpecial?: boolean;
  /** Skip path checks, for readers that do their own (image layers with whiteouts). */
  unchecked?: boolean;
}

const DEFAULTS = { maxEntrySize: 32 * 1024 ** 3, maxEntries: 2_000_000, maxMetaSize: 1024 * 1024 };

export async function* readTar(
  source: AsyncIterable<Uint8Array>,
  options: ReadTarOptions,
): AsyncGenerator<TarEntry> {
  const ctx = { origin: options.origin };
  const maxEntry = options.maxEntrySize ?? DEFAULTS.maxEntrySize;
  const maxMeta = options.maxMetaSize ?? DEFAULTS.maxMetaSize;
  const maxEntries = options.maxEntries ?? DEFAULTS.maxEntries;
  const src = new ByteSource(source, `tar in ${options.origin}`, "TAR_INVALID");
  let count = 0;
  let pax = new Map<string, string>();
  let globalPax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      const block = await src.read(BLOCK);
      if (!block || isZeroBlock(block)) return;
      const h = parseHeader(block);
      if (h.size > (h.type === "file" ? maxEntry : maxMeta) && h.type !== "directory") {
        throw new CudasealError(
          "TAR_TOO_LARGE",
          `${ctx.origin}: entry ${h.name} is ${h.size} bytes, over the limit`,
          {
            details: { origin: ctx.origin, entry: h.name, size: h.size },
          },
        );
      }
      if (
        h.type === "pax" ||
        h.type === "pax-global" ||
        h.type === "gnu-longname" ||
        h.type === "gnu-longlink"
      ) {
        const data = await src.read(h.size + padding(h.size));
        if (!data && h.size > 0) throw src.truncated();
        const body = (data ?? Buffer.alloc(0)).subarray(0, h.size);
        if (h.type === "pax") pax = parsePax(body);
        else if (h.type === "pax-global") globalPax = new Map([...globalPax, ...parsePax(body)]);
        else if (h.type === "gnu-longname") longName = body.toString("utf8").replace(/\0+$/, "");
        else longLink = body.toString("utf8").replace(/\0+$/, "");
        continue;
      }
      if (++count > maxEntries)
        throw new CudasealError("TAR_TOO_LARGE", `${ctx.origin}: more than ${maxEntries} entries`);
      const meta = new Map([...globalPax, ...pax]);
      const rawName = meta.get("path") ?? longName ?? h.name;
      const rawLink = meta.get("linkpath") ?? longLink ?? h.linkname;
      const size = meta.has("size") ? Number(meta.get("size")) : h.size;
      if (!Number.isSafeInteger(size) || size < 0 || size > maxEntry) {
        throw new CudasealError("TAR_TOO_LARGE", `${ctx.origin}: entry ${rawName} has an impossible size`);
      }
      pax = new Map();
      longName = undefined;
      longLink = undefined;
      const dataSize =
        h.type === "file"
          ? size
          : h.type === "hardlink" || h.type === "symlink" || h.type === "directory"
            ? 0
            : size;
      let remaining = dataSize;
      // Counts down as the caller reads, so a body left half-read is skipped exactly.
      const take = async function* () {
        for await (const chunk of src.take(remaining)) {
          remaining -= chunk.length;
          yield chunk;
        }
      };
      const finish = async () => {
        if (remaining > 0) await src.skip(remaining);
        remaining = 0;
        await src.skip(padding(dataSize));
      };
      if (h.type === "chardev" || h.type === "blockdev" || h.type === "fifo" || h.type === "other") {
        if (!options.skipSpecial)
          refuseSpecial(rawName, h.type === "other" ? `type '${h.typeflag}' entry` : h.type, ctx);
        await finish();
        continue;
      }
      const path = options.unchecked
        ? rawName.replace(/^(\.\/)+/, "").replace(/\/+$/, "")
        : safePath(rawName, ctx);
      let linkname: string | undefined;
      if (h.type === "symlink") {
        if (!options.unchecked) checkSymlink(path, rawLink, ctx);
        linkname = rawLink;
      } else if (h.type === "hardlink") {
        linkname = options.unchecked ? rawLink.replace(/^(\.\/)+/, "") : checkHardlink(path, rawLink, ctx);
      }
      const entry: TarEntry = {
        path,
        type: h.type,
        mode: meta.has("mode") ? Number.parseInt(meta.get("mode")!, 8) : h.mode,
        uid: meta.has("uid") ? Number(meta.get("uid")) : h.uid,
        gid: meta.has("gid") ? Number(meta.get("gid")) : h.gid,
        mtime: meta.has("mtime") ? Math.floor(Number(meta.get("mtime"))) : h.mtime,
        size: dataSize,
        linkname,
        body: take(),
        skip: async () => {
          if (remaining > 0) await src.skip(remaining);
          remaining = 0;
        },
      };
      yield entry;
      await finish();
    }
  } finally {
    await src.close();
  }
}
