// Layer-cache keys for the layers that are not a set of packages (the root,
// system, contents and Python layers): a hash of everything that decides
// their bytes, under the layer format so an older cudaseal's layers are not
// reused.

import { createHash } from "node:crypto";
import { LAYER_FORMAT } from "../assemble/package-layer.ts";
import type { LayerEntry } from "../layer/entry.ts";

export function keyOf(value: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify({ format: LAYER_FORMAT, value }))
    .digest("hex");
}

/** What of an in-memory entry decides its bytes in a layer. */
export function describeEntry(e: LayerEntry): unknown {
  const body = e.body instanceof Uint8Array ? createHash("sha256").update(e.body).digest("hex") : undefined;
  return [e.path, e.type, e.mode, e.uid, e.gid, e.mtime, e.linkname, body];
}
