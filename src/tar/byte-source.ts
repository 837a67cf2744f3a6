// Reads exact byte counts from a stream of chunks, and hands out a body as a
// stream of slices without copying or holding it whole. The tar and ar
// readers are built on it.

import { CudasealError, type ErrorCode } from "../errors.ts";

export class ByteSource {
  readonly #it: AsyncIterator<Uint8Array>;
  #buf: Buffer = Buffer.alloc(0);
  #done = false;
  /** Bytes handed out so far. */
  offset = 0;
  readonly #truncatedCode: ErrorCode;
  readonly #what: string;

  constructor(source: AsyncIterable<Uint8Array>, what: string, truncatedCode: ErrorCode) {
    this.#it = source[Symbol.asyncIterator]();
    this.#what = what;
    this.#truncatedCode = truncatedCode;
  }

  async #fill(): Promise<boolean> {
    if (this.#done) return false;
    const r = await this.#it.next();
    if (r.done) {
      this.#done = true;
      return false;
    }
    const chunk = Buffer.isBuffer(r.value)
      ? r.value
      : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    return true;
  }

  truncated(): CudasealError {
    return new CudasealError(this.#truncatedCode, `${this.#what} ends early, at byte ${this.offset}`, {
      details: { offset: this.offset },
    });
  }

  /** Exactly `n` bytes; undefined at a clean end (nothing left), an error if the end cuts them short. */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.#buf.length < n) {
      if (!(await this.#fill())) {
        if (this.#buf.length === 0) return undefined;
        throw this.truncated();
      }
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    this.offset += n;
    return out;
  }

  /** The next `n` bytes as slices, as they arrive. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.#buf.length === 0 && !(await this.#fill())) throw this.truncated();
      const k = Math.min(left, this.#buf.length);
      const out = this.#buf.subarray(0, k);
      this.#buf = this.#buf.subarray(k);
      this.offset += k;
      left -= k;
      yield out;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.take(n)) {
      // discard
    }
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return this.#buf.length === 0 && !(await this.#fill());
  }

  /** Stop reading the underlying source. */
  async close(): Promise<void> {
    await this.#it.return?.();
  }
}
