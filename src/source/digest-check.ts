// A pass-through stream that hashes what flows by and fails at the end when
// the bytes do not match the digest they were fetched by.

import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { CudasealError } from "../errors.ts";

export class DigestCheck extends Transform {
  readonly #hash = createHash("sha256");
  readonly #expected: string;

  constructor(expected: string) {
    super();
    this.#expected = expected;
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const actual = `sha256:${this.#hash.digest("hex")}`;
    done(
      actual === this.#expected
        ? null
        : new CudasealError("IMAGE_INVALID", `blob ${this.#expected} does not match its digest (${actual})`, {
            hint: "the image is corrupt or was tampered with",
          }),
    );
  }
}
