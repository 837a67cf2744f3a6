// Builds the compact form (index-cache-format.ts) of one verified Packages
// file by streaming it: decompressed chunk by chunk, cut into paragraphs as
// they complete, each paragraph checked for what the name table needs (the
// full toPackageRecord checks run when a record is decoded) and written out
// as binary fields. No more than a chunk and one paragraph of
// text, and the name table, are in memory at once. The file appears under its
// final name only when whole (temp + rename).

import { randomBytes } from "node:crypto";
import { closeSync, createReadStream, openSync, renameSync, rmSync, writeSync } from "node:fs";
import type { Readable, Transform } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { crc32 } from "node:zlib";
import { type Paragraph, parseDeb822 } from "../deb/deb822.ts";
import { CudasealError } from "../errors.ts";
import { encodedSize, encodeFieldsInto, encodeHeader, HEADER_SIZE } from "./index-cache-format.ts";
import { parseRelationList } from "./relations.ts";
import type { Relation, RepoRef } from "./types.ts";

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
  /** The temporary file it is written to first; default a fresh name beside `dest`. */
  tmp?: string;
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

/**
 * A decompressor for a `Packages.xz` or `.gz`. Passed in rather than imported:
 * deb/decompress.ts loads lzma-native, whose addon cannot be loaded by a
 * worker thread as well as the main thread, so the worker brings its own.
 */
export type Decompressor = (suffix: string) => Transform;

/** Build the entry `job.dest` from `job.file`. */
export async function buildIndexCache(
  job: IndexBuildJob,
  decompress: Decompressor,
): Promise<IndexBuildResult> {
  const tmp = job.tmp ?? `${job.dest}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", 0o644);
  try {
    const writer = new EntryWriter(fd);
    await forEachParagraph(job, decompress, (text) => writer.add(text, job));
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
  /** Records encoded and not yet written. */
  #block = Buffer.allocUnsafe(FLUSH);
  #used = 0;
  #position = HEADER_SIZE;
  #recordsBytes = 0;
  /** Per record: its start and its CRC-32. */
  #offsets = new Uint32Array(2 * 1024);
  #records = 0;
  // The name table in flat arrays, not an object per name: an archive has
  // some 100k names, and this is what stays in memory to the end.
  readonly #nameIds = new Map<string, number>();
  readonly #nameList: string[] = [];
  /** Triples (name id, record id, Provides position or REAL). */
  #refs = new Uint32Array(3 * 1024);
  #refCount = 0;

  constructor(fd: number) {
    this.#fd = fd;
  }

  add(text: string, job: IndexBuildJob): void {
    const [paragraph] = parseDeb822(text, { source: `${job.repo.uri} ${job.repo.suite} Packages` });
    if (!paragraph) return;
    const { name, arch, provides } = tableFields(paragraph, job.repo);
    // A flat repository mixes architectures in one index.
    if (arch !== job.arch && arch !== "all") return;
    const id = this.#records++;
    const size = encodedSize(paragraph.fields);
    if (this.#used + size > this.#block.length) this.#flush();
    if (size > this.#block.length) this.#block = Buffer.allocUnsafe(size);
    const start = this.#used;
    this.#used = encodeFieldsInto(paragraph.fields, this.#block, start);
    if (this.#offsets.length < this.#records * 2) this.#offsets = grow(this.#offsets);
    this.#offsets[id * 2] = this.#recordsBytes;
    this.#offsets[id * 2 + 1] = crc32(this.#block.subarray(start, this.#used));
    this.#ref(name, id, REAL);
    for (const [i, p] of provides.entries()) this.#ref(p.name, id, i);
    this.#recordsBytes += size;
    if (this.#recordsBytes > 0xffffffff) {
      throw new CudasealError("FETCH_TOO_LARGE", "a Packages index holds more than 4 GiB of records");
    }
  }

  finish(job: IndexBuildJob): IndexBuildResult {
    const records = this.#records;
    const names = this.#nameList.length;
    const offsets = Buffer.alloc((records + 1) * 8);
    for (let i = 0; i < records * 2; i++) offsets.writeUInt32LE(this.#offsets[i], i * 4);
    offsets.writeUInt32LE(this.#recordsBytes, records * 8);
    // Each name's counts, then its entry's place, in byte order (the reader's binary search compares bytes).
    const real = new Uint32Array(names);
    const provided = new Uint32Array(names);
    for (let r = 0; r < this.#refCount; r++) {
      if (this.#refs[r * 3 + 2] === REAL) real[this.#refs[r * 3]]++;
      else provided[this.#refs[r * 3]]++;
    }
    const encoded = this.#nameList.map((name) => Buffer.byteLength(name, "utf8"));
    const order = [...this.#nameList.keys()].sort((a, b) => byteOrder(this.#nameList[a], this.#nameList[b]));
    const nameIndex = Buffer.alloc(names * 4);
    const start = new Uint32Array(names);
    let namesBytes = 0;
    for (const [i, n] of order.entries()) {
      nameIndex.writeUInt32LE(namesBytes, i * 4);
      start[n] = namesBytes;
      namesBytes += 2 + encoded[n] + 8 + real[n] * 4 + provided[n] * 6;
    }
    const table = Buffer.alloc(namesBytes);
    // Then fill each entry: its name and counts, and its references in record order.
    const nextReal = new Uint32Array(names);
    const nextProvider = new Uint32Array(names);
    for (let n = 0; n < names; n++) {
      let at = table.writeUInt16LE(encoded[n], start[n]);
      at += table.write(this.#nameList[n], at, "utf8");
      at = table.writeUInt32LE(real[n], at);
      at = table.writeUInt32LE(provided[n], at);
      nextReal[n] = at;
      nextProvider[n] = at + real[n] * 4;
    }
    for (let r = 0; r < this.#refCount; r++) {
      const [n, id, position] = [this.#refs[r * 3], this.#refs[r * 3 + 1], this.#refs[r * 3 + 2]];
      if (position === REAL) nextReal[n] = table.writeUInt32LE(id, nextReal[n]);
      else nextProvider[n] = table.writeUInt16LE(position, table.writeUInt32LE(id, nextProvider[n]));
    }
    const tables = Buffer.concat([offsets, nameIndex, table]);
    this.#flush();
    this.#writeAt(tables);
    const header = encodeHeader({
      source: job.sha256,
      arch: job.arch,
      records,
      names,
      recordsBytes: this.#recordsBytes,
      offsetsBytes: offsets.length,
      nameIndexBytes: nameIndex.length,
      namesBytes,
      tables: crc32(tables),
    });
    writeSync(this.#fd, header, 0, header.length, 0);
    return { records, names };
  }

  #ref(name: string, id: number, position: number): void {
    let n = this.#nameIds.get(name);
    if (n === undefined) {
      n = this.#nameList.length;
      // A copy: the name as parsed is a slice of the chunk of text it was read
      // from, and as a key kept to the end it would keep every chunk alive.
      const own = Buffer.from(name, "utf8").toString("utf8");
      this.#nameIds.set(own, n);
      this.#nameList.push(own);
    }
    if (this.#refs.length < (this.#refCount + 1) * 3) this.#refs = grow(this.#refs);
    const at = this.#refCount++ * 3;
    this.#refs[at] = n;
    this.#refs[at + 1] = id;
    this.#refs[at + 2] = position;
  }

  #flush(): void {
    this.#writeAt(this.#block.subarray(0, this.#used));
    this.#used = 0;
  }

  #writeAt(bytes: Buffer): void {
    let done = 0;
    while (done < bytes.length) {
      done += writeSync(this.#fd, bytes, done, bytes.length - done, this.#position + done);
    }
    this.#position += bytes.length;
  }
}

const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
const ARCH = /^[a-z0-9][a-z0-9-]*$/;
// What toPackageRecord requires of every paragraph.
const REQUIRED = ["Package", "Version", "Architecture", "Filename", "Size", "SHA256"];

/**
 * What the name table and the architecture filter need of a paragraph: its
 * name, architecture and Provides, parsed as toPackageRecord parses them (a
 * Provides position here is one there). The rest of toPackageRecord's checks
 * (versions, relations, paths, hashes) run when a record is decoded, which
 * is where its errors surface; relation parsing of every Depends was most of
 * a build's time. A paragraph lacking a field every record needs, or whose
 * name or architecture is malformed, still fails the whole build with
 * toPackageRecord's error, so no entry is written for such an index.
 */
function tableFields(
  paragraph: Paragraph,
  repo: RepoRef,
): { name: string; arch: string; provides: Relation[] } {
  const name = paragraph.get("Package");
  const fail = (message: string): never => {
    throw new CudasealError("APT_RELEASE_INVALID", `${repoLabel(repo)}: ${message}`, {
      hint: "the repository's Packages index is malformed; report it to the repository's maintainers",
      details: { package: name, uri: repo.uri, suite: repo.suite, component: repo.component },
    });
  };
  for (const field of REQUIRED) {
    const value = paragraph.get(field);
    if (value === undefined || value.length === 0)
      fail(`package ${name ?? "(unnamed)"} has no ${field} field`);
  }
  if (!PACKAGE_NAME.test(name!) || tooLong(name!)) fail(`invalid package name ${JSON.stringify(name)}`);
  if (paragraph.fields.length > U16) fail(`package ${name} has more than ${U16} fields`);
  for (const [field] of paragraph.fields)
    if (tooLong(field)) fail(`package ${name} has a field name longer than ${U16} bytes`);
  const arch = paragraph.get("Architecture")!;
  if (!ARCH.test(arch)) fail(`${name} has an invalid Architecture ${JSON.stringify(arch)}`);
  const field = paragraph.get("Provides");
  let provides: Relation[] = [];
  if (field !== undefined) {
    try {
      provides = parseRelationList(field, { arch, field: `Provides of ${name}` });
    } catch (err) {
      fail((err as Error).message);
    }
  }
  for (const p of provides) if (tooLong(p.name)) fail(`${name} provides a name longer than ${U16} bytes`);
  return { name: name!, arch, provides };
}

// The compact form stores a name's length and a record's field count in 16 bits; no real index comes near.
const U16 = 0xffff;

/** True when `s` takes more than U16 bytes as UTF-8 (at most 3 bytes per UTF-16 unit, so most are decided by length). */
function tooLong(s: string): boolean {
  return s.length > U16 / 3 && Buffer.byteLength(s, "utf8") > U16;
}

function repoLabel(repo: RepoRef): string {
  return repo.component && repo.component !== repo.suite
    ? `${repo.uri} ${repo.suite}/${repo.component}`
    : `${repo.uri} ${repo.suite}`;
}

/** Marks a reference as the record's own name rather than one of its Provides. */
const REAL = 0xffffffff;

function grow(array: Uint32Array): Uint32Array<ArrayBuffer> {
  const bigger = new Uint32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

/** UTF-8 byte order, which is code point order; ASCII names (all real ones) skip the encoding. */
function byteOrder(a: string, b: string): number {
  if (/^[\x00-\x7f]*$/.test(a) && /^[\x00-\x7f]*$/.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * Each paragraph's text of the decompressed index, in order. A paragraph ends
 * at a blank line (empty, or only spaces and tabs), as deb822.ts reads them.
 */
async function forEachParagraph(
  job: IndexBuildJob,
  decompress: Decompressor,
  each: (text: string) => void,
): Promise<void> {
  const input: Readable = createReadStream(job.file);
  const stream = job.suffix ? input.pipe(decompress(job.suffix)) : input;
  input.on("error", (err) => stream.destroy(err));
  const decoder = new StringDecoder("utf8");
  let text = "";
  let total = 0;
  // Where the next unread line of `text` starts: a long paragraph is not rescanned per chunk.
  let resume = 0;
  // A blank line: empty, or only spaces, tabs and a CR.
  const blank = /\n[ \t\r]*\n/g;
  const drain = (final: boolean) => {
    let start = 0;
    blank.lastIndex = resume;
    for (let m = blank.exec(text); m !== null; m = blank.exec(text)) {
      if (m.index + 1 > start) each(text.slice(start, m.index + 1));
      start = blank.lastIndex;
    }
    if (final) {
      if (text.length > start && !/^[ \t\r\n]*$/.test(text.slice(start))) each(text.slice(start));
      text = "";
    } else {
      text = text.slice(start);
      // A blank line cut by the chunk's end starts at the last newline kept.
      resume = Math.max(0, text.lastIndexOf("\n"));
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
