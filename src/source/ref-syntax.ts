// What the transports' reference syntaxes share: `PATH[:TAG]` or
// `PATH@sha256:…` for images in a file or folder (a path may hold colons, so
// a trailing `:TAG` counts only when it holds no slash, and `@` only when a
// whole digest follows it), and the USAGE error for a reference that cannot
// be read.

import { CudasealError } from "../errors.ts";
import { isSha256Digest } from "../oci/descriptor.ts";

/** Every form a reference may take, for hints. */
export const REFERENCE_FORMS =
  "oci:DIR[:TAG|@sha256:…], oci-archive:FILE[:TAG|@sha256:…], docker-archive:FILE[:NAME:TAG] or registry.example/repo[:tag]";

/** Where in a file or folder an image is: by tag, by the digest of its manifest or index, or neither. */
export interface PathTag {
  path: string;
  tag?: string;
  digest?: string;
}

/** `PATH[:TAG]` or `PATH@sha256:…`, what follows `prefix:` in `text` (undefined when `text` does not start so); USAGE for an empty path or tag. */
export function parsePathTag(text: string, prefix: string): PathTag | undefined {
  if (!text.startsWith(`${prefix}:`)) return undefined;
  const body = text.slice(prefix.length + 1);
  const at = body.lastIndexOf("@");
  if (at > 0 && isSha256Digest(body.slice(at + 1)))
    return { path: body.slice(0, at), digest: body.slice(at + 1) };
  const colon = body.lastIndexOf(":");
  const tagged = colon > 0 && !body.slice(colon + 1).includes("/");
  const path = tagged ? body.slice(0, colon) : body;
  const tag = tagged ? body.slice(colon + 1) : undefined;
  if (path === "") throw badReference(text, `${prefix}: needs a path`);
  if (tag === "") throw badReference(text, `${prefix}: has an empty tag`);
  return tag === undefined ? { path } : { path, tag };
}

/** `prefix:PATH` written back, with `:TAG` or `@DIGEST` when there is one. */
export function formatPathTag(prefix: string, at: PathTag): string {
  if (at.digest !== undefined) return `${prefix}:${at.path}@${at.digest}`;
  return at.tag === undefined ? `${prefix}:${at.path}` : `${prefix}:${at.path}:${at.tag}`;
}

/** The USAGE error for `text`, which names no image as it stands. */
export function badReference(text: string, why: string): CudasealError {
  return new CudasealError("USAGE", `${JSON.stringify(text)} is not an image reference: ${why}`, {
    hint: `name the image as ${REFERENCE_FORMS}`,
  });
}
