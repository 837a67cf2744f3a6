// Builds the compact form (index-cache-format.ts) of one verified Packages
// file by streaming it: decompressed chunk by chunk, cut into paragraphs as
// they complete, each paragraph checked as toPackageRecord checks it and
// written out as binary fields. No more than a chunk and one paragraph of
// text, and the name table, are in memory at once. The file appears under its
// final name only when whole (temp + rename).

import { randomBytes } from "node:crypto";
import { closeSync, createReadStream, openSync, renameSync, rmSync, writeSync } from "node:fs";
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { crc32 } from "node:zlib";
import { parseDeb822 } from "../deb/deb822.ts";
import { decompressorFor } from "../deb/decompress.ts";
import { CudasealError } from "../errors.ts";
import { encodeFields, encodeHeader, HEADER_SIZE } from "./index-cache-format.ts";
import { toPackageRecord } from "./package-record.ts";
import type { RepoRef } from "./types.ts";

/** What one build needs; plain data, so that a worker thread can be handed it. */
export interface IndexBuildJob {
  /** The verified Packages file (compressed as `suffix` says). */
  file: string;
  /** `.xz`, `.gz` or "" . */
  suffix: string;
  /** Its signed SHA256, which the entry is keyed by. */
  sha256: string;
  arch: string;
  /** Where the entry goes. */
  dest: string;
  /** The repository, for messages about malformed records only. */
  repo: RepoRef;
  /** Most bytes the index may decompress to. */
  maxBytes: number;
}

export interface IndexBuildResult {
  records: number;
  names: number;
}

const FLUSH = 1024 * 1024;

/** Build the entry `job.dest` from `job.file`. */
export async function buildIndexCache(job: IndexBuildJob): Promise<IndexBuildResult> {
  const tmp = `${job.dest}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", 0o644);
  try {
    const writer = new EntryWriter(fd);
    await forEachParagraph(job, (text) => writer.add(text, job));
    const result = writer.finish(job);
    closeSync(fd);
    renameSync(tmp, job.dest);
    return result;
  } catch (err) {
    try {
      closeSync(fd);
    } catch {}
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Accumulates records, their offsets and the name table, and writes the file. */
class EntryWriter {
  readonly #fd: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #position = HEADER_SIZE;
  #recordsBytes = 0;
  /** Per record: its start and its CRC-32. */
  readonly #offsets: number[] = [];
  /** Name → [real record ids, provider (id, Provides position) pairs]. */
  readonly #names = new Map<string, [number[], number[]]>();

  constructor(fd: number) {
    this.#fd = fd;
  }

  add(text: string, job: IndexBuildJob): void {
    const [paragraph] = parseDeb822(text, { source: `${job.repo.uri} ${job.repo.suite} Packages` });
    if (!paragraph) return;
    const record = toPackageRecord(paragraph, job.repo);
    // A flat repository mixes architectures in one index.
    if (record.arch !== job.arch && record.arch !== "all") return;
    const id = this.#offsets.length / 2;
    const bytes = encodeFields(paragraph.fields);
    this.#offsets.push(this.#recordsBytes, crc32(bytes));
    this.#entry(record.name)[0].push(id);
    for (const [i, p] of record.provides.entries()) this.#entry(p.name)[1].push(id, i);
    this.#recordsBytes += bytes.length;
    if (this.#recordsBytes > 0xffffffff) {
      throw new CudasealError("FETCH_TOO_LARGE", "a Packages index holds more than 4 GiB of records");
    }
    this.#write(bytes);
  }

  finish(job: IndexBuildJob): IndexBuildResult {
    const records = this.#offsets.length / 2;
    const offsets = Buffer.alloc((records + 1) * 8);
    this.#offsets.forEach((n, i) => {
      offsets.writeUInt32LE(n, i * 4);
    });
    offsets.writeUInt32LE(this.#recordsBytes, records * 8);
    // Sorted by bytes, as the reader's binary search compares them.
    const names = [...this.#names.keys()].map((name) => Buffer.from(name, "utf8")).sort(Buffer.compare);
    const nameIndex = Buffer.alloc(names.length * 4);
    const table: Buffer[] = [];
    let namesBytes = 0;
    names.forEach((n, i) => {
      const [real, providers] = this.#names.get(n.toString("utf8"))!;
      const out = Buffer.alloc(2 + n.length + 8 + real.length * 4 + (providers.length / 2) * 6);
      let at = out.writeUInt16LE(n.length, 0);
      at += n.copy(out, at);
      at = out.writeUInt32LE(real.length, at);
      at = out.writeUInt32LE(providers.length / 2, at);
      for (const id of real) at = out.writeUInt32LE(id, at);
      for (let j = 0; j < providers.length; j += 2) {
        at = out.writeUInt32LE(providers[j], at);
        at = out.writeUInt16LE(providers[j + 1], at);
      }
      nameIndex.writeUInt32LE(namesBytes, i * 4);
      namesBytes += out.length;
      table.push(out);
    });
    const tables = Buffer.concat([offsets, nameIndex, ...table]);
    this.#write(tables);
    this.#flush();
    const header = encodeHeader({
      source: job.sha256,
      arch: job.arch,
      records,
      names: names.length,
      recordsBytes: this.#recordsBytes,
      offsetsBytes: offsets.length,
      nameIndexBytes: nameIndex.length,
      namesBytes,
      tables: crc32(tables),
    });
    writeSync(this.#fd, header, 0, header.length, 0);
    return { records, names: names.length };
  }

  #entry(name: string): [number[], number[]] {
    let entry = this.#names.get(name);
    if (!entry) {
      entry = [[], []];
      this.#names.set(name, entry);
    }
    return entry;
  }

  #write(bytes: Buffer): void {
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    if (this.#pendingBytes >= FLUSH) this.#flush();
  }

  #flush(): void {
    if (this.#pendingBytes === 0) return;
    const block = Buffer.concat(this.#pending, this.#pendingBytes);
    let done = 0;
    while (done < block.length) {
      done += writeSync(this.#fd, block, done, block.length - done, this.#position + done);
    }
    this.#position += block.length;
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}

/**
 * Each paragraph's text of the decompressed index, in order. A paragraph ends
 * at a blank line (empty, or only spaces and tabs), as deb822.ts reads them.
 */
async function forEachParagraph(job: IndexBuildJob, each: (text: string) => void): Promise<void> {
  const input: Readable = createReadStream(job.file);
  const stream = job.suffix ? input.pipe(decompressorFor(`Packages${job.suffix}`)) : input;
  input.on("error", (err) => stream.destroy(err));
  const decoder = new StringDecoder("utf8");
  let text = "";
  let total = 0;
  // Where the next unread line of `text` starts: a long paragraph is not rescanned per chunk.
  let resume = 0;
  const drain = (final: boolean) => {
    let start = 0;
    let pos = resume;
    for (;;) {
      const nl = text.indexOf("\n", pos);
      if (nl === -1) break;
      if (isBlank(text, pos, nl)) {
        if (pos > start) each(text.slice(start, pos));
        start = nl + 1;
      }
      pos = nl + 1;
    }
    if (final) {
      if (text.length > start && !isBlank(text, start, text.length)) each(text.slice(start));
      text = "";
    } else {
      text = text.slice(start);
      resume = pos - start;
    }
  };
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > job.maxBytes) {
      stream.destroy();
      throw new CudasealError(
        "FETCH_TOO_LARGE",
        `${job.file} decompresses to more than ${job.maxBytes} bytes`,
      );
    }
    text += decoder.write(chunk as Buffer);
    drain(false);
  }
  text += decoder.end();
  drain(true);
}

/** True when text[from, to) holds only spaces, tabs and a CR. */
function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
