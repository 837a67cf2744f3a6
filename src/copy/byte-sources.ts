// The byte sources a destination writes from: a manifest held in memory, and
// a blob's stream reported to the copy's progress as it passes.

/** `bytes` as a source of one chunk. */
export async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** `source`'s chunks, each counted to `onBytes` as it passes. */
export async function* counting(
  source: AsyncIterable<Uint8Array>,
  onBytes?: (n: number) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    onBytes?.(chunk.length);
    yield chunk;
  }
}
