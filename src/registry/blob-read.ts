// Reading blobs from a repository: HEAD to learn whether one is there (and
// skip its upload), GET to read one, following the redirect to storage many
// registries answer with. Every byte is checked against the digest it was
// asked by; a small blob is read whole under a cap, a layer is streamed and
// fails at its end unless digest and size match.
//
// A body that stalls (REGISTRY_TIMEOUT) or is cut (REGISTRY_UNREACHABLE) is
// asked for again, within the client's retry policy: a small blob whole, a
// streamed one from the byte it stopped at (a Range request; a registry that
// ignores Range sends it all again, and what was already passed on is
// skipped), so a multi-GB layer is not read twice for one dropped connection.

import { createHash } from "node:crypto";
import { CudasealError, isCudasealError } from "../errors.ts";
import { backoff, DEFAULT_RETRY, isTimeout, pause } from "../http/index.ts";
import { readCapped } from "./read-capped.ts";
import type { Repository } from "./repository.ts";

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The blob's size when `repo` has it, else undefined. */
export async function blobSize(
  repo: Repository,
  digest: string,
  scopes: readonly string[] = [repo.pullScope],
): Promise<number | undefined> {
  checkDigest(repo, digest);
  const res = await repo.client.request({
    method: "HEAD",
    url: `/v2/${repo.name}/blobs/${digest}`,
    scopes,
    ok: [200, 404],
    what: `check blob ${digest}`,
    repository: repo.name,
  });
  if (res.status === 404) return undefined;
  const size = Number(res.headers.get("content-length"));
  return Number.isSafeInteger(size) ? size : -1;
}

/** A small blob (a config, a signature payload) whole, refused past `maxBytes` or when it does not match `digest`. */
export async function getBlob(repo: Repository, digest: string, maxBytes: number): Promise<Buffer> {
  const policy = repo.client.retryPolicy;
  for (let failures = 1; ; failures++) {
    const res = await requestBlob(repo, digest);
    let bytes: Buffer;
    try {
      bytes = await readCapped(res, maxBytes, `${repo.label}: blob ${digest}`);
    } catch (err) {
      if (!bodyFailed(err) || failures >= attemptsOf(repo)) throw err;
      await pause(backoff(policy, failures));
      continue;
    }
    const actual = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (actual !== digest) throw mismatch(repo, digest, actual);
    return bytes;
  }
}

/** A blob's bytes as a stream that fails at its end unless they match `digest` and `size`. */
export async function* streamBlob(
  repo: Repository,
  digest: string,
  size: number | undefined,
): AsyncGenerator<Uint8Array> {
  const hash = createHash("sha256");
  let seen = 0;
  let res = await requestBlob(repo, digest);
  for (let failures = 1; ; failures++) {
    // Bytes of this answer already passed on by an earlier one.
    let skip = res.status === 206 ? 0 : seen;
    if (res.body === null) throw mismatch(repo, digest, "an empty answer");
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        let piece = value;
        if (skip > 0) {
          const dropped = Math.min(skip, piece.length);
          skip -= dropped;
          piece = piece.subarray(dropped);
          if (piece.length === 0) continue;
        }
        seen += piece.length;
        if (size !== undefined && seen > size)
          throw new CudasealError(
            "REGISTRY_DIGEST_MISMATCH",
            `${repo.label}: blob ${digest} is longer than ${size} bytes`,
            {
              details: { registry: repo.client.registry, repository: repo.name, digest },
            },
          );
        hash.update(piece);
        yield piece;
      }
      break;
    } catch (err) {
      if (!bodyFailed(err) || failures >= attemptsOf(repo)) throw err;
    } finally {
      await reader.cancel().catch(() => undefined);
    }
    await pause(backoff(repo.client.retryPolicy, failures));
    res = await requestBlob(repo, digest, seen);
  }
  const actual = `sha256:${hash.digest("hex")}`;
  if (actual !== digest || (size !== undefined && seen !== size)) throw mismatch(repo, digest, actual);
}

/** A body that stalled or was cut: worth asking for again. */
function bodyFailed(err: unknown): boolean {
  return isTimeout(err) || isCudasealError(err, "REGISTRY_UNREACHABLE");
}

function attemptsOf(repo: Repository): number {
  return Math.max(1, repo.client.retryPolicy.attempts ?? DEFAULT_RETRY.attempts);
}

// Identity encoding: the digest is of the stored bytes, not of a recompressed answer.
async function requestBlob(repo: Repository, digest: string, from = 0): Promise<Response> {
  checkDigest(repo, digest);
  const res = await repo.client.request({
    method: "GET",
    url: `/v2/${repo.name}/blobs/${digest}`,
    scopes: [repo.pullScope],
    headers:
      from > 0
        ? { "accept-encoding": "identity", range: `bytes=${from}-` }
        : { "accept-encoding": "identity" },
    what: `get blob ${digest}`,
    repository: repo.name,
  });
  // A partial answer must start where it was asked to: anything else would be spliced in wrong.
  if (res.status === 206 && !new RegExp(`^bytes ${from}-`).test(res.headers.get("content-range") ?? "")) {
    await res.body?.cancel().catch(() => undefined);
    throw new CudasealError(
      "REGISTRY_INVALID_RESPONSE",
      `${repo.label}: blob ${digest} was resumed at the wrong offset (${res.headers.get("content-range") ?? "no Content-Range"}, asked for ${from})`,
      { details: { registry: repo.client.registry, repository: repo.name, digest } },
    );
  }
  return res;
}

function checkDigest(repo: Repository, digest: string): void {
  if (!DIGEST.test(digest))
    throw new CudasealError("IMAGE_INVALID", `${repo.label}: not a sha256 digest: ${JSON.stringify(digest)}`);
}

function mismatch(repo: Repository, expected: string, actual: string): CudasealError {
  return new CudasealError(
    "REGISTRY_DIGEST_MISMATCH",
    `${repo.label}: blob ${expected} does not match its digest (received ${actual})`,
    {
      hint: "the registry or something between it and us altered the blob",
      details: { registry: repo.client.registry, repository: repo.name, expected, actual },
    },
  );
}
