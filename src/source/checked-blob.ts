// A blob whose whole read is held to its descriptor: the bytes are hashed as
// they pass and the stream fails at its end (IMAGE_INVALID) unless digest
// and size match. A partial read (an upload resuming mid-blob) passes as it
// is: its receiver checks the whole.

import { createHash } from "node:crypto";
import { CudasealError } from "../errors.ts";
import type { BlobSource } from "../registry/index.ts";

/** `blob`, its whole reads checked; `label` names the image in the error. */
export function checkedBlob(blob: BlobSource, label: string): BlobSource {
  return {
    ...blob,
    async *open(start = 0, end = blob.size) {
      if (start !== 0 || end !== blob.size) {
        yield* blob.open(start, end);
        return;
      }
      const hash = createHash("sha256");
      let size = 0;
      for await (const chunk of blob.open()) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
      const actual = `sha256:${hash.digest("hex")}`;
      if (actual !== blob.digest || size !== blob.size)
        throw new CudasealError(
          "IMAGE_INVALID",
          `${label}: blob ${blob.digest} does not match its digest or size`,
          {
            hint: "the image is corrupt or was tampered with",
            details: { expected: blob.digest, actual, size },
          },
        );
    },
  };
}
