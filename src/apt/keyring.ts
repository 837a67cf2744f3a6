// The OpenPGP public keys a repository's signature is checked against: the
// Debian or NVIDIA keys shipped in keys/, or files the user names with --keyring.
//
// A keyring file is either binary (OpenPGP packets, keys one after another,
// what `gpg --export` and Debian's *.pgp/*.gpg files hold) or ASCII-armored
// (`.asc`, one or more PUBLIC KEY BLOCKs). A file that is neither, that holds
// no key, or that holds a private key is refused: a keyring decides what
// cudaseal trusts, so anything odd about it is an error, not a warning.

import { fileURLToPath } from "node:url";
import type { PublicKey } from "openpgp";
import { CudasealError } from "../errors.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import { openpgp } from "./inrelease-openpgp.ts";

/** Keys trusted to sign a repository's Release, with their fingerprints. */
export interface Keyring {
  readonly keys: readonly PublicKey[];
  /** Primary-key fingerprints, upper-case hex, in the order of `keys`. */
  readonly fingerprints: readonly string[];
  /** Where the keys came from (file paths or labels), for messages. */
  readonly sources: readonly string[];
}

/** The keyrings shipped with cudaseal, by the name a source gives as its keyring. */
export type BuiltinKeyringName = "debian" | "nvidia";

/** The Debian archive and security keys shipped with cudaseal (see keys/README.md). */
export const BUILTIN_KEYRING_PATH = fileURLToPath(
  new URL("../../keys/debian-archive-keyring.pgp", import.meta.url),
);

/** NVIDIA's CUDA repository signing keys shipped with cudaseal (see keys/README.md). */
export const NVIDIA_KEYRING_PATH = fileURLToPath(
  new URL("../../keys/nvidia-cuda-archive-keyring.pgp", import.meta.url),
);

/**
 * The primary fingerprints NVIDIA signs its CUDA repositories with: the
 * `cudatools` key (3bf863cc; the debian12 and Ubuntu trees) and the Debian 13
 * `Kitmaker` key (8793F200; the debian13 tree). The shipped file must hold
 * exactly these, so a swapped file is an error rather than new trust.
 */
export const NVIDIA_FINGERPRINTS: readonly string[] = [
  "EB693B3035CD5710E231E123A4B469963BF863CC",
  "02182E60104FCDC26EAE1B8597A5D4CB8793F200",
];

/** Whether a keyring name is one shipped with cudaseal rather than a file. */
export function isBuiltinKeyringName(name: string): name is BuiltinKeyringName {
  return name === "debian" || name === "nvidia";
}

// Debian's whole keyring is 36 KiB; nothing legitimate comes near this.
export const MAX_KEYRING_BYTES = 16 * 1024 * 1024;

const ARMOR_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
const ARMOR_END = "-----END PGP PUBLIC KEY BLOCK-----";

/** Parse keys from the bytes of a keyring file; `source` names it in errors. */
export async function keyringFromBytes(bytes: Uint8Array, source = "keyring"): Promise<Keyring> {
  const fail = (message: string, hint?: string, cause?: unknown): never => {
    throw new CudasealError("KEYRING_INVALID", `${source}: ${message}`, {
      hint: hint ?? "give an OpenPGP public key file, binary or ASCII-armored (gpg --export [--armor] KEYID)",
      cause,
      details: { keyring: source },
    });
  };
  if (bytes.length > MAX_KEYRING_BYTES) fail(`larger than ${MAX_KEYRING_BYTES} bytes`);

  if (bytes.length === 0) fail("is empty");
  if (isKeybox(bytes)) {
    fail("is a GnuPG keybox (pubring.kbx), not a keyring", "export the keys: gpg --export KEYID > key.gpg");
  }

  const { readKeys } = await openpgp();
  let parsed: PublicKey[] = [];
  if (isBinary(bytes)) {
    try {
      parsed = await readKeys({ binaryKeys: bytes });
    } catch (err) {
      fail(`not a valid OpenPGP keyring: ${(err as Error).message}`, undefined, err);
    }
  } else {
    let text = "";
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (err) {
      fail("neither a binary keyring nor UTF-8 armored text", undefined, err);
    }
    if (text.includes("-----BEGIN PGP PRIVATE KEY BLOCK-----")) {
      fail("holds a private key", "export only the public key: gpg --export --armor KEYID");
    }
    const blocks = armorBlocks(text);
    if (blocks === undefined) fail(`an armor block has no ${ARMOR_END} line`);
    if (blocks!.length === 0) fail("holds no PGP PUBLIC KEY BLOCK");
    for (const block of blocks!) {
      try {
        parsed.push(...(await readKeys({ armoredKeys: block })));
      } catch (err) {
        fail(`not a valid armored OpenPGP key: ${(err as Error).message}`, undefined, err);
      }
    }
  }
  if (parsed.length === 0) fail("holds no public key");
  if (parsed.some((key) => key.isPrivate())) {
    fail("holds a private key", "export only the public key: gpg --export KEYID");
  }
  return build(parsed, [source]);
}

/** Read one keyring file; errors name the file. */
export async function loadKeyringFile(path: string): Promise<Keyring> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, { what: "keyring", max: MAX_KEYRING_BYTES });
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("KEYRING_INVALID", `cannot read keyring ${path}: ${(err as Error).message}`, {
      hint: "check the path given to --keyring",
      cause: err,
      details: { keyring: path },
    });
  }
  return keyringFromBytes(bytes, path);
}

/** Read and merge several keyring files (the paths given with --keyring). */
export async function loadKeyring(paths: string | readonly string[]): Promise<Keyring> {
  const list = typeof paths === "string" ? [paths] : paths;
  if (list.length === 0) {
    throw new CudasealError("KEYRING_INVALID", "no keyring file given", {
      hint: "name at least one key file with --keyring",
    });
  }
  return mergeKeyrings(await Promise.all(list.map((path) => loadKeyringFile(path))));
}

const builtins = new Map<BuiltinKeyringName, Promise<Keyring>>();

/** A shipped keyring (Debian's unless named), read once per process. */
export function builtinKeyring(name: BuiltinKeyringName = "debian"): Promise<Keyring> {
  let ring = builtins.get(name);
  if (!ring) {
    ring = (name === "nvidia" ? loadNvidiaKeyring() : loadKeyringFile(BUILTIN_KEYRING_PATH)).catch((err) => {
      builtins.delete(name);
      throw err;
    });
    builtins.set(name, ring);
  }
  return ring;
}

async function loadNvidiaKeyring(): Promise<Keyring> {
  const ring = await loadKeyringFile(NVIDIA_KEYRING_PATH);
  const unexpected = ring.fingerprints.filter((f) => !NVIDIA_FINGERPRINTS.includes(f));
  if (unexpected.length > 0 || ring.fingerprints.length !== NVIDIA_FINGERPRINTS.length) {
    throw new CudasealError("KEYRING_INVALID", `${NVIDIA_KEYRING_PATH} does not hold NVIDIA's pinned keys`, {
      hint: "the installation is damaged: reinstall cudaseal (keys/README.md lists the fingerprints)",
      details: {
        keyring: NVIDIA_KEYRING_PATH,
        found: [...ring.fingerprints],
        expected: [...NVIDIA_FINGERPRINTS],
      },
    });
  }
  return ring;
}

/** One keyring holding every key of `rings`; a key present twice is kept once. */
export function mergeKeyrings(rings: readonly Keyring[]): Keyring {
  return build(
    rings.flatMap((ring) => ring.keys),
    rings.flatMap((ring) => ring.sources),
  );
}

function build(keys: readonly PublicKey[], sources: string[]): Keyring {
  const seen = new Set<string>();
  const unique: PublicKey[] = [];
  const fingerprints: string[] = [];
  for (const key of keys) {
    const fingerprint = key.getFingerprint().toUpperCase();
    if (seen.has(fingerprint)) continue;
    seen.add(fingerprint);
    unique.push(key);
    fingerprints.push(fingerprint);
  }
  return { keys: unique, fingerprints, sources };
}

/**
 * Binary OpenPGP data starts with a packet tag, whose top bit is always set;
 * anything else is read as text that should hold armor blocks.
 */
function isBinary(bytes: Uint8Array): boolean {
  return bytes.length > 0 && (bytes[0] & 0x80) !== 0;
}

/** GnuPG 2.1+ keybox files carry the magic "KBXf" at offset 8 of the first blob. */
function isKeybox(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 12 && bytes[8] === 0x4b && bytes[9] === 0x42 && bytes[10] === 0x58 && bytes[11] === 0x66
  );
}

/**
 * Every PUBLIC KEY BLOCK of an armored file, markers included; undefined when
 * a block is not closed. Text between blocks is ignored, as gpg does.
 */
function armorBlocks(text: string): string[] | undefined {
  const blocks: string[] = [];
  let from = 0;
  for (;;) {
    const begin = text.indexOf(ARMOR_BEGIN, from);
    if (begin === -1) return blocks;
    const end = text.indexOf(ARMOR_END, begin);
    if (end === -1) return undefined;
    from = end + ARMOR_END.length;
    blocks.push(text.slice(begin, from));
  }
}
