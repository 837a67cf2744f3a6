// Reads a small answer whole (a manifest, a config, a token, a tag list), and
// stops at a cap: a hostile registry cannot make us buffer gigabytes by
// sending a "manifest" that never ends. The reading is src/http/'s; the
// refusal is in the registry's terms.

import { CudasealError } from "../errors.ts";
import { readCapped as readBodyCapped } from "../http/index.ts";

/** The body of `res`, REGISTRY_TOO_LARGE past `max` bytes (by Content-Length or as counted). */
export function readCapped(res: Response, max: number, what: string): Promise<Buffer> {
  return readBodyCapped(res, max, () => tooLarge(what, max));
}

function tooLarge(what: string, max: number): CudasealError {
  return new CudasealError("REGISTRY_TOO_LARGE", `${what} is larger than ${max} bytes`, {
    hint: "a manifest or config this large is not an image; the registry may be hostile",
    details: { max },
  });
}
