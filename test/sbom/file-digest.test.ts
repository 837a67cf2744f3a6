// Checksums taken as layer entries stream into a layer: the bytes pass
// through unchanged, hard links get their target's, the last version wins.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import type { LayerEntry } from "../../src/layer/entry.ts";
import { hashedBody, hashedEntries } from "../../src/sbom/file-digest.ts";
import type { SbomFile } from "../../src/sbom/model.ts";

function sums(text: string) {
  return {
    sha256: createHash("sha256").update(text).digest("hex"),
    sha1: createHash("sha1").update(text).digest("hex"),
  };
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

function file(path: string, body: LayerEntry["body"]): LayerEntry {
  return { path, type: "file", mode: 0o644, uid: 0, gid: 0, mtime: 0, body };
}

test("a streamed body passes through whole and is hashed once read", async () => {
  let got: { sha256: string; sha1: string } | undefined;
  const body = hashedBody(chunks("he", "llo"), (d) => {
    got = d;
  }) as AsyncIterable<Uint8Array>;
  assert.equal(got, undefined, "nothing is known before the body is read");
  const out: Uint8Array[] = [];
  for await (const c of body) out.push(c);
  assert.equal(Buffer.concat(out).toString(), "hello");
  assert.deepEqual(got, sums("hello"));
  hashedBody(undefined, (d) => {
    got = d;
  });
  assert.deepEqual(got, sums(""));
});

test("entries: files hashed, a hard link its target's, a path written twice its last version", async () => {
  const files = new Map<string, SbomFile>();
  const entries: LayerEntry[] = [
    file("opt/a", chunks("one")),
    { path: "opt/b", type: "hardlink", mode: 0o644, uid: 0, gid: 0, mtime: 0, linkname: "opt/a" },
    file("opt/c", Buffer.from("first")),
    file("opt/c", chunks("second")),
    { path: "opt/d", type: "symlink", mode: 0o777, uid: 0, gid: 0, mtime: 0, linkname: "a" },
  ];
  for await (const e of hashedEntries(entries, files)) {
    if (e.body && !(e.body instanceof Uint8Array)) for await (const _ of e.body);
  }
  assert.deepEqual(
    [...files.values()].sort((x, y) => (x.path < y.path ? -1 : 1)),
    [
      { path: "/opt/a", ...sums("one") },
      { path: "/opt/b", ...sums("one") },
      { path: "/opt/c", ...sums("second") },
    ],
  );
});
