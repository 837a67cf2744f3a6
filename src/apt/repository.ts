// Reads apt repositories the way apt does: InRelease first, its signature
// checked against the source's keyring before a byte of it is parsed, then
// each Packages index named in it, fetched (preferring .xz) into the content
// store, read no further than its signed size, and accepted only when its
// SHA256 matches the signed Release. A Release older than one already seen
// for its suite is refused (release-rollback.ts).
//
// Each verified Packages file is read once into a compact index in the cache
// (index-cache.ts), keyed by its signed SHA256 and the architecture; later
// reads of the same signed index open that instead of parsing any text.

import { join } from "node:path";
import type { ContentStore } from "../cache/content-store.ts";
import { NewestSeen } from "../cache/newest-seen.ts";
import { CudasealError } from "../errors.ts";
import { downloadVerified, getBytes, getConditional, HttpStatusError } from "../http/index.ts";
import { mapPool } from "../util/pool.ts";
import { AvailablePackages } from "./available.ts";
import { buildCachedIndex, indexCachePath, openCachedIndex } from "./index-cache.ts";
import type { CompactIndex } from "./index-cache-read.ts";
import { verifyDetached } from "./inrelease.ts";
import { type KeptInRelease, keepInRelease, readKeptInRelease } from "./inrelease-kept.ts";
import { type KeyringRef, keyringDigest, verifyInReleaseOnce } from "./inrelease-verified.ts";
import { builtinKeyring, isBuiltinKeyringName, type Keyring, loadKeyring, mergeKeyrings } from "./keyring.ts";
import type { AptPin } from "./pins.ts";
import { checkFresh, parseRelease, type Release } from "./release.ts";
import { checkNotRolledBack, recordRelease } from "./release-rollback.ts";
import { type AptSource, isFlatSuite, suiteBaseUrl } from "./sources.ts";
import type { RepoRef } from "./types.ts";

export interface ReadSourcesOptions {
  arches: string[];
  store: ContentStore;
  now?: Date;
  /** Accept stale metadata for every source (per-source `allowExpired` also works). */
  allowExpired?: boolean;
  /** Accept a Release older than one already seen, for every source (per-source `allowRollback` also works). */
  allowRollback?: boolean;
  /** Where the newest Date of each suite is kept; default: apt-release-dates/ beside the content store. */
  releaseDates?: NewestSeen;
  signal?: AbortSignal;
  /**
   * Make no request: use the InRelease kept from the last read of each suite
   * (still verified, and refused once past its Valid-Until) and the indexes
   * already in the cache. Per-source `offline` also works.
   */
  offline?: boolean;
  /** Notes for the user (a component missing from a suite, a fallback taken). */
  onNote?: (note: string) => void;
}

/** One suite's verified metadata. */
export interface SuiteInfo {
  uri: string;
  suite: string;
  release: Release;
  /** Fingerprint of the key whose signature was accepted. */
  signer: string;
}

export interface AptIndex {
  /** The packages every source offers, per architecture (`all` packages under each arch). */
  available: Map<string, AvailablePackages>;
  suites: SuiteInfo[];
}

/** One Packages index read for one architecture, with the source that named it. */
interface IndexPart {
  arch: string;
  index: CompactIndex;
  repo: RepoRef;
  pins?: readonly AptPin[];
}

const INRELEASE_MAX = 32 * 1024 * 1024;
const INDEX_MAX = 1024 * 1024 * 1024;

/** Fetch, verify and parse the package indexes of every source. */
export async function readSources(
  sources: readonly AptSource[],
  options: ReadSourcesOptions,
): Promise<AptIndex> {
  // Keyrings are parsed (and openpgp.js loaded) only when a signature must be
  // checked: an InRelease verified before needs only the keyring's digest.
  const keyrings = new Map<string, KeyringRef>();
  const keyringFor = (source: AptSource): KeyringRef => {
    const id = source.keyring === "debian" ? "debian" : source.keyring.join("\0");
    let ref = keyrings.get(id);
    if (!ref) {
      let loading: Promise<Keyring> | undefined;
      ref = {
        digest: keyringDigest(source.keyring === "debian" ? ["debian"] : source.keyring),
        load: () => {
          loading ??= loadSourceKeyring(source.keyring);
          return loading;
        },
      };
      keyrings.set(id, ref);
    }
    return ref;
  };
  // The content store's root is the cache folder; the record of dates lives beside it.
  const dates = options.releaseDates ?? new NewestSeen(join(options.store.root, "apt-release-dates"));
  // A source restricted to architectures not built (NVIDIA's sbsa folder in an
  // amd64 build) is not read at all.
  const wanted = sources.filter((s) => !s.arches || s.arches.some((arch) => options.arches.includes(arch)));
  const jobs = wanted.flatMap((source) => source.suites.map((suite) => ({ source, suite })));
  const results = await mapPool(jobs, 4, async ({ source, suite }) =>
    readSuite(source, suite, keyringFor(source), dates, options),
  );
  // Sources in the order given, each suite's indexes in component order.
  const parts = results.flatMap((r) => r.parts);
  const available = new Map(
    options.arches.map((arch) => [
      arch,
      AvailablePackages.fromIndexes(
        arch,
        parts.filter((p) => p.arch === arch),
      ),
    ]),
  );
  return { available, suites: results.map((r) => r.info) };
}

/** `debian` and `nvidia` name the keys shipped with cudaseal; anything else is a key file. */
async function loadSourceKeyring(keyring: AptSource["keyring"]): Promise<Keyring> {
  const list = keyring === "debian" ? ["debian"] : keyring;
  const rings = await Promise.all(
    list.map((k) => (isBuiltinKeyringName(k) ? builtinKeyring(k) : loadKeyring(k))),
  );
  return mergeKeyrings(rings);
}

async function readSuite(
  source: AptSource,
  suite: string,
  keyring: KeyringRef,
  dates: NewestSeen,
  options: ReadSourcesOptions,
): Promise<{ info: SuiteInfo; parts: IndexPart[] }> {
  const base = suiteBaseUrl(source.uri, suite);
  const offline = options.offline === true || source.offline === true;
  if (offline) options = { ...options, offline };
  const { text, signer, fresh, remember } = await fetchSignedRelease(base, keyring, options);
  const release = parseRelease(text);
  const now = options.now ?? new Date();
  const from = { uri: source.uri, suite };
  try {
    checkFresh(release, {
      now,
      allowExpired: options.allowExpired || source.allowExpired === true,
      url: `${base}/InRelease`,
    });
  } catch (err) {
    if (!(offline && err instanceof CudasealError && err.code === "APT_RELEASE_EXPIRED")) throw err;
    throw new CudasealError("APT_RELEASE_EXPIRED", `--offline: ${err.message}`, {
      hint: "the metadata kept from the last read has expired; run once without --offline to fetch fresh metadata",
      cause: err,
      details: err.details,
    });
  }
  await checkNotRolledBack(release, from, {
    dates,
    allowRollback: options.allowRollback || source.allowRollback === true,
    url: `${base}/InRelease`,
  });
  const flat = isFlatSuite(suite);
  const arches = source.arches ?? options.arches;
  const components = flat ? [""] : source.components;
  const targets = components.flatMap((component) =>
    options.arches.filter((arch) => arches.includes(arch)).map((arch) => ({ component, arch })),
  );
  const found = await mapPool(targets, 3, async ({ component, arch }): Promise<IndexPart | undefined> => {
    if (!flat && release.components.length > 0 && !release.components.includes(component)) {
      options.onNote?.(`${base}: no component ${component}; skipped`);
      return undefined;
    }
    const dir = flat ? "" : `${component}/binary-${arch}/`;
    const repo = { uri: source.uri, suite, component: flat ? suite : component, priority: source.priority };
    const index = await compactIndex(base, dir, release, arch, repo, options);
    if (index === undefined) {
      if (!flat && release.architectures.length > 0 && !release.architectures.includes(arch))
        return undefined;
      throw new CudasealError(
        "APT_INDEX_MISSING",
        `${base}/InRelease lists no Packages index for ${component} ${arch}`,
        {
          hint: `check that ${suite} has the component ${component} for ${arch}`,
          details: { url: base, component, arch },
        },
      );
    }
    return { arch, index, repo, pins: source.pins };
  });
  // Kept only once the suite was read whole: the Date of metadata actually used.
  await recordRelease(release, from, dates, now);
  // Likewise the InRelease, with the validators of the answer that brought it.
  if (fresh) await keepInRelease(options.store.root, fresh);
  // And that it verified, so the next read of the same bytes skips the check.
  await remember?.();
  const parts = found.filter((p): p is IndexPart => p !== undefined);
  return { info: { uri: source.uri, suite, release, signer }, parts };
}

async function fetchSignedRelease(
  base: string,
  keyring: KeyringRef,
  options: ReadSourcesOptions,
): Promise<{ text: string; signer: string; fresh?: KeptInRelease; remember?: () => Promise<void> }> {
  const get = (path: string) =>
    getBytes(`${base}/${path}`, { maxBytes: INRELEASE_MAX, signal: options.signal });
  const url = `${base}/InRelease`;
  const root = options.store.root;
  const kept = await readKeptInRelease(root, url);
  if (options.offline) {
    if (!kept) {
      throw new CudasealError(
        "APT_FETCH_FAILED",
        `--offline: no InRelease of ${base} was kept from an earlier read`,
        {
          hint: "run once without --offline, which fetches the repository's metadata and keeps it",
          details: { url },
        },
      );
    }
    return verifyInReleaseOnce(root, kept.body, keyring, { url });
  }
  let inRelease: Buffer | undefined;
  let fresh: KeptInRelease | undefined;
  try {
    // Asked as "changed since?"; on 304 the kept bytes are verified as if just downloaded.
    const answer = await getConditional(url, kept ?? {}, { maxBytes: INRELEASE_MAX, signal: options.signal });
    if (!answer.notModified) {
      inRelease = answer.body;
      // A mirror that sends no validators answers 200 with the same bytes each time: nothing new to keep.
      const same =
        kept?.body.equals(answer.body) &&
        kept.etag === answer.etag &&
        kept.lastModified === answer.lastModified;
      if (!same) fresh = { url, body: answer.body, etag: answer.etag, lastModified: answer.lastModified };
    } else if (kept) {
      inRelease = kept.body;
    } else {
      throw new CudasealError("APT_FETCH_FAILED", `${url}: HTTP 304 to a request that was not conditional`);
    }
  } catch (err) {
    if (!(err instanceof HttpStatusError && err.status === 404)) throw repoError(base, err);
  }
  if (inRelease) return { ...(await verifyInReleaseOnce(root, inRelease, keyring, { url })), fresh };
  // Some repositories publish only the older detached pair.
  const [release, signature] = await Promise.allSettled([get("Release"), get("Release.gpg")]);
  for (const result of [release, signature]) {
    if (result.status === "fulfilled") continue;
    const err = result.reason;
    // A Release with no signature at all is a repository apt refuses as unsigned.
    const unsigned =
      result === signature &&
      release.status === "fulfilled" &&
      err instanceof HttpStatusError &&
      err.status === 404;
    if (unsigned) {
      throw new CudasealError(
        "APT_SIGNATURE_INVALID",
        `${base} is not signed: no InRelease and no Release.gpg`,
        {
          hint: "cudaseal reads only signed repositories; ask the repository's owner to sign it",
          details: { url: `${base}/Release` },
        },
      );
    }
    if (err instanceof HttpStatusError) throw repoError(base, err);
    throw err;
  }
  return verifyDetached(
    (release as PromiseFulfilledResult<Buffer>).value,
    (signature as PromiseFulfilledResult<Buffer>).value,
    await keyring.load(),
    { url: `${base}/Release` },
  );
}

function repoError(base: string, err: unknown): CudasealError {
  if (err instanceof CudasealError && err.code !== "FETCH_FAILED") return err;
  return new CudasealError("APT_FETCH_FAILED", `cannot read the repository at ${base}`, {
    hint: "check the mirror URL and suite name (and the network); --mirror names another mirror",
    cause: err,
    details: { url: base },
  });
}

/**
 * The compact form of the Packages index under `dir` for `arch`; undefined
 * when the Release names none. A cached one for the signed hash is opened
 * as it is; otherwise the file is fetched (by hash where the repository
 * supports it, so a mirror updating mid-build cannot hand us a newer file
 * than the one signed) and its compact form built.
 */
async function compactIndex(
  base: string,
  dir: string,
  release: Release,
  arch: string,
  repo: RepoRef,
  options: ReadSourcesOptions,
): Promise<CompactIndex | undefined> {
  for (const suffix of [".xz", ".gz", ""]) {
    const path = `${dir}Packages${suffix}`;
    const entry = release.sha256.get(path);
    if (!entry) continue;
    const dest = indexCachePath(options.store.root, entry.sha256, arch);
    const cached = openCachedIndex(dest, entry.sha256, arch, options.onNote);
    if (cached) return cached;
    let file = await options.store.lookup(entry.sha256, entry.size);
    if (!file && options.offline) {
      throw new CudasealError("APT_FETCH_FAILED", `--offline: ${base}/${path} is not in the cache`, {
        hint: "run once without --offline, which fetches the indexes and keeps them",
        details: { url: `${base}/${path}`, sha256: entry.sha256 },
      });
    }
    if (!file) {
      // By hash first where offered; apt falls back to the plain name when a mirror lacks it.
      const urls = [`${base}/${path}`];
      if (release.acquireByHash) urls.unshift(`${base}/${dir}by-hash/SHA256/${entry.sha256}`);
      const tmp = await options.store.tempPath(entry.sha256);
      let url = urls[0];
      try {
        for (const [i, candidate] of urls.entries()) {
          url = candidate;
          try {
            await downloadVerified(url, tmp, {
              sha256: entry.sha256,
              size: entry.size,
              // Not a byte past the signed size is read.
              maxBytes: entry.size,
              label: `${base}/${path}`,
              signal: options.signal,
            });
            break;
          } catch (err) {
            if (!(i < urls.length - 1 && err instanceof HttpStatusError && err.status === 404)) throw err;
          }
        }
      } catch (err) {
        if (err instanceof HttpStatusError && err.status === 404) {
          options.onNote?.(`${base}/${path}: not found, trying the next format`);
          continue;
        }
        if (
          err instanceof CudasealError &&
          // Longer than signed (FETCH_TOO_LARGE, cut off at the signed size) is as much
          // a mismatch as shorter or different.
          (err.code === "DEB_HASH_MISMATCH" ||
            err.code === "DEB_SIZE_MISMATCH" ||
            err.code === "FETCH_TOO_LARGE")
        ) {
          throw new CudasealError(
            "APT_INDEX_HASH_MISMATCH",
            `${base}/${path} does not match the signed InRelease`,
            {
              hint: "the mirror may be mid-update or tampered with; try again later or use another mirror",
              cause: err,
              details: { url, expected: entry.sha256, size: entry.size },
            },
          );
        }
        throw err;
      }
      file = await options.store.commit(tmp, entry.sha256);
    }
    return buildCachedIndex(
      { file, suffix, sha256: entry.sha256, arch, dest, repo, maxBytes: INDEX_MAX },
      options.signal,
    );
  }
  return undefined;
}
