// One repository on a registry (`registry.example/team/cuda`) and the
// manifest half of the Distribution API: read a manifest or index by tag or
// digest (asking for both OCI and Docker media types), check its bytes
// against the digest they were asked by or the registry claimed, write one
// under a tag or its digest, and list tags. Blob reads and uploads live in
// blob-read.ts and blob-upload.ts.

import { CudasealError } from "../errors.ts";
import { discard } from "../http/index.ts";
import type { StoredManifest } from "../oci/artifact-store.ts";
import { sha256Digest } from "../oci/descriptor.ts";
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  mediaTypeInManifest,
  OCI_INDEX,
  OCI_MANIFEST,
} from "../oci/media-types.ts";
import { repositoryScope } from "./auth.ts";
import { RegistryClient as Client, type RegistryClient, type RegistryClientOptions } from "./client.ts";
import { readCapped } from "./read-capped.ts";

/** Largest manifest or index read (the OCI spec asks registries to take at least 4 MiB). */
export const MAX_MANIFEST = 4 * 1024 * 1024;

/** What a manifest GET asks for, best first. */
export const MANIFEST_ACCEPT = [OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST].join(", ");

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A repository on a registry, with the client for its host. */
export class Repository {
  readonly client: RegistryClient;
  readonly name: string;

  constructor(client: RegistryClient, name: string) {
    this.client = client;
    this.name = name;
  }

  /** `registry.example/team/cuda`. */
  get label(): string {
    return `${this.client.registry}/${this.name}`;
  }

  get pullScope(): string {
    return repositoryScope(this.name, "pull");
  }

  /** Push scope; pushing also needs pull (HEAD before upload). */
  get pushScope(): string {
    return repositoryScope(this.name, "pull,push");
  }

  /** The manifest `reference` (a tag or digest) names, or undefined when the registry has none. */
  async getManifest(
    reference: string,
    scopes: readonly string[] = [this.pullScope],
  ): Promise<StoredManifest | undefined> {
    const res = await this.client.request({
      method: "GET",
      url: `/v2/${this.name}/manifests/${reference}`,
      scopes,
      headers: { accept: MANIFEST_ACCEPT },
      ok: [200, 404],
      what: `get manifest ${reference}`,
      repository: this.name,
    });
    if (res.status === 404) {
      await discard(res);
      return undefined;
    }
    const bytes = await readCapped(res, MAX_MANIFEST, `${this.label}: manifest ${reference}`);
    const digest = sha256Digest(bytes);
    const claimed = res.headers.get("docker-content-digest");
    const expected = DIGEST.test(reference)
      ? reference
      : claimed !== null && DIGEST.test(claimed)
        ? claimed
        : undefined;
    if (expected !== undefined && expected !== digest)
      throw new CudasealError(
        "REGISTRY_DIGEST_MISMATCH",
        `${this.label}: manifest ${reference} does not match its digest (${expected} expected, ${digest} received)`,
        {
          hint: "the registry or something between it and us altered the manifest",
          details: { registry: this.client.registry, repository: this.name, expected, actual: digest },
        },
      );
    return { digest, mediaType: manifestMediaType(res.headers.get("content-type"), bytes), bytes };
  }

  /** The manifest's digest, media type and size from a HEAD, or undefined when absent. */
  async headManifest(
    reference: string,
  ): Promise<{ digest?: string; mediaType: string; size: number } | undefined> {
    const res = await this.client.request({
      method: "HEAD",
      url: `/v2/${this.name}/manifests/${reference}`,
      scopes: [this.pullScope],
      headers: { accept: MANIFEST_ACCEPT },
      ok: [200, 404],
      what: `check manifest ${reference}`,
      repository: this.name,
    });
    if (res.status === 404) return undefined;
    const digest = res.headers.get("docker-content-digest") ?? undefined;
    return {
      digest: digest !== undefined && DIGEST.test(digest) ? digest : undefined,
      mediaType: res.headers.get("content-type") ?? "",
      size: Number(res.headers.get("content-length") ?? 0),
    };
  }

  /**
   * Store a manifest or index under `reference` (a tag, or its own digest).
   * `subjectAccepted` is true when the registry said (OCI-Subject) that it
   * indexed the manifest's `subject` for the referrers API itself.
   */
  async putManifest(
    bytes: Uint8Array,
    mediaType: string,
    reference?: string,
  ): Promise<{ digest: string; subjectAccepted: boolean }> {
    const digest = sha256Digest(bytes);
    const ref = reference ?? digest;
    const res = await this.client.request({
      method: "PUT",
      url: `/v2/${this.name}/manifests/${ref}`,
      scopes: [this.pushScope],
      headers: { "content-type": mediaType, "content-length": String(bytes.length) },
      body: () => bytes,
      ok: [200, 201, 202],
      what: `push manifest ${ref}`,
      repository: this.name,
    });
    await discard(res);
    const stored = res.headers.get("docker-content-digest");
    if (stored !== null && stored !== digest)
      throw new CudasealError(
        "REGISTRY_DIGEST_MISMATCH",
        `${this.label}: the registry stored manifest ${ref} as ${stored}, not ${digest}`,
        {
          hint: "the registry rewrote the manifest; its digest, and any signature over it, would not hold",
          details: {
            registry: this.client.registry,
            repository: this.name,
            expected: digest,
            actual: stored,
          },
        },
      );
    return { digest, subjectAccepted: res.headers.get("oci-subject") !== null };
  }

  /**
   * The tags, following `Link` pagination; with `keep`, only those it keeps.
   * With `max`, paging stops once more than `max` are kept: a registry that
   * lists millions is not held whole, and the caller, seeing more than it
   * asked for, refuses it.
   */
  async tags(options: { keep?: (tag: string) => boolean; max?: number } = {}): Promise<string[]> {
    const tags: string[] = [];
    let url: string | undefined = `/v2/${this.name}/tags/list?n=1000`;
    for (let page = 0; url !== undefined && page < 1000; page++) {
      const res = await this.client.request({
        method: "GET",
        url,
        scopes: [this.pullScope],
        ok: [200, 404],
        what: "list tags",
        repository: this.name,
      });
      if (res.status === 404) {
        await discard(res);
        return tags;
      }
      const body = tagsBody(
        (await readCapped(res, MAX_MANIFEST, `${this.label}: tags`)).toString("utf8"),
        this.label,
      );
      if (Array.isArray(body.tags))
        for (const t of body.tags) if (typeof t === "string" && (options.keep?.(t) ?? true)) tags.push(t);
      if (options.max !== undefined && tags.length > options.max) return tags;
      url = nextLink(res.headers.get("link"));
    }
    return tags;
  }
}

/** The repository `name` on `registry`, with a fresh client. */
export function openRepository(
  registry: string,
  name: string,
  options: RegistryClientOptions = {},
): Repository {
  let client = options.clients?.get(registry);
  if (client === undefined) {
    client = new Client(registry, options);
    options.clients?.set(registry, client);
  }
  return new Repository(client, name);
}

/** `<…>; rel="next"` → the next page's path (tags lists and referrers lists page alike). */
export function nextLink(link: string | null): string | undefined {
  if (link === null) return undefined;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m?.[1];
}

/** The media type from Content-Type, or the document's own `mediaType` when the header says nothing useful. */
function manifestMediaType(contentType: string | null, bytes: Buffer): string {
  const header = contentType?.split(";")[0].trim();
  if (
    header !== undefined &&
    header !== "" &&
    header !== "application/json" &&
    header !== "application/octet-stream"
  )
    return header;
  return mediaTypeInManifest(bytes) ?? header ?? OCI_MANIFEST;
}

/** A tags list as the registry sent it; REGISTRY_INVALID_RESPONSE for one that is no JSON object. */
function tagsBody(text: string, label: string): { tags?: unknown } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new CudasealError("REGISTRY_INVALID_RESPONSE", `${label}: the tags list is not JSON`, {
      cause: err,
    });
  }
  if (body === null || typeof body !== "object")
    throw new CudasealError("REGISTRY_INVALID_RESPONSE", `${label}: the tags list is not a JSON object`);
  return body as { tags?: unknown };
}
