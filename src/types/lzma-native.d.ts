// The part of lzma-native cudaseal uses: a streaming xz decompressor.
declare module "lzma-native" {
  import type { Transform } from "node:stream";
  export function createDecompressor(options?: { threads?: number; memlimit?: number }): Transform;
  export function createCompressor(options?: { preset?: number; threads?: number }): Transform;
  const lzma: { createDecompressor: typeof createDecompressor; createCompressor: typeof createCompressor };
  export default lzma;
}
