// Reads a small answer whole (a manifest, a config, a token, a tag list), and
// stops at a cap: a hostile registry cannot make us buffer gigabytes by
// sending a "manifest" that never ends.

import { CudasealError } from "../errors.ts";

/** The body of `res`, REGISTRY_TOO_LARGE past `max` bytes (by Content-Length or as counted). */
export async function readCapped(res: Response, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(what, max);
  }
  if (res.body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(what, max);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function tooLarge(what: string, max: number): CudasealError {
  return new CudasealError("REGISTRY_TOO_LARGE", `${what} is larger than ${max} bytes`, {
    hint: "a manifest or config this large is not an image; the registry may be hostile",
    details: { max },
  });
}

/** Largest body read through before the connection is given up instead. */
const MAX_DISCARD = 64 * 1024;

/**
 * Throw away an answer's body. A short one is read to its end, so the
 * connection is kept for the next request; past MAX_DISCARD it is cancelled:
 * a hostile registry's endless "error page" is never buffered.
 */
export async function discard(res: Response): Promise<void> {
  if (res.body === null) return;
  const reader = res.body.getReader();
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      size += value.length;
      if (size > MAX_DISCARD) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The body failed on the way: there is nothing left to keep.
  }
}
