// Where a copy into an OCI layout keeps what it has written until the copy is
// whole, so that a copy that fails half-way (a registry gone, a blob that
// lies about its digest, a full disk, Ctrl-C) leaves the destination as it
// was: absent when it was absent, and an existing layout with no new files.
//
// A new layout is filled in a hidden folder beside it and renamed into place
// with its index.json already written: one rename, so it appears whole or not
// at all. An existing folder (a layout getting another tag, or an empty
// folder) gets a hidden staging folder inside it, on the same filesystem
// however the folder is mounted; at the end its blobs are renamed in under
// the layout's index lock, and index.json, replaced last by one rename, is
// what makes them part of the layout. Blobs are content addressed, so one
// renamed over a copy already there changes nothing a reader can see.

import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { withIndexLock } from "../oci/layout-store.ts";
import { OCI_LAYOUT_VERSION } from "../oci/media-types.ts";
import { release, removeOnInterrupt } from "../util/interrupt-cleanup.ts";

/** The folder a copy writes its blobs to (`<root>/blobs/sha256/<hex>`) until it is published. */
export interface LayoutStaging {
  readonly root: string;
  /** True when the layout did not exist: the staging folder becomes it by one rename. */
  readonly fresh: boolean;
}

/** Make the staging folder for a copy into the layout at `dir`. */
export async function openStaging(dir: string): Promise<LayoutStaging> {
  const fresh = await stat(dir).then(
    () => false,
    (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return true;
      throw err;
    },
  );
  const name = `${process.pid}-${randomBytes(6).toString("hex")}`;
  const root = fresh ? join(dirname(dir), `.${basename(dir)}.copy-${name}`) : join(dir, `.copy-${name}`);
  removeOnInterrupt(root);
  try {
    await mkdir(join(root, "blobs", "sha256"), { recursive: true });
    if (fresh)
      await writeFile(join(root, "oci-layout"), JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION }));
  } catch (err) {
    await discardStaging({ root, fresh });
    throw err;
  }
  return { root, fresh };
}

/**
 * Make what the copy staged part of the layout at `dir`: `writeIndex(folder)`
 * writes `folder/index.json`, reading the one there if there is one; it runs
 * on the staging folder of a new layout, and under the index lock on an
 * existing one. The staging folder is gone afterwards, whatever happened.
 */
export async function publishStaging(
  staging: LayoutStaging,
  dir: string,
  writeIndex: (folder: string) => Promise<void>,
): Promise<void> {
  try {
    if (staging.fresh) {
      await writeIndex(staging.root);
      try {
        await rename(staging.root, dir);
        release(staging.root);
        return;
      } catch (err) {
        // Another writer made the layout meanwhile: join it as an existing one.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
      }
    }
    await withIndexLock(dir, async () => {
      await moveBlobs(staging.root, dir);
      await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION }), {
        flag: "wx",
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "EEXIST") throw err;
      });
      await writeIndex(dir);
    });
  } finally {
    await discardStaging(staging);
  }
}

/** Remove the staging folder and everything in it. */
export async function discardStaging(staging: LayoutStaging): Promise<void> {
  await rm(staging.root, { recursive: true, force: true });
  release(staging.root);
}

async function moveBlobs(from: string, dir: string): Promise<void> {
  const source = join(from, "blobs", "sha256");
  const target = join(dir, "blobs", "sha256");
  await mkdir(target, { recursive: true });
  for (const name of await readdir(source)) await rename(join(source, name), join(target, name));
}
