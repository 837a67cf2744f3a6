// Rollback protection for apt metadata. A signature says who made a Release,
// not that it is still current: a mirror, or anyone on the way, can replay an
// older InRelease whose signature still verifies and hold a build on packages
// with known holes. Valid-Until bounds that only where the archive sets it,
// and Debian's main suites do not. So the newest Date accepted for each suite
// is kept in the cache (cache/newest-seen.ts) and an older one is refused,
// as apt refuses to replace its lists with older ones.
//
// Which Releases share a record: those of one suite of one archive, whichever
// mirror served them, so switching mirrors cannot roll back either. The
// archive is named by what its signed Release says it is, Origin and Label;
// the suite by the dists/ name the source asks for (trixie, stable,
// noble-updates), which is the same on every mirror. Not the Release's Suite
// or Codename fields: Suite changes when a release moves (testing becomes
// stable), which would start its record afresh just when replays of the old
// name are at hand, and Ubuntu's pockets (noble, noble-updates,
// noble-security) share one Codename. A Release that names neither Origin nor
// Label, and a flat repository (whose URI is part of its name), is recorded by
// its URL: nothing signed says which archive it is, and unrelated
// repositories must not share a record.
//
// A lock replay reads no Release and is untouched by this: the lock pins
// every .deb by hash.

import type { NewestSeen } from "../cache/newest-seen.ts";
import { CudasealError } from "../errors.ts";
import { MAX_FUTURE_MS, type Release } from "./release.ts";
import { isFlatSuite, suiteBaseUrl } from "./sources.ts";

/** Where a Release was read from, as the source names it. */
export interface ReleaseOrigin {
  uri: string;
  suite: string;
}

/** The name under which the newest Date of this Release's suite is kept. */
export function releaseRecordName(release: Release, from: ReleaseOrigin): string {
  if (isFlatSuite(from.suite) || (!release.origin && !release.label)) {
    return JSON.stringify(["url", suiteBaseUrl(from.uri, from.suite)]);
  }
  return JSON.stringify(["archive", release.origin ?? "", release.label ?? "", from.suite]);
}

export interface RollbackOptions {
  dates: NewestSeen;
  /** Accept an older Release (a deliberate move to an older snapshot). */
  allowRollback: boolean;
  /** The InRelease's URL, for messages. */
  url: string;
}

/**
 * APT_RELEASE_ROLLBACK when a newer Release of the same suite was accepted
 * before; a Release with no Date cannot show that it is not older, so it too
 * is refused once a Date has been seen.
 */
export async function checkNotRolledBack(
  release: Release,
  from: ReleaseOrigin,
  options: RollbackOptions,
): Promise<void> {
  if (options.allowRollback) return;
  const newest = await options.dates.newest(releaseRecordName(release, from));
  if (newest === undefined) return;
  const date = release.date === undefined ? undefined : Math.floor(release.date.getTime() / 1000);
  if (date !== undefined && date >= newest) return;
  const seen = new Date(newest * 1000).toISOString();
  const dated = release.date === undefined ? "has no Date" : `is dated ${release.date.toISOString()}`;
  throw new CudasealError(
    "APT_RELEASE_ROLLBACK",
    `${options.url} ${dated}, older than the ${seen} already seen for ${from.suite}`,
    {
      hint:
        "a mirror may be replaying old metadata to hold back updates; try again later or another mirror. " +
        "After a deliberate move to an older snapshot, --allow-rollback accepts it",
      details: {
        url: options.url,
        suite: from.suite,
        date: release.date?.toISOString(),
        newestSeen: seen,
      },
    },
  );
}

/**
 * Keep this Release's Date as the suite's newest if it is. A Date further
 * ahead than MAX_FUTURE_MS was accepted only because the date checks were
 * waived; it is not kept, or it would refuse every real Release until then.
 */
export async function recordRelease(
  release: Release,
  from: ReleaseOrigin,
  dates: NewestSeen,
  now: Date,
): Promise<void> {
  if (release.date === undefined || release.date.getTime() > now.getTime() + MAX_FUTURE_MS) return;
  const seconds = Math.floor(release.date.getTime() / 1000);
  if (seconds < 0) return;
  await dates.record(releaseRecordName(release, from), seconds);
}
