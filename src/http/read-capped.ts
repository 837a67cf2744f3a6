// Reading a small answer whole (an InRelease, a manifest, a token) and
// stopping at a cap, so a hostile server cannot make us buffer gigabytes by
// sending a "document" that never ends; and throwing an unwanted answer away
// without reading much of it either.

/** True when the server declares more than `max` bytes (Content-Length counts encoded bytes, so only unencoded). */
export function declaresMoreThan(res: Response, max: number): boolean {
  if (res.headers.get("content-encoding") !== null) return false;
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  return Number.isFinite(declared) && declared > max;
}

/**
 * The body of `res`, refused with `tooLarge()` past `max` bytes, declared or
 * counted. `onBytes` hears of each piece as it arrives.
 */
export async function readCapped(
  res: Response,
  max: number,
  tooLarge: () => Error,
  onBytes?: (delta: number) => void,
): Promise<Buffer> {
  if (declaresMoreThan(res, max)) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
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
      throw tooLarge();
    }
    onBytes?.(value.length);
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/** Largest body read through before the connection is given up instead. */
const MAX_DISCARD = 64 * 1024;

/**
 * Throw away an answer's body. A short one is read to its end, so the
 * connection is kept for the next request; past MAX_DISCARD it is cancelled:
 * a hostile server's endless "error page" is never buffered.
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
