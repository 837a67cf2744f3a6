// The referrers of an image, as verification lists them: every kind at
// once, no more than MAX_REFERRERS_LISTED. Listing all kinds and filtering
// here (rather than asking the store for one artifact type) is what keeps
// a referrer bomb cheap: a store stops its scan at the limit of what it
// found, and a filtered scan of a layout would read every referrer of the
// other kinds to find none of this one.

import { CudasealError } from "../errors.ts";
import type { ArtifactStore } from "../oci/artifact-store.ts";
import type { Descriptor } from "../oci/descriptor.ts";

/** Referrers of any kind listed at most for one image; more is refused as a referrer bomb. */
export const MAX_REFERRERS_LISTED = 1024;

/** The referrers of `subject`; VERIFY_TOO_MANY_REFERRERS past MAX_REFERRERS_LISTED, none of them fetched. */
export async function cappedReferrers(store: ArtifactStore, subject: string): Promise<Descriptor[]> {
  const listed = await store.referrers(subject, undefined, MAX_REFERRERS_LISTED + 1);
  if (listed.length > MAX_REFERRERS_LISTED)
    throw new CudasealError(
      "VERIFY_TOO_MANY_REFERRERS",
      `${store.name}: ${subject} has more than ${MAX_REFERRERS_LISTED} referrers`,
      {
        hint: "an image with this many referrers is most likely a referrer bomb; clean the repository's referrers of this digest",
        details: { subject, max: MAX_REFERRERS_LISTED },
      },
    );
  return listed;
}
