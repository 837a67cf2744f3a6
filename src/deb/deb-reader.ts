// Opens a .deb as a stream: `debian-binary` (2.0), then control.tar.* read
// whole (it is small and capped), then data.tar.* as a stream of checked tar
// entries. Nothing shells out to dpkg-deb and nothing touches the disk.

import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CudasealError } from "../errors.ts";
import { ByteSource } from "../tar/byte-source.ts";
import { readTar, type TarEntry } from "../tar/reader.ts";
import { readAr } from "./ar.ts";
import { type DebControl, readControl } from "./control.ts";
import { decompressorFor } from "./decompress.ts";

export interface OpenDebOptions {
  /** Named in errors. */
  packageName: string;
}

export interface OpenedDeb {
  control: DebControl;
  /** data.tar's entries; iterate once. */
  entries: AsyncIterable<TarEntry>;
}

const MEMBER = /^(control|data)\.tar(\.xz|\.zst|\.gz)?$/;

export async function openDeb(
  source: AsyncIterable<Uint8Array>,
  options: OpenDebOptions,
): Promise<OpenedDeb> {
  const origin = options.packageName;
  const src = new ByteSource(source, `.deb ${origin}`, "DEB_INVALID");
  const members = readAr(src, origin);
  const first = await members.next();
  if (first.done || first.value.name !== "debian-binary") {
    throw new CudasealError("DEB_INVALID", `${origin}: the first member is not debian-binary`);
  }
  const version = (await collect(first.value.body, 64)).toString("latin1").trim();
  if (!/^2\.\d+$/.test(version)) {
    throw new CudasealError("DEB_INVALID", `${origin}: unsupported .deb format ${JSON.stringify(version)}`);
  }
  let control: DebControl | undefined;
  for (;;) {
    const next = await members.next();
    if (next.done) throw new CudasealError("DEB_INVALID", `${origin}: no data.tar member`);
    const member = next.value;
    if (member.name.startsWith("_")) {
      // Reserved members (signatures) come before the data; skip them.
      await member.skip();
      continue;
    }
    const m = MEMBER.exec(member.name);
    if (!m)
      throw new CudasealError("DEB_INVALID", `${origin}: unexpected member ${member.name}`, {
        hint: "cudaseal reads xz, zstd and gzip packages",
      });
    if (m[1] === "control") {
      if (control) throw new CudasealError("DEB_INVALID", `${origin}: two control members`);
      control = await readControl(decompressed(member.body, member.name), origin);
      continue;
    }
    if (!control) throw new CudasealError("DEB_INVALID", `${origin}: data.tar comes before control.tar`);
    return { control, entries: readTar(decompressed(member.body, member.name), { origin }) };
  }
}

/** Pipe `body` through the decompressor its member name asks for. */
function decompressed(body: AsyncIterable<Buffer>, name: string): AsyncIterable<Uint8Array> {
  const dec = decompressorFor(name);
  const input = Readable.from(body, { objectMode: false });
  pipeline(input, dec).catch((err) => {
    dec.destroy(
      err instanceof CudasealError
        ? err
        : new CudasealError("DEB_INVALID", `cannot decompress ${name}: ${(err as Error).message}`, {
            cause: err,
          }),
    );
  });
  return dec;
}

async function collect(body: AsyncIterable<Buffer>, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > max) throw new CudasealError("DEB_INVALID", "debian-binary is too large");
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
