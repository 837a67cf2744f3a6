// Checksums of files on their way into a layer: each body is hashed (SHA-256
// and SHA-1, as SPDX 2.3 asks of every file) as the tar writer pulls it, so
// listing a layer's files in the SBOM costs no second read and holds no body.

import { createHash } from "node:crypto";
import type { LayerEntry } from "../layer/entry.ts";
import type { SbomFile } from "./model.ts";

type Body = Uint8Array | AsyncIterable<Uint8Array>;

/** `body`, unchanged, calling `done` with its checksums once it has been read to the end. */
export function hashedBody(
  body: Body | undefined,
  done: (digest: { sha256: string; sha1: string }) => void,
): Body {
  const sha256 = createHash("sha256");
  const sha1 = createHash("sha1");
  const finish = () => done({ sha256: sha256.digest("hex"), sha1: sha1.digest("hex") });
  if (body === undefined || body instanceof Uint8Array) {
    const bytes = body ?? new Uint8Array(0);
    sha256.update(bytes);
    sha1.update(bytes);
    finish();
    return bytes;
  }
  return (async function* () {
    for await (const chunk of body) {
      sha256.update(chunk);
      sha1.update(chunk);
      yield chunk;
    }
    finish();
  })();
}

/**
 * `entries`, unchanged, recording in `files` (by absolute path) the checksums
 * of every regular file as it streams past; a hard link gets its target's.
 * A path written twice keeps its last version, as extraction would.
 */
export async function* hashedEntries(
  entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>,
  files: Map<string, SbomFile>,
): AsyncGenerator<LayerEntry> {
  for await (const entry of entries) {
    const path = `/${entry.path}`;
    if (entry.type === "file") {
      yield { ...entry, body: hashedBody(entry.body, (d) => files.set(path, { path, ...d })) };
      continue;
    }
    files.delete(path);
    const target = entry.type === "hardlink" ? files.get(`/${entry.linkname}`) : undefined;
    if (target !== undefined) files.set(path, { ...target, path });
    yield entry;
  }
}
