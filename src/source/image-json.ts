// Image documents (indexes, manifests, configs) as JSON objects: each is
// input like any other, so one that is not a JSON object is IMAGE_INVALID,
// and none is read past a cap.

import { CudasealError } from "../errors.ts";

/** Largest config (or other JSON blob but a manifest) read whole. */
export const MAX_JSON = 16 * 1024 * 1024;

/** Parse JSON, IMAGE_INVALID naming `what` when it is not. */
export function parseJsonValue(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new CudasealError("IMAGE_INVALID", `${what} is not JSON`, { cause: err });
  }
}

/** Parse a JSON object, IMAGE_INVALID naming `what` when it is not one. */
export function parseJson(bytes: Buffer, what: string): Record<string, unknown> {
  const doc = parseJsonValue(bytes, what);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    throw new CudasealError("IMAGE_INVALID", `${what} is not a JSON object`);
  return doc as Record<string, unknown>;
}
