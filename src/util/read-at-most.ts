// Reads at most a given number of bytes of a file, so a size cap holds
// before the bytes are in memory: a huge or endless input (a fifo, a
// device, /dev/zero) is stopped at the cap, never read whole.

import { open } from "node:fs/promises";

const CHUNK = 1024 * 1024;

/** The first `max` bytes of `file` (all of it when shorter); errors are the file system's. */
export async function readAtMost(file: string, max: number): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const chunks: Buffer[] = [];
    let have = 0;
    while (have < max) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, max - have));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      have += bytesRead;
    }
    return Buffer.concat(chunks, have);
  } finally {
    await fh.close();
  }
}
