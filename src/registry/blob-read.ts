// Reading blobs from a repository: HEAD to learn whether one is there (and
// skip its upload), GET to read one, following the redirect to storage many
// registries answer with. Every byte is checked against the digest it was
// asked by; a small blob is read whole under a cap, a layer is streamed and
// fails at its end unless digest and size match.

import { createHash } from "node:crypto";
import { CudasealError } from "../errors.ts";
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
  const res = await requestBlob(repo, digest);
  const bytes = await readCapped(res, maxBytes, `${repo.label}: blob ${digest}`);
  const actual = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  if (actual !== digest) throw mismatch(repo, digest, actual);
  return bytes;
}

/** A blob's bytes as a stream that fails at its end unless they match `digest` and `size`. */
export async function* streamBlob(
  repo: Repository,
  digest: string,
  size: number | undefined,
): AsyncGenerator<Uint8Array> {
  const res = await requestBlob(repo, digest);
  if (res.body === null) throw mismatch(repo, digest, "an empty answer");
  const hash = createHash("sha256");
  let seen = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += value.length;
      if (size !== undefined && seen > size)
        throw new CudasealError(
          "REGISTRY_DIGEST_MISMATCH",
          `${repo.label}: blob ${digest} is longer than ${size} bytes`,
          {
            details: { registry: repo.client.registry, repository: repo.name, digest },
          },
        );
      hash.update(value);
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const actual = `sha256:${hash.digest("hex")}`;
  if (actual !== digest || (size !== undefined && seen !== size)) throw mismatch(repo, digest, actual);
}

// Identity encoding: the digest is of the stored bytes, not of a recompressed answer.
async function requestBlob(repo: Repository, digest: string): Promise<Response> {
  checkDigest(repo, digest);
  return repo.client.request({
    method: "GET",
    url: `/v2/${repo.name}/blobs/${digest}`,
    scopes: [repo.pullScope],
    headers: { "accept-encoding": "identity" },
    what: `get blob ${digest}`,
    repository: repo.name,
  });
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
