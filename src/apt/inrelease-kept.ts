// The last InRelease read from each suite, kept with the validators its
// answer carried (ETag, Last-Modified), so that the next read asks "has it
// changed?" and, on 304, reuses these bytes; and so that an offline read has
// something to use at all. What is kept is only ever bytes: every use checks
// the signature, freshness and rollback again exactly as for a download.

import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-file.ts";

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
    const text = await readFile(keptPath(root, url), "utf8");
    if (text.length > KEPT_MAX) return undefined;
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
