// A content store in a fresh temporary directory, and a look at what lies in
// one, so tests can check that a failure left nothing behind.

import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ContentStore } from "../../src/cache/content-store.ts";

/** A store under a new temporary directory; `remove()` deletes it. */
export async function tempStore(): Promise<{ store: ContentStore; root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), "cudaseal-store-"));
  return { store: new ContentStore(root), root, remove: () => rm(root, { recursive: true, force: true }) };
}

/** Every plain file under `root`, as paths relative to it, sorted. */
export async function storeFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

/** Temporary files a writer left under `root`. */
export async function tmpFiles(root: string): Promise<string[]> {
  return (await storeFiles(root)).filter((path) => path.endsWith(".tmp"));
}
