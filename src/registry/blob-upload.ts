// Uploading a blob the ways the Distribution API offers:
//
//   mount      POST ?mount=DIGEST&from=REPO: the registry links a blob it
//              already holds in another repository; 201 means done, 202
//              means it declined and opened an ordinary upload instead.
//   monolithic POST → PUT Location?digest=… with the whole blob as the body.
//   chunked    POST → PATCH Location (Content-Range start-end) per chunk,
//              each answer giving the next Location → PUT Location?digest=…
//              with no body. After a failed chunk the upload's status
//              (GET Location → Range: 0-N) says how much arrived, and the
//              upload resumes from there instead of from the start.
//
// Bodies are streamed from their source (a file is read from disk per
// attempt), never held in memory whole.

import { CudasealError, isCudasealError } from "../errors.ts";
import { discard } from "../http/index.ts";
import { repositoryScope } from "./auth.ts";
import type { Repository } from "./repository.ts";

/** A blob to upload: its descriptor and a way to read any range of it again. */
export interface BlobSource {
  digest: string;
  size: number;
  mediaType: string;
  /** The bytes from `start` (default 0) up to `end` (exclusive, default size), read afresh on every call. */
  open(start?: number, end?: number): AsyncIterable<Uint8Array>;
}

export interface UploadOptions {
  /** Upload in PATCH chunks of this many bytes; monolithic when unset or the blob is smaller. */
  chunkSize?: number;
  /** Other repositories on the same registry that may hold the blob: try to mount it from them first. */
  mountFrom?: readonly string[];
  /** Bytes sent (negative when a failed attempt's bytes are taken back). */
  onBytes?: (delta: number) => void;
  /** Failed attempts tolerated (a failed chunk, a failed monolithic PUT) before giving up; default 4. */
  attempts?: number;
}

export type UploadResult = "uploaded" | "mounted";

/** Upload `blob` into `repo` (the caller has checked it is not there yet). */
export async function uploadBlob(
  repo: Repository,
  blob: BlobSource,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const attempts = options.attempts ?? 4;
  let failures = 0;
  for (;;) {
    const start = await startUpload(repo, blob, options.mountFrom ?? []);
    if (start === "mounted") return "mounted";
    try {
      if (options.chunkSize !== undefined && options.chunkSize > 0 && blob.size > options.chunkSize)
        await chunked(repo, blob, start, options.chunkSize, attempts, options.onBytes);
      else await monolithic(repo, blob, start, options.onBytes);
      return "uploaded";
    } catch (err) {
      // A monolithic PUT that failed half-way leaves a spoiled upload: start a new one.
      failures++;
      if (!retryable(err) || failures >= attempts) throw err instanceof RestartUpload ? err.cause : err;
    }
  }
}

/** A blob held in memory (a manifest-sized JSON document). */
export function bytesBlob(bytes: Uint8Array, desc: { digest: string; mediaType: string }): BlobSource {
  return {
    ...desc,
    size: bytes.length,
    async *open(start = 0, end = bytes.length) {
      if (end > start) yield bytes.subarray(start, end);
    },
  };
}

/** A blob whose source can only be read from the start: a range skips what comes before it. */
export function streamedBlob(
  desc: { digest: string; size: number; mediaType: string },
  read: () => AsyncIterable<Uint8Array>,
): BlobSource {
  return {
    ...desc,
    async *open(start = 0, end = desc.size) {
      let pos = 0;
      for await (const chunk of read()) {
        const from = Math.max(start - pos, 0);
        const to = Math.min(end - pos, chunk.length);
        if (to > from) yield chunk.subarray(from, to);
        pos += chunk.length;
        if (pos >= end) break;
      }
    },
  };
}

/** POST to start an upload (mounting when asked); the upload's absolute Location, or "mounted". */
async function startUpload(
  repo: Repository,
  blob: BlobSource,
  mountFrom: readonly string[],
): Promise<string | "mounted"> {
  const base = await repo.client.base();
  for (const from of mountFrom) {
    if (from === repo.name) continue;
    const res = await repo.client.request({
      method: "POST",
      url: `/v2/${repo.name}/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(from)}`,
      scopes: [repo.pushScope, repositoryScope(from, "pull")],
      headers: { "content-length": "0" },
      ok: [201, 202],
      what: `mount blob ${blob.digest} from ${from}`,
      repository: repo.name,
    });
    await discard(res);
    if (res.status === 201) return "mounted";
    // 202: the registry declined the mount and opened an ordinary upload; use it.
    return location(repo, res, base);
  }
  const res = await repo.client.request({
    method: "POST",
    url: `/v2/${repo.name}/blobs/uploads/`,
    scopes: [repo.pushScope],
    headers: { "content-length": "0" },
    ok: [202],
    what: `start upload of ${blob.digest}`,
    repository: repo.name,
  });
  await discard(res);
  return location(repo, res, base);
}

async function monolithic(
  repo: Repository,
  blob: BlobSource,
  upload: string,
  onBytes: ((delta: number) => void) | undefined,
): Promise<void> {
  let sent = 0;
  try {
    const res = await repo.client.request({
      method: "PUT",
      url: withDigest(upload, blob.digest),
      scopes: [repo.pushScope],
      headers: { "content-type": "application/octet-stream", "content-length": String(blob.size) },
      body: () =>
        counted(blob.open(), (n) => {
          sent += n;
          onBytes?.(n);
        }),
      ok: [201, 204],
      what: `upload blob ${blob.digest}`,
      repository: repo.name,
      retry: false,
    });
    await finish(repo, blob, res);
  } catch (err) {
    onBytes?.(-sent);
    throw err;
  }
}

async function chunked(
  repo: Repository,
  blob: BlobSource,
  first: string,
  chunkSize: number,
  attempts: number,
  onBytes: ((delta: number) => void) | undefined,
): Promise<void> {
  const base = await repo.client.base();
  let upload = first;
  let offset = 0;
  let failures = 0;
  while (offset < blob.size) {
    const end = Math.min(offset + chunkSize, blob.size);
    let sent = 0;
    try {
      const res = await repo.client.request({
        method: "PATCH",
        url: upload,
        scopes: [repo.pushScope],
        headers: {
          "content-type": "application/octet-stream",
          "content-range": `${offset}-${end - 1}`,
          "content-length": String(end - offset),
        },
        body: () =>
          counted(blob.open(offset, end), (n) => {
            sent += n;
            onBytes?.(n);
          }),
        ok: [202],
        what: `upload bytes ${offset}-${end - 1} of blob ${blob.digest}`,
        repository: repo.name,
        retry: false,
      });
      await discard(res);
      upload = location(repo, res, base);
      offset = rangeEnd(res.headers.get("range")) ?? end;
    } catch (err) {
      onBytes?.(-sent);
      failures++;
      if (!retryable(err) || failures >= attempts) throw err;
      // Ask the upload how much it holds and carry on from there. A registry
      // that no longer knows the upload (distribution 2.x refuses a Location
      // whose state lags behind bytes that did arrive) means starting over.
      const status = await repo.client.request({
        method: "GET",
        url: upload,
        scopes: [repo.pushScope],
        ok: [204, 400, 404],
        what: `check upload of ${blob.digest}`,
        repository: repo.name,
      });
      if (status.status !== 204) {
        await discard(status);
        throw new RestartUpload(`the registry lost the upload of ${blob.digest}`, { cause: err });
      }
      await discard(status);
      if (status.headers.get("location") !== null) upload = location(repo, status, base);
      const had = rangeEnd(status.headers.get("range")) ?? 0;
      onBytes?.(had - offset);
      offset = had;
    }
  }
  const res = await repo.client.request({
    method: "PUT",
    url: withDigest(upload, blob.digest),
    scopes: [repo.pushScope],
    headers: { "content-length": "0" },
    ok: [201, 204],
    what: `finish upload of ${blob.digest}`,
    repository: repo.name,
    retry: false,
  });
  await finish(repo, blob, res);
}

async function finish(repo: Repository, blob: BlobSource, res: Response): Promise<void> {
  await discard(res);
  const stored = res.headers.get("docker-content-digest");
  if (stored !== null && stored !== blob.digest)
    throw new CudasealError(
      "REGISTRY_DIGEST_MISMATCH",
      `${repo.label}: the registry stored blob ${blob.digest} as ${stored}`,
      {
        details: {
          registry: repo.client.registry,
          repository: repo.name,
          expected: blob.digest,
          actual: stored,
        },
      },
    );
}

/** `Range: 0-N` → N+1, the bytes the upload holds. */
function rangeEnd(range: string | null): number | undefined {
  const m = range === null ? null : /^(?:bytes=)?0-(-?\d+)$/.exec(range.trim());
  return m ? Number(m[1]) + 1 : undefined;
}

function location(repo: Repository, res: Response, base: string): string {
  const loc = res.headers.get("location");
  if (loc === null)
    throw new CudasealError("REGISTRY_INVALID_RESPONSE", `${repo.label}: an upload answer has no Location`, {
      details: { registry: repo.client.registry, repository: repo.name, status: res.status },
    });
  return new URL(loc, `${base}/`).toString();
}

function withDigest(upload: string, digest: string): string {
  const url = new URL(upload);
  url.searchParams.set("digest", digest);
  return url.toString();
}

async function* counted(
  source: AsyncIterable<Uint8Array>,
  onBytes: (n: number) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    onBytes(chunk.length);
    yield chunk;
  }
}

/** A chunked upload the registry can no longer resume: start it again. */
class RestartUpload extends Error {}

/** Failures worth another attempt: the connection, a stall, or the registry failing (5xx, 429). */
function retryable(err: unknown): boolean {
  if (err instanceof RestartUpload) return true;
  if (isCudasealError(err, "REGISTRY_UNREACHABLE") || isCudasealError(err, "REGISTRY_TIMEOUT")) return true;
  if (isCudasealError(err, "REGISTRY_ERROR")) {
    const status = Number(err.details?.status);
    return status === 429 || status >= 500;
  }
  // A stream cut short inside fetch surfaces as a plain TypeError.
  return err instanceof TypeError;
}
