// Opens a .deb as a stream, with no dpkg-deb and no disk:
//
//   ar archive
//   ├─ debian-binary     "2.0\n"                 checked
//   ├─ _*                reserved (signatures)   skipped, as deb(5) asks
//   ├─ control.tar[.xz|.zst|.gz]                 read whole (small, capped)
//   └─ data.tar[.xz|.zst|.gz]                    streamed, entry by entry
//
// Anything else before data.tar is refused; members after it are ignored,
// as deb(5) asks. Each tar is read past its end-of-archive block to the end
// of its member: the decompressor only checks its own integrity trailer (xz
// and zstd checksums, gzip's CRC) at the very end, and anything but zero
// padding after the end block is refused, since a tool that reads past it
// would see files we did not.

import { CudasealError, isCudasealError } from "../errors.ts";
import { readTar, type TarEntry } from "../tar/reader.ts";
import { type ArMember, readAr } from "./ar.ts";
import { type DebControl, readControl } from "./control.ts";
import { type Compression, compressionOf, decompress } from "./decompress.ts";

export interface OpenDebOptions {
  /** The package, named in errors and their details. */
  packageName: string;
  /** Largest data.tar file, bytes. */
  maxEntrySize?: number;
  /** Most data.tar entries. */
  maxEntries?: number;
  /** Most data.tar file bytes in all. */
  maxTotalSize?: number;
  /** Largest control.tar member, compressed, bytes. */
  maxControlSize?: number;
}

/** An opened .deb: its control data, read, and its files, to be streamed. */
export interface OpenedDeb {
  control: DebControl;
  /** How data.tar is compressed. */
  dataCompression: Compression;
  /**
   * data.tar's entries, path-checked, paths without the leading `./` (the
   * root is ``). Iterate once, reading or skipping each body before the next.
   * Finishing, breaking out or failing releases the source.
   */
  entries: AsyncGenerator<TarEntry>;
  /** Release the source when `entries` will not be iterated to its end. */
  close(): Promise<void>;
}

const MEMBER = /^(control|data)\.tar(\.[A-Za-z0-9]+)?$/;
const MAX_DEBIAN_BINARY = 1024;
const DEFAULT_MAX_CONTROL = 64 * 1024 * 1024;

/** Open the .deb in `source`; resolves once its control data is read. */
export async function openDeb(
  source: AsyncIterable<Uint8Array>,
  options: OpenDebOptions,
): Promise<OpenedDeb> {
  const origin = options.packageName;
  const members = readAr(source, { origin, package: origin });
  let handedOff = false;
  try {
    const first = await members.next();
    if (first.done) throw invalid(origin, "the archive is empty");
    if (first.value.name !== "debian-binary") {
      throw invalid(origin, `the first member is ${JSON.stringify(first.value.name)}, not debian-binary`);
    }
    const version = (await collect(first.value, MAX_DEBIAN_BINARY, origin)).toString("latin1").split("\n")[0];
    // deb(5): format 2.x; readers must accept a higher minor and ignore extra lines.
    if (!/^2\.[0-9]+$/.test(version)) {
      throw invalid(origin, `unsupported .deb format ${JSON.stringify(version)}`, { format: version });
    }
    let control: DebControl | undefined;
    for (;;) {
      const next = await members.next();
      if (next.done) throw invalid(origin, control ? "no data.tar member" : "no control.tar member");
      const member = next.value;
      if (member.name.startsWith("_")) {
        await member.skip();
        continue;
      }
      const kind = MEMBER.exec(member.name)?.[1];
      if (!kind) {
        throw invalid(origin, `unexpected member ${JSON.stringify(member.name)}`, { member: member.name });
      }
      const compression = memberCompression(member.name, origin);
      if (kind === "control") {
        if (control) throw invalid(origin, "two control.tar members");
        const bytes = await collect(member, options.maxControlSize ?? DEFAULT_MAX_CONTROL, origin);
        control = await readControl(decompress([bytes], member.name, origin), { origin });
        continue;
      }
      if (!control) throw invalid(origin, "data.tar comes before control.tar");
      const entries = dataEntries(member, members, options);
      handedOff = true;
      return {
        control,
        dataCompression: compression,
        entries,
        close: async () => {
          await entries.return(undefined);
          await members.return(undefined);
        },
      };
    }
  } finally {
    if (!handedOff) await members.return(undefined);
  }
}

async function* dataEntries(
  member: ArMember,
  members: AsyncGenerator<ArMember>,
  options: OpenDebOptions,
): AsyncGenerator<TarEntry> {
  const origin = options.packageName;
  try {
    // The tar reader reads its member to the very end (see the header).
    yield* readTar(decompress(member.body, member.name, origin), {
      origin,
      package: origin,
      maxEntrySize: options.maxEntrySize,
      maxEntries: options.maxEntries,
      maxTotalSize: options.maxTotalSize,
    });
  } finally {
    await members.return(undefined);
  }
}

async function collect(member: ArMember, max: number, origin: string): Promise<Buffer> {
  if (member.size > max) {
    throw invalid(origin, `${member.name} is ${member.size} bytes, over the limit of ${max}`, {
      member: member.name,
    });
  }
  const chunks: Buffer[] = [];
  for await (const c of member.body) chunks.push(c);
  return Buffer.concat(chunks, member.size);
}

function memberCompression(name: string, origin: string): Compression {
  try {
    return compressionOf(name);
  } catch (err) {
    if (!isCudasealError(err)) throw err;
    throw new CudasealError(err.code, `${origin}: ${err.message}`, {
      hint: err.hint,
      details: { ...err.details, package: origin },
    });
  }
}

function invalid(origin: string, message: string, details: Record<string, unknown> = {}): CudasealError {
  return new CudasealError("DEB_INVALID", `${origin}: ${message}`, {
    hint: "the file is corrupt or not a Debian binary package",
    details: { package: origin, ...details },
  });
}
