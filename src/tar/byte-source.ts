// Pulls exact byte counts out of a stream of chunks, for the tar and ar
// readers. Chunks are queued as they arrive and handed out as slices of
// themselves: a body passes through without being copied or held whole, and
// nothing is pulled from the source before a reader asks for it, so the
// source's own backpressure holds all the way up.

import { CudasealError, type ErrorCode } from "../errors.ts";

/** A cursor over an async stream of bytes; one reader at a time. */
export class ByteSource {
  readonly #it: AsyncIterator<Uint8Array>;
  readonly #what: string;
  readonly #truncatedCode: ErrorCode;
  readonly #details: Record<string, unknown>;
  /** Chunks not yet handed out; the first one from `#head` on. */
  #queue: Buffer[] = [];
  #head = 0;
  #buffered = 0;
  #ended = false;
  #pulling = false;
  /** Bytes handed out (read or skipped) so far. */
  offset = 0;

  /** `what` names the stream in errors, `details` go into them; `truncatedCode` is the code of an early end. */
  constructor(
    source: AsyncIterable<Uint8Array>,
    what: string,
    truncatedCode: ErrorCode,
    details: Record<string, unknown> = {},
  ) {
    this.#it = source[Symbol.asyncIterator]();
    this.#what = what;
    this.#truncatedCode = truncatedCode;
    this.#details = details;
  }

  /** Pull one more chunk from the source; false at its end. */
  async #pull(): Promise<boolean> {
    if (this.#ended) return false;
    // Two reads at once would interleave the stream's bytes: a caller bug,
    // such as reading a body while already asking for the next entry.
    if (this.#pulling) throw new CudasealError("INTERNAL", `${this.#what} is read by two readers at once`);
    this.#pulling = true;
    try {
      for (;;) {
        const r = await this.#it.next();
        if (r.done) {
          this.#ended = true;
          return false;
        }
        const v = r.value as unknown;
        if (!(v instanceof Uint8Array)) {
          throw new CudasealError("INTERNAL", `${this.#what}: the source gave ${typeof v}, not bytes`);
        }
        if (v.byteLength === 0) continue;
        const chunk = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
        this.#queue.push(chunk);
        this.#buffered += chunk.length;
        return true;
      }
    } finally {
      this.#pulling = false;
    }
  }

  /** The error for a stream that ends inside something it promised. */
  truncated(): CudasealError {
    return new CudasealError(this.#truncatedCode, `${this.#what} ends early, at byte ${this.offset}`, {
      hint: "the file is truncated or corrupt",
      details: { ...this.#details, offset: this.offset },
    });
  }

  /** Take up to `max` bytes from the front of the queue, as a slice of one chunk. */
  #shift(max: number): Buffer {
    const first = this.#queue[this.#head];
    let out: Buffer;
    if (first.length <= max) {
      out = first;
      this.#queue[this.#head++] = undefined as unknown as Buffer;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
    } else {
      out = first.subarray(0, max);
      this.#queue[this.#head] = first.subarray(max);
    }
    this.#buffered -= out.length;
    this.offset += out.length;
    return out;
  }

  /**
   * Exactly `n` bytes (for headers, small and capped by the caller);
   * undefined at a clean end with nothing left, an error when the end cuts them short.
   */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.#buffered < n) {
      if (!(await this.#pull())) {
        if (this.#buffered === 0) return undefined;
        throw this.truncated();
      }
    }
    if (n === 0) return Buffer.alloc(0);
    const first = this.#shift(n);
    if (first.length === n) return first;
    const parts = [first];
    let got = first.length;
    while (got < n) {
      const part = this.#shift(n - got);
      parts.push(part);
      got += part.length;
    }
    return Buffer.concat(parts, n);
  }

  /** Between 1 and `max` bytes, as they arrive; an error at the end of the stream. */
  async chunk(max: number): Promise<Buffer> {
    if (this.#buffered === 0 && !(await this.#pull())) throw this.truncated();
    return this.#shift(max);
  }

  /** Discard exactly `n` bytes. */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) left -= (await this.chunk(left)).length;
  }

  /** True when no byte is left (pulls one chunk to find out). */
  async atEnd(): Promise<boolean> {
    return this.#buffered === 0 && !(await this.#pull());
  }

  /** Stop reading: the source is told to release what it holds (a file closes). */
  async close(): Promise<void> {
    this.#queue = [];
    this.#head = 0;
    this.#buffered = 0;
    if (this.#ended) return;
    this.#ended = true;
    await this.#it.return?.();
  }
}
