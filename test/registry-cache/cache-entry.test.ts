// The layer-cache entry format read back from a registry that may lie: an
// entry made by entryDocuments parses back to itself, and every way a
// manifest or record can disagree with the key asked for, or with each
// other, is CACHE_ENTRY_POISONED.

import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { sha256Digest } from "../../src/oci/descriptor.ts";
import {
  CACHE_ARTIFACT_TYPE,
  CACHE_KEY_ANNOTATION,
  type CacheRecord,
  cacheTag,
  entryDocuments,
  parseEntryManifest,
  parseRecord,
} from "../../src/registry-cache/cache-entry.ts";

const KEY = "a".repeat(64);
const OTHER = "b".repeat(64);
const RECORD: CacheRecord = {
  key: KEY,
  blob: {
    digest: sha256Digest(Buffer.from("layer")),
    size: 5,
    diffId: sha256Digest(Buffer.from("tar")),
    uncompressedSize: 3,
    mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
  },
  meta: { tree: [] },
};

function poisoned(fn: () => unknown): void {
  assert.throws(fn, (err) => isCudasealError(err, "CACHE_ENTRY_POISONED"));
}

function manifestWith(change: (m: Record<string, unknown>) => void): Buffer {
  const m = JSON.parse(entryDocuments(RECORD).manifest.toString("utf8"));
  change(m);
  return Buffer.from(JSON.stringify(m));
}

test("an entry's manifest and record parse back to the record they were made from", () => {
  const docs = entryDocuments(RECORD);
  const { record, layer } = parseEntryManifest(docs.manifest, KEY, "r/c");
  assert.equal(record.digest, sha256Digest(docs.record));
  assert.equal(layer.digest, RECORD.blob.digest);
  assert.deepEqual(parseRecord(docs.record, KEY, layer, "r/c"), RECORD);
  const m = JSON.parse(docs.manifest.toString("utf8"));
  assert.equal(m.artifactType, CACHE_ARTIFACT_TYPE);
  assert.equal(m.annotations[CACHE_KEY_ANNOTATION], KEY);
});

test("the tag is layer-<key>, and only a 64-hex key makes one", () => {
  assert.equal(cacheTag(KEY), `layer-${KEY}`);
  assert.throws(
    () => cacheTag("../x"),
    (err) => isCudasealError(err, "INTERNAL"),
  );
});

test("a manifest for another key, of another artifact type, or naming no single layer is poisoned", () => {
  const docs = entryDocuments(RECORD);
  poisoned(() => parseEntryManifest(docs.manifest, OTHER, "r/c"));
  poisoned(() =>
    parseEntryManifest(
      manifestWith((m) => (m.artifactType = "application/x")),
      KEY,
      "r/c",
    ),
  );
  poisoned(() =>
    parseEntryManifest(
      manifestWith((m) => (m.layers = [])),
      KEY,
      "r/c",
    ),
  );
  poisoned(() =>
    parseEntryManifest(
      manifestWith((m) => (m.layers = [...(m.layers as unknown[]), ...(m.layers as unknown[])])),
      KEY,
      "r/c",
    ),
  );
  poisoned(() =>
    parseEntryManifest(
      manifestWith((m) => ((m.layers as { digest: string }[])[0].digest = "sha256:zz")),
      KEY,
      "r/c",
    ),
  );
  poisoned(() =>
    parseEntryManifest(
      manifestWith((m) => ((m.layers as { mediaType: string }[])[0].mediaType = "application/x-executable")),
      KEY,
      "r/c",
    ),
  );
  poisoned(() => parseEntryManifest(Buffer.from("not json"), KEY, "r/c"));
  poisoned(() => parseEntryManifest(Buffer.from("[]"), KEY, "r/c"));
});

test("a record for another key, or describing another blob than the manifest's, is poisoned", () => {
  const { layer } = parseEntryManifest(entryDocuments(RECORD).manifest, KEY, "r/c");
  const bytes = (r: unknown) => Buffer.from(JSON.stringify(r));
  poisoned(() => parseRecord(bytes({ ...RECORD, key: OTHER }), KEY, layer, "r/c"));
  poisoned(() => parseRecord(bytes({ ...RECORD, blob: { ...RECORD.blob, size: 6 } }), KEY, layer, "r/c"));
  poisoned(() =>
    parseRecord(bytes({ ...RECORD, blob: { ...RECORD.blob, digest: OTHER } }), KEY, layer, "r/c"),
  );
  poisoned(() => parseRecord(bytes({ ...RECORD, blob: { ...RECORD.blob, diffId: "x" } }), KEY, layer, "r/c"));
  poisoned(() =>
    parseRecord(bytes({ ...RECORD, blob: { ...RECORD.blob, uncompressedSize: -1 } }), KEY, layer, "r/c"),
  );
  poisoned(() => parseRecord(bytes({ ...RECORD, meta: null }), KEY, layer, "r/c"));
});
