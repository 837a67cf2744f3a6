// Opens a .deb as a stream, with no dpkg-deb and no disk:
//
//   ar archive
//   ├─ debian-binary     "2.0\n"                 checked
//   ├─ _*                reserved (signatures)   skipped, as deb(5) asks
//   ├─ control.tar[.xz|.zst|.gz]                 read whole (small, capped)
//   └─ data.tar[.xz|.zst|.gz]                    streamed, entry by entry
//
// Anything else before data.tar is refused; members after it are ignored,
// as deb(5) asks. Each tar is read up to its end-of-archive block, and the
// rest of its member is then drained: the decompressor only checks its own
// integrity trailer (xz and zstd checksums, gzip's CRC) at the very end, and
// anything but zero padding after the end block is refused, since a tool
// that reads past it would see files we did not.

import { CudasealError } from "../errors.ts";
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
// What may follow a tar's end block in its member: the rest of the record, in practice.
const MAX_TAR_TRAILER = 16 * 1024 * 1024;

/** Open the .deb in `source`; resolves once its control data is read. */
export async function openDeb(
  source: AsyncIterable<Uint8Array>,
  options: OpenDebOptions,
): Promise<OpenedDeb> {
  const origin = options.packageName;
  const members = readAr(source, { origin });
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
      if (!kind)
        throw invalid(origin, `unexpected member ${JSON.stringify(member.name)}`, { member: member.name });
      const compression = compressionOf(member.name);
      if (kind === "control") {
        if (control) throw invalid(origin, "two control.tar members");
        const bytes = await collect(member, options.maxControlSize ?? DEFAULT_MAX_CONTROL, origin);
        control = await readControlMember(bytes, member.name, origin);
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
  const stream = decompress(member.body, member.name, origin);
  try {
    yield* readTar(keepOpen(stream), {
      origin,
      package: origin,
      maxEntrySize: options.maxEntrySize,
      maxEntries: options.maxEntries,
      maxTotalSize: options.maxTotalSize,
    });
    await drainTrailer(stream, member.name, origin);
  } finally {
    await stream.return(undefined);
    await members.return(undefined);
  }
}

async function readControlMember(bytes: Buffer, name: string, origin: string): Promise<DebControl> {
  const stream = decompress([bytes], name, origin);
  try {
    const control = await readControl(keepOpen(stream), { origin });
    await drainTrailer(stream, name, origin);
    return control;
  } finally {
    await stream.return(undefined);
  }
}

/** `stream` for a tar reader, which closes its source at the end block: this one stays open for the drain. */
function keepOpen(stream: AsyncGenerator<Buffer>): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => stream.next(),
      return: async () => ({ done: true, value: undefined }),
    }),
  };
}

async function drainTrailer(stream: AsyncGenerator<Buffer>, name: string, origin: string): Promise<void> {
  let seen = 0;
  for (;;) {
    const r = await stream.next();
    if (r.done) return;
    seen += r.value.length;
    if (seen > MAX_TAR_TRAILER || !isZeros(r.value)) {
      throw invalid(origin, `${name} holds data after its tar's end-of-archive block`, { member: name });
    }
  }
}

function isZeros(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
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

function invalid(origin: string, message: string, details: Record<string, unknown> = {}): CudasealError {
  return new CudasealError("DEB_INVALID", `${origin}: ${message}`, {
    hint: "the file is corrupt or not a Debian binary package",
    details: { package: origin, ...details },
  });
}
