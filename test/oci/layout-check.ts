// An fsck for OCI layouts, used by the writer tests: every descriptor reachable
// from index.json names a blob that exists, has the stated size and hashes to
// its name, and every blob in the layout is reachable.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sha256 } from "./fixture-image.ts";

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
}

/** Check the layout at `dir` and return index.json parsed. */
export function checkLayout(dir: string): { manifests: (Desc & { annotations?: Record<string, string> })[] } {
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "oci-layout"), "utf8")), {
    imageLayoutVersion: "1.0.0",
  });
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
  const seen = new Set<string>();
  const visit = (d: Desc): void => {
    const bytes = readFileSync(join(dir, "blobs", "sha256", d.digest.slice(7)));
    assert.equal(bytes.length, d.size, `size of ${d.digest}`);
    assert.equal(sha256(bytes), d.digest, `digest of ${d.digest}`);
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    if (d.mediaType.endsWith("index.v1+json")) {
      for (const m of JSON.parse(bytes.toString()).manifests) visit(m);
    } else if (d.mediaType.endsWith("manifest.v1+json")) {
      const m = JSON.parse(bytes.toString());
      for (const x of [m.config, ...m.layers]) visit(x);
    }
  };
  for (const d of index.manifests) visit(d);
  const present = readdirSync(join(dir, "blobs", "sha256")).map((h) => `sha256:${h}`);
  assert.deepEqual(present.sort(), [...seen].sort(), "every blob is reachable and none is missing");
  return index;
}
