// How many referrers of one manifest a reader hands on (signatures,
// attestations, SBOMs: a handful each in practice). Past it, the image is
// refused rather than carried: a layout or repository holding a referrer
// bomb would otherwise make a copy read and write every one of them.

import { CudasealError } from "../errors.ts";

/** Referrers of one manifest read at most. */
export const MAX_REFERRERS = 1024;

/** IMAGE_INVALID for `digest` in `label`, which has `count` referrers (or more), past MAX_REFERRERS. */
export function tooManyReferrers(label: string, digest: string, count: number): CudasealError {
  return new CudasealError(
    "IMAGE_INVALID",
    `${label}: ${digest} has ${count} referrers, more than the ${MAX_REFERRERS} a copy carries`,
    {
      hint: "copy it with --no-referrers, or remove the extra referrers of this digest",
      details: { digest, referrers: count },
    },
  );
}
