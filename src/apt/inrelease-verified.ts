// Which InRelease files were verified, and against which keys: after a
// signature check succeeds (and the suite was then read whole), a small marker in the cache records the
// InRelease's SHA256, the keyring's (a SHA256 over the bytes of the key
// files that make it up), and the signer's fingerprint. The next read of the
// same bytes with the same keyring takes the signed text as verified, without
// loading openpgp.js or parsing the keyring; the Release text is still parsed
// and checked for freshness and rollback on every read (repository.ts).
//
// Safe because the marker proves nothing an attacker could not get anyway:
// it is trusted exactly as the compact indexes and the content store beside
// it are (anyone able to write it could rewrite those); a changed InRelease
// has another SHA256 and a changed keyring (a key added, removed, revoked)
// another digest, so either is verified again; and a signer key's expiry is
// kept in the marker, so once it has passed the file is verified again, and
// refused as it would be without the marker. An unreadable or mismatched
// marker is ignored: the file is verified, and the marker written afresh.

import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-file.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import { clearsignedText, type VerifiedRelease, type VerifyContext, verifyInRelease } from "./inrelease.ts";
import {
  BUILTIN_KEYRING_PATH,
  type BuiltinKeyringName,
  isBuiltinKeyringName,
  type Keyring,
  MAX_KEYRING_BYTES,
  NVIDIA_KEYRING_PATH,
} from "./keyring.ts";

/** A keyring not yet parsed: what identifies its keys, and how to load them. */
export interface KeyringRef {
  /** SHA256 over the key files' bytes; undefined when they cannot be read (load then says why). */
  digest: Promise<string | undefined>;
  load(): Promise<Keyring>;
}

// A marker is a few hundred bytes; anything larger is not one.
const MARKER_MAX = 4096;

/**
 * The digest of the keyring the names make up: each shipped keyring
 * (`debian`, `nvidia`) or key file by the SHA256 of its bytes, in order.
 */
export async function keyringDigest(names: readonly string[]): Promise<string | undefined> {
  const hash = createHash("sha256");
  try {
    for (const name of names) {
      const path = isBuiltinKeyringName(name) ? builtinPath(name) : name;
      const bytes = await readRegularFile(path, { what: "keyring", max: MAX_KEYRING_BYTES });
      const kind = isBuiltinKeyringName(name) ? `builtin:${name}` : "file";
      hash.update(`${kind} ${createHash("sha256").update(bytes).digest("hex")}\n`);
    }
  } catch {
    return undefined;
  }
  return hash.digest("hex");
}

function builtinPath(name: BuiltinKeyringName): string {
  return name === "nvidia" ? NVIDIA_KEYRING_PATH : BUILTIN_KEYRING_PATH;
}

interface Marker {
  inRelease: string;
  keyring: string;
  signer: string;
  /** When the signer's key expires (ms since the epoch); null when it does not. */
  keyExpires: number | null;
}

function markerPath(root: string, inRelease: string, keyring: string): string {
  return join(root, "apt-inrelease-verified", `${inRelease}-${keyring}.json`);
}

/**
 * verifyInRelease, unless these very bytes were verified against this very
 * keyring before (and the signer's key has not expired since); then only the
 * signed text is framed, as verifyInRelease frames it. After a check,
 * `remember` writes the marker; the caller calls it once the suite was read
 * whole, as it keeps the InRelease itself, so a failed read leaves nothing.
 */
export async function verifyInReleaseOnce(
  root: string,
  bytes: Uint8Array,
  keyring: KeyringRef,
  context: VerifyContext,
): Promise<VerifiedRelease & { remember?: () => Promise<void> }> {
  const ring = await keyring.digest;
  const digest = createHash("sha256").update(bytes).digest("hex");
  const path = ring === undefined ? undefined : markerPath(root, digest, ring);
  const now = (context.now ?? new Date()).getTime();
  if (path) {
    const marker = await readMarker(path);
    if (
      marker &&
      marker.inRelease === digest &&
      marker.keyring === ring &&
      (marker.keyExpires === null || now < marker.keyExpires)
    ) {
      return { text: clearsignedText(bytes, context.url), signer: marker.signer };
    }
  }
  const keys = await keyring.load();
  const verified = await verifyInRelease(bytes, keys, context);
  if (!path) return verified;
  const marker: Marker = {
    inRelease: digest,
    keyring: ring!,
    signer: verified.signer,
    keyExpires: await expiry(keys, verified.signer),
  };
  // Only a speed-up: a cache folder that cannot take it costs the next read a check.
  const remember = () =>
    mkdir(join(path, ".."), { recursive: true })
      .then(() => writeFileAtomic(path, JSON.stringify(marker)))
      .catch(() => {});
  return { ...verified, remember };
}

async function readMarker(path: string): Promise<Marker | undefined> {
  try {
    // Capped, and only a regular file: a FIFO or a huge file in the cache must not stall or fill the read.
    const text = (await readRegularFile(path, { what: "InRelease marker", max: MARKER_MAX })).toString(
      "utf8",
    );
    const data = JSON.parse(text) as Partial<Record<keyof Marker, unknown>>;
    if (
      typeof data.inRelease !== "string" ||
      typeof data.keyring !== "string" ||
      typeof data.signer !== "string" ||
      !/^[0-9A-F]{40,64}$/.test(data.signer) ||
      !(data.keyExpires === null || (typeof data.keyExpires === "number" && Number.isFinite(data.keyExpires)))
    )
      return undefined;
    return data as Marker;
  } catch {
    return undefined;
  }
}

/** When the signer's primary key expires; null when never, 0 (no marker is used) when openpgp.js cannot tell. */
async function expiry(keys: Keyring, signer: string): Promise<number | null> {
  const key = keys.keys[keys.fingerprints.indexOf(signer)];
  if (!key) return 0;
  const when = await key.getExpirationTime();
  if (when === Infinity) return null;
  return when instanceof Date ? when.getTime() : 0;
}
