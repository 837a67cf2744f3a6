// What the transports' reference syntaxes share: `PATH[:TAG]` for images in
// a file or folder (a path may hold colons, so a trailing `:TAG` counts only
// when it holds no slash), and the USAGE error for a reference that cannot
// be read.

import { CudasealError } from "../errors.ts";

/** Every form a reference may take, for hints. */
export const REFERENCE_FORMS =
  "oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG] or registry.example/repo[:tag]";

/** `PATH[:TAG]`, what follows `prefix:` in `text` (undefined when `text` does not start so); USAGE for an empty path or tag. */
export function parsePathTag(text: string, prefix: string): { path: string; tag?: string } | undefined {
  if (!text.startsWith(`${prefix}:`)) return undefined;
  const body = text.slice(prefix.length + 1);
  const colon = body.lastIndexOf(":");
  const tagged = colon > 0 && !body.slice(colon + 1).includes("/");
  const path = tagged ? body.slice(0, colon) : body;
  const tag = tagged ? body.slice(colon + 1) : undefined;
  if (path === "") throw badReference(text, `${prefix}: needs a path`);
  if (tag === "") throw badReference(text, `${prefix}: has an empty tag`);
  return tag === undefined ? { path } : { path, tag };
}

/** `prefix:PATH` written back, with `:TAG` when there is one. */
export function formatPathTag(prefix: string, path: string, tag: string | undefined): string {
  return tag === undefined ? `${prefix}:${path}` : `${prefix}:${path}:${tag}`;
}

/** The USAGE error for `text`, which names no image as it stands. */
export function badReference(text: string, why: string): CudasealError {
  return new CudasealError("USAGE", `${JSON.stringify(text)} is not an image reference: ${why}`, {
    hint: `name the image as ${REFERENCE_FORMS}`,
  });
}
