// The last InRelease read from each suite, kept with the validators its
// answer carried (ETag, Last-Modified), so that the next read asks "has it
// changed?" and, on 304, reuses these bytes; and so that an offline read has
// something to use at all. What is kept is only ever bytes: every use checks
// the signature, freshness and rollback again exactly as for a download.

import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-file.ts";
import { readRegularFile } from "../util/read-regular-file.ts";

/** One kept InRelease. */
export interface KeptInRelease {
  url: string;
  body: Buffer;
  etag?: string;
  lastModified?: string;
}

// Larger than any InRelease cudaseal accepts (INRELEASE_MAX), with its base64 and JSON around it.
const KEPT_MAX = 48 * 1024 * 1024;

function keptPath(root: string, url: string): string {
  return join(root, "apt-inrelease", `${createHash("sha256").update(url).digest("hex")}.json`);
}

/** What was kept for `url` under the cache folder `root`; undefined when nothing (or nothing readable) was. */
export async function readKeptInRelease(root: string, url: string): Promise<KeptInRelease | undefined> {
  try {
    // Capped, and only a regular file: a FIFO or a huge file in the cache must not stall or fill the read.
    const text = (
      await readRegularFile(keptPath(root, url), { what: "kept InRelease", max: KEPT_MAX })
    ).toString("utf8");
    const data = JSON.parse(text) as {
      url?: unknown;
      body?: unknown;
      etag?: unknown;
      lastModified?: unknown;
    };
    // A file naming another URL (a hash collision, a copied folder) is not this suite's.
    if (data.url !== url || typeof data.body !== "string") return undefined;
    return {
      url,
      body: Buffer.from(data.body, "base64"),
      etag: typeof data.etag === "string" ? data.etag : undefined,
      lastModified: typeof data.lastModified === "string" ? data.lastModified : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Keep `kept` for the next read; called only once its signature verified. */
export async function keepInRelease(root: string, kept: KeptInRelease): Promise<void> {
  const path = keptPath(root, kept.url);
  await mkdir(join(path, ".."), { recursive: true });
  await writeFileAtomic(
    path,
    JSON.stringify({
      url: kept.url,
      etag: kept.etag,
      lastModified: kept.lastModified,
      body: kept.body.toString("base64"),
    }),
  );
}
