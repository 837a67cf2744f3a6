// What the loader needs of an ELF file, read from its bytes as they stream
// past on their way somewhere else (a layer, a hash), without holding the
// file. The string table lies near the start (kept, up to a cap); the
// dynamic section itself may sit after hundreds of megabytes of code, so its
// bytes are picked out of the stream as they pass, and nothing else is held.

import {
  type ElfDynamic,
  type ElfHeader,
  type ElfLayout,
  elfHeader,
  elfLayout,
  interpreterName,
  isElfMagic,
  readDynamic,
} from "./elf.ts";

/** ELF headers, string tables and dynamic sections needing more than this are treated as unreadable. */
const MAX_ELF_PREFIX = 32 * 1024 * 1024;

/** An ELF file as the loader sees it: its header, its loader, its dynamic section. */
export interface ElfFile extends ElfDynamic {
  bits: 32 | 64;
  machine: number;
  type: ElfHeader["type"];
  /** PT_INTERP: the loader an executable names. */
  interpreter?: string;
}

/** The verdict on a file: not ELF (null), its facts, or ELF whose tables lie past the cap or past its end. */
export type ElfVerdict = ElfFile | null | "unreadable";

/** Fed a file's chunks in order; decides as soon as it has what it needs. */
export class ElfStreamReader {
  #head: Buffer[] = [];
  #headLength = 0;
  #headBuf: Buffer | undefined;
  #pos = 0;
  #header: ElfHeader | undefined;
  #layout: ElfLayout | undefined;
  #dyn: Buffer | undefined;
  #verdict: ElfVerdict | undefined;

  /** Whether the verdict is in: later chunks are not needed. */
  get done(): boolean {
    return this.#verdict !== undefined;
  }

  /** The next chunk of the file; returns `done`. */
  push(chunk: Uint8Array): boolean {
    if (this.#verdict !== undefined) return true;
    const c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const start = this.#pos;
    this.#pos += c.length;
    if (this.#headLength < MAX_ELF_PREFIX) {
      const keep = c.subarray(0, MAX_ELF_PREFIX - this.#headLength);
      this.#head.push(keep);
      this.#headLength += keep.length;
    }
    if (!this.#layout && !this.#readLayout()) return this.done;
    const layout = this.#layout!;
    // Copy the part of this chunk that falls inside the dynamic section.
    if (this.#dyn) {
      const from = Math.max(start, layout.dynOffset);
      const to = Math.min(this.#pos, layout.dynOffset + layout.dynSize);
      if (from < to) c.copy(this.#dyn, from - layout.dynOffset, from - start, to - start);
    }
    this.#tryDecide(false);
    return this.done;
  }

  /** After the last chunk: the verdict. */
  end(): ElfVerdict {
    if (this.#verdict !== undefined) return this.#verdict;
    if (!this.#header) return this.#decide(null);
    if (!this.#layout) return this.#decide("unreadable");
    this.#tryDecide(true);
    return this.#verdict ?? this.#decide("unreadable");
  }

  /** Header and program headers, once there are bytes enough; false while waiting or decided. */
  #readLayout(): boolean {
    const head = this.#bytes();
    if (!this.#header) {
      if (head.length >= 4 && !isElfMagic(head)) return this.#settle(null);
      if (head.length < 20) return false;
      this.#header = elfHeader(head);
      if (!this.#header) return this.#settle(null);
    }
    const l = elfLayout(head);
    if (l.kind === "need") return l.bytes > MAX_ELF_PREFIX ? this.#settle("unreadable") : false;
    // No program headers: a relocatable object or the like, never mapped by the loader.
    if (l.kind === "not-elf") return this.#settle(this.#facts({ needed: [], rpath: [], runpath: [] }));
    // p_filesz is the file's word: a dynamic section is kilobytes, and one claiming more is not allocated.
    if (l.layout.dynSize > MAX_ELF_PREFIX) return this.#settle("unreadable");
    this.#layout = l.layout;
    if (l.layout.dynSize > 0) this.#dyn = Buffer.alloc(l.layout.dynSize);
    return true;
  }

  /** Decide if the dynamic section has passed and the interpreter and string table are in the head. */
  #tryDecide(atEnd: boolean): void {
    const layout = this.#layout!;
    const interp = layout.interp;
    if (interp && interp.offset + interp.size > this.#headLength) {
      if (atEnd || interp.offset + interp.size > MAX_ELF_PREFIX) this.#decide("unreadable");
      return;
    }
    if (this.#dyn && this.#pos < layout.dynOffset + layout.dynSize) return;
    const head = this.#bytes();
    let dynamic: ElfDynamic = { needed: [], rpath: [], runpath: [] };
    if (this.#dyn) {
      const d = readDynamic(layout, this.#dyn, (o, n) =>
        o + n <= head.length ? head.subarray(o, o + n) : undefined,
      );
      if (d === "too-large") {
        this.#decide("unreadable");
        return;
      }
      if ("need" in d) {
        if (atEnd || d.need > MAX_ELF_PREFIX) this.#decide("unreadable");
        return;
      }
      dynamic = d;
    }
    const facts = this.#facts(dynamic);
    if (interp)
      facts.interpreter = interpreterName(head.subarray(interp.offset, interp.offset + interp.size));
    this.#decide(facts);
  }

  #facts(dynamic: ElfDynamic): ElfFile {
    const h = this.#header!;
    return { bits: h.bits, machine: h.machine, type: h.type, ...dynamic };
  }

  /** Decide, and say that there is no layout to go on with. */
  #settle(verdict: ElfVerdict): false {
    this.#decide(verdict);
    return false;
  }

  #decide(verdict: ElfVerdict): ElfVerdict {
    this.#verdict = verdict;
    // Nothing more is read: let the kept prefix go.
    this.#head = [];
    this.#headBuf = undefined;
    this.#dyn = undefined;
    return verdict;
  }

  #bytes(): Buffer {
    if (this.#headBuf?.length !== this.#headLength)
      this.#headBuf = Buffer.concat(this.#head, this.#headLength);
    return this.#headBuf;
  }
}

/** Read `body` only as far as the verdict needs. */
export async function readElfFile(body: AsyncIterable<Uint8Array>): Promise<ElfVerdict> {
  const reader = new ElfStreamReader();
  for await (const chunk of body) if (reader.push(chunk)) break;
  return reader.end();
}
