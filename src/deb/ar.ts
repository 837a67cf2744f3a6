// The `ar` container that wraps a .deb, read as a stream.
//
// `!<arch>\n`, then per member a 60-byte header — name 0+16, mtime 16+12,
// uid 28+6, gid 34+6, mode 40+8, size 48+10 (decimal, space padded), and
// "`\n" — then the body, padded with "\n" to an even length. Names come in
// three dialects: plain and space padded (what dpkg-deb writes), GNU (`name/`,
// with `/N` pointing into a `//` table of long names), and BSD (`#1/N`: the
// name is the first N bytes of the body). Only the fields a reader needs are
// decoded; ownership, dates and modes of members mean nothing in a .deb.

import { CudasealError, isCudasealError } from "../errors.ts";
import { ByteSource } from "../tar/byte-source.ts";

/** One member; read its body or skip() before asking for the next. */
export interface ArMember {
  name: string;
  /** Bytes of body (for BSD long names, without the name). */
  size: number;
  body: AsyncIterable<Buffer>;
  skip(): Promise<void>;
}

export interface ReadArOptions {
  /** Named in errors: a package, a file. */
  origin: string;
  /** The package the archive is, added to error details. */
  package?: string;
  /** Largest member, bytes. */
  maxMemberSize?: number;
}

const MAGIC = "!<arch>\n";
const HEADER = 60;
const MAX_MEMBER = 64 * 1024 ** 3;
const MAX_NAME_TABLE = 1024 * 1024;
const MAX_BSD_NAME = 4096;

/** The members of the ar archive in `source`, in order. Stopping early releases the source. */
export async function* readAr(
  source: AsyncIterable<Uint8Array>,
  options: ReadArOptions,
): AsyncGenerator<ArMember> {
  const origin = options.origin;
  const maxMember = options.maxMemberSize ?? MAX_MEMBER;
  const where: Record<string, unknown> = { origin };
  if (options.package !== undefined) where.package = options.package;
  const src = new ByteSource(source, `ar archive ${origin}`, "DEB_INVALID", where);
  const invalid = (message: string, details: Record<string, unknown> = {}) =>
    new CudasealError("DEB_INVALID", `${origin}: ${message}`, {
      hint: "the file is corrupt or not a Debian package",
      details: { ...where, offset: src.offset, ...details },
    });
  try {
    let magic: Buffer | undefined;
    try {
      magic = await src.read(MAGIC.length);
    } catch (err) {
      // Shorter than the magic: not an ar archive. Other failures (I/O) are the source's own.
      if (!isCudasealError(err, "DEB_INVALID")) throw err;
    }
    if (!magic || magic.toString("latin1") !== MAGIC) throw invalid("not an ar archive (no !<arch> magic)");
    let longNames: Buffer | undefined;
    for (;;) {
      if (await src.atEnd()) return;
      const header = await src.read(HEADER);
      if (!header) return;
      if (header[58] !== 0x60 || header[59] !== 0x0a) throw invalid("malformed ar member header");
      const sizeText = header.toString("latin1", 48, 58);
      if (!/^[0-9]+ *$/.test(sizeText)) {
        throw invalid("an ar member has a malformed size", { size: sizeText });
      }
      // The stored size counts a BSD long name too; the pad follows all of it.
      const stored = Number(sizeText.trimEnd());
      if (stored > maxMember) {
        throw invalid(`an ar member is ${stored} bytes, over the limit of ${maxMember}`, { size: stored });
      }
      let size = stored;
      let name = header.toString("latin1", 0, 16).trimEnd();

      if (name === "//") {
        // GNU table of long names, one per line ending in "/\n".
        if (size > MAX_NAME_TABLE) throw invalid("the ar long-name table is too large", { size });
        longNames = await src.read(size);
        if (!longNames) throw src.truncated();
        await skipPad(src, size);
        continue;
      }
      const bsd = /^#1\/([0-9]+)$/.exec(name);
      const gnuRef = /^\/([0-9]+)$/.exec(name);
      if (bsd) {
        const n = Number(bsd[1]);
        if (n > MAX_BSD_NAME || n > size) throw invalid("a BSD ar long name is malformed", { name });
        const raw = await src.read(n);
        if (!raw) throw src.truncated();
        name = raw.toString("latin1").replace(/\0+$/, "");
        size -= n;
      } else if (gnuRef) {
        const at = Number(gnuRef[1]);
        if (!longNames || at >= longNames.length) {
          throw invalid("a GNU ar long name points nowhere", { name });
        }
        const end = longNames.indexOf("/\n", at, "latin1");
        name = longNames.toString("latin1", at, end < 0 ? longNames.length : end);
      } else if (name !== "/" && name.endsWith("/")) {
        // GNU ends short names with a slash; `/` alone is its symbol table.
        name = name.slice(0, -1);
      }
      if (name === "" || name.includes("\0") || (name.includes("/") && name !== "/")) {
        throw invalid("an ar member has a malformed name", { name });
      }

      const state = { remaining: size };
      const drain = async () => {
        while (state.remaining > 0) state.remaining -= (await src.chunk(state.remaining)).length;
      };
      yield {
        name,
        size,
        body: {
          async *[Symbol.asyncIterator]() {
            while (state.remaining > 0) {
              const chunk = await src.chunk(state.remaining);
              state.remaining -= chunk.length;
              yield chunk;
            }
          },
        },
        skip: drain,
      };
      await drain();
      await skipPad(src, stored);
    }
  } finally {
    await src.close();
  }
}

/** Members are padded to an even length; the last one's pad byte is often missing. */
async function skipPad(src: ByteSource, size: number): Promise<void> {
  if (size % 2 === 1 && !(await src.atEnd())) await src.skip(1);
}
