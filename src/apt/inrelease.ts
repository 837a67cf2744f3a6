// Verifies a repository's signed Release before anything reads it.
//
// InRelease is an OpenPGP cleartext-signed message (RFC 9580 §7):
//
//   -----BEGIN PGP SIGNED MESSAGE-----
//   Hash: SHA256                       armor headers, then one empty line
//
//   Origin: Debian                     the signed text; a line starting with
//   - -----not an armor line           "-" is dash-escaped as "- -"
//   -----BEGIN PGP SIGNATURE-----
//   ...                                one or more signature packets
//   -----END PGP SIGNATURE-----
//
// Parsers that disagree about where the signed text starts and ends are how
// signed-file checks get bypassed (text outside the frame that one reader
// takes as content), so this file draws the frame itself, strictly, in the
// way apt does: nothing but whitespace may come before the BEGIN line or after
// the END line, only Hash headers are allowed, an undashed line starting with
// "-" inside the text is refused. The text handed to openpgp.js for checking
// and the text returned to the caller are the same string.
//
// The signed text is canonical: trailing spaces and tabs of each line are not
// covered by the signature, so they are removed; lines end with "\n"; the line
// break before the signature armor is part of the frame, not of the text.

import type { CleartextMessage, PublicKey, Signature, SignaturePacket } from "openpgp";
import { CudasealError } from "../errors.ts";
import { openpgp } from "./inrelease-openpgp.ts";
import type { Keyring } from "./keyring.ts";

/** What a verification is about, for messages, and when it happens. */
export interface VerifyContext {
  /** Where the file came from, for messages. */
  url: string;
  /** The time to check signatures at; defaults to now. */
  now?: Date;
}

/** A signed Release's text and the key that vouches for it. */
export interface VerifiedRelease {
  /** Only the signed text, decoded, dash-escaping undone. */
  text: string;
  /** Fingerprint (upper-case hex) of the primary key whose signature verified. */
  signer: string;
}

const SIGNED_BEGIN = "-----BEGIN PGP SIGNED MESSAGE-----";
const SIGNATURE_BEGIN = "-----BEGIN PGP SIGNATURE-----";
const SIGNATURE_END = "-----END PGP SIGNATURE-----";

// A mirror's clock a little ahead of ours must not fail a build: signatures
// are checked as of this much after `now`. Freshness is Release's own job
// (Date, Valid-Until), not the signature's.
const CLOCK_SKEW_MS = 15 * 60 * 1000;

// openpgp.js's typings omit the constructor's arguments (text, signature);
// building the message this way verifies exactly the text this file framed.
type SignedText = new (text: string, signature: Signature) => CleartextMessage;

// How openpgp.js says the signature does not match the data (as opposed to
// the key being expired, revoked or too weak).
const CRYPTO_FAILURE = /Signed digest did not match|Signature verification failed/;

const HASH_NAMES = new Set(["SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "SHA3-256", "SHA3-512"]);

/** Check an InRelease file and return its signed text; refuses anything it cannot vouch for. */
export async function verifyInRelease(
  bytes: Uint8Array,
  keyring: Keyring,
  context: VerifyContext,
): Promise<VerifiedRelease> {
  const { text, armoredSignature } = splitClearsigned(decode(bytes, context.url), context.url);
  const pgp = await openpgp();
  const signature = await parseSignature({ armoredSignature }, context.url);
  const SignedText = pgp.CleartextMessage as unknown as SignedText;
  const signer = await checkSignatures(signature, keyring, context, (verificationKeys, date) =>
    pgp.verify({ message: new SignedText(text, signature), verificationKeys, date }),
  );
  return { text, signer };
}

/**
 * The signed text of an InRelease, framed exactly as verifyInRelease frames
 * it, without checking the signature: only for bytes whose signature was
 * checked before (inrelease-verified.ts).
 */
export function clearsignedText(bytes: Uint8Array, url: string): string {
  return splitClearsigned(decode(bytes, url), url).text;
}

/** Check a Release file against its detached signature (Release.gpg, binary or armored). */
export async function verifyDetached(
  releaseBytes: Uint8Array,
  signatureBytes: Uint8Array,
  keyring: Keyring,
  context: VerifyContext,
): Promise<VerifiedRelease> {
  const where = `${context.url}.gpg`;
  const pgp = await openpgp();
  const signature = await parseSignature(detachedSignatureInput(signatureBytes, where), where);
  const message = await pgp.createMessage({ binary: releaseBytes });
  const signer = await checkSignatures(signature, keyring, context, (verificationKeys, date) =>
    pgp.verify({ message, signature, verificationKeys, date, format: "binary" }),
  );
  // Decoded only once the bytes are known to be the signed ones.
  return { text: decode(releaseBytes, context.url), signer };
}

function invalid(url: string, message: string, cause?: unknown): CudasealError {
  return new CudasealError("APT_SIGNATURE_INVALID", `${url}: ${message}`, {
    hint: "the repository's metadata was altered or is damaged; try again later or use another mirror",
    cause,
    details: { url },
  });
}

function decode(bytes: Uint8Array, url: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (err) {
    throw invalid(url, "not valid UTF-8 text", err);
  }
}

/**
 * The signed text and the signature armor of a cleartext-signed message, or
 * APT_SIGNATURE_INVALID when the framing is anything but the one expected.
 */
function splitClearsigned(input: string, url: string): { text: string; armoredSignature: string } {
  const lines = input.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  let i = 0;
  while (i < lines.length && isBlank(lines[i])) i++;
  if (i === lines.length) throw invalid(url, "empty file, not a signed message");
  if (lines[i].trimEnd() !== SIGNED_BEGIN) {
    throw invalid(url, `does not start with ${SIGNED_BEGIN}`);
  }
  i++;

  // Armor headers: only Hash, as apt allows; they end at the first empty line.
  for (; ; i++) {
    if (i === lines.length) throw invalid(url, "signed message ends inside its armor headers");
    const line = lines[i];
    if (isBlank(line)) break;
    const match = /^Hash: *([A-Za-z0-9-]+(?: *, *[A-Za-z0-9-]+)*) *$/.exec(line);
    if (!match) throw invalid(url, `unexpected armor header ${JSON.stringify(clip(line))}`);
    for (const name of match[1].split(",")) {
      if (!HASH_NAMES.has(name.trim().toUpperCase())) {
        throw invalid(url, `unknown hash ${JSON.stringify(clip(name.trim()))} in armor header`);
      }
    }
  }
  i++;

  const text: string[] = [];
  for (; ; i++) {
    if (i === lines.length) throw invalid(url, "no signature: the file ends inside the signed text");
    const line = lines[i];
    if (line.trimEnd() === SIGNATURE_BEGIN) break;
    if (line.startsWith("- ")) text.push(line.slice(2));
    else if (line.startsWith("-")) {
      // An undashed armor-like line here is where a second message or a
      // forged frame would hide; a real signer dash-escapes every such line.
      throw invalid(url, `line ${i + 1} starts with "-" but is not dash-escaped`);
    } else text.push(line);
  }

  const sigStart = i;
  for (i++; ; i++) {
    if (i === lines.length) throw invalid(url, `no ${SIGNATURE_END} line`);
    const line = lines[i].trimEnd();
    if (line === SIGNATURE_END) break;
    if (line.startsWith("-----"))
      throw invalid(url, `unexpected armor line inside the signature: ${clip(line)}`);
  }
  const armoredSignature = `${lines.slice(sigStart, i + 1).join("\n")}\n`;
  for (i++; i < lines.length; i++) {
    if (!isBlank(lines[i])) throw invalid(url, `data after ${SIGNATURE_END} (line ${i + 1})`);
  }

  return { text: text.map(trimTrailing).join("\n"), armoredSignature };
}

/** Release.gpg is usually binary; an armored one begins with its armor line. */
function detachedSignatureInput(
  bytes: Uint8Array,
  where: string,
): { armoredSignature: string } | { binarySignature: Uint8Array } {
  let start = 0;
  while (start < bytes.length && isSpaceByte(bytes[start])) start++;
  if (bytes[start] !== 0x2d) return { binarySignature: bytes };
  const text = decode(bytes, where);
  const begin = text.indexOf(SIGNATURE_BEGIN);
  const end = text.indexOf(SIGNATURE_END);
  if (begin === -1 || end === -1 || text.slice(0, begin).trim() !== "") {
    throw invalid(where, `not an OpenPGP signature: expected ${SIGNATURE_BEGIN}`);
  }
  if (text.slice(end + SIGNATURE_END.length).trim() !== "")
    throw invalid(where, `data after ${SIGNATURE_END}`);
  return { armoredSignature: text };
}

async function parseSignature(
  input: { armoredSignature: string } | { binarySignature: Uint8Array },
  url: string,
): Promise<Signature> {
  const { readSignature } = await openpgp();
  let signature: Signature;
  try {
    signature =
      "binarySignature" in input
        ? await readSignature({ binarySignature: input.binarySignature })
        : await readSignature({ armoredSignature: input.armoredSignature });
  } catch (err) {
    throw invalid(url, `unreadable signature: ${(err as Error).message}`, err);
  }
  if ((await documentSignatures(signature)).length === 0) throw invalid(url, "holds no document signature");
  return signature;
}

/** The packets that sign data (binary or text), as opposed to key certifications. */
async function documentSignatures(signature: Signature): Promise<SignaturePacket[]> {
  const { SignaturePacket, enums } = await openpgp();
  return signature.packets.filter(
    (packet): packet is SignaturePacket =>
      packet instanceof SignaturePacket &&
      (packet.signatureType === enums.signature.binary || packet.signatureType === enums.signature.text),
  );
}

interface VerifyOutcome {
  signatures: { keyID: { toHex(): string }; verified: Promise<true> }[];
}

/**
 * Accept when at least one signature verifies with a trusted key, as apt does.
 * Signatures by keys outside the keyring are skipped: Debian signs with
 * several keys, not all of which a user needs to trust. A signature by a
 * trusted key that was expired or revoked when it signed, or that uses a
 * refused algorithm, counts for nothing. A signature by a trusted key whose
 * digest does not match fails the whole file even when another one verifies,
 * since it means someone altered the file or the signature.
 */
async function checkSignatures(
  signature: Signature,
  keyring: Keyring,
  context: VerifyContext,
  run: (keys: PublicKey[], date: Date) => Promise<VerifyOutcome>,
): Promise<string> {
  const packets = await documentSignatures(signature);
  const keys = packets.map((packet) => trustedKeyFor(packet, keyring));
  if (keys.every((key) => key === undefined)) {
    const unknown = [...new Set(packets.map(issuerName))];
    throw new CudasealError(
      "APT_SIGNATURE_UNKNOWN_KEY",
      `${context.url} is signed only by keys not in the keyring: ${unknown.join(", ")}`,
      {
        hint: "if you trust this repository, add its public key with --keyring FILE (binary or ASCII-armored)",
        details: { url: context.url, keys: unknown, keyring: [...keyring.sources] },
      },
    );
  }

  const now = context.now ?? new Date();
  const verificationKeys = [...new Set(keys.filter((key) => key !== undefined))];
  let outcome: VerifyOutcome;
  try {
    outcome = await run(verificationKeys, new Date(now.getTime() + CLOCK_SKEW_MS));
  } catch (err) {
    throw invalid(context.url, `signature check failed: ${(err as Error).message}`, err);
  }
  // openpgp.js answers one result per document signature, in order.
  if (outcome.signatures.length !== packets.length) {
    throw invalid(context.url, "signature check answered for a different number of signatures");
  }

  let signer: string | undefined;
  const bad: string[] = [];
  const worthless: string[] = [];
  for (let i = 0; i < packets.length; i++) {
    const key = keys[i];
    if (key === undefined) continue;
    const fingerprint = key.getFingerprint().toUpperCase();
    try {
      await outcome.signatures[i].verified;
      signer ??= fingerprint;
    } catch (err) {
      const reason = `${fingerprint}: ${(err as Error).message}`;
      if (CRYPTO_FAILURE.test((err as Error).message)) bad.push(reason);
      else worthless.push(reason);
    }
  }
  if (bad.length > 0) throw invalid(context.url, `bad signature (${bad.join("; ")})`);
  if (signer === undefined) {
    throw invalid(context.url, `no signature by a trusted key is valid (${worthless.join("; ")})`);
  }
  return signer;
}

/**
 * The keyring key (primary or subkey) that issued `packet`, matched by key ID
 * and, when the signature names one, by full fingerprint.
 */
function trustedKeyFor(packet: SignaturePacket, keyring: Keyring): PublicKey | undefined {
  const fingerprint = packet.issuerFingerprint ? toHex(packet.issuerFingerprint) : undefined;
  for (const key of keyring.keys) {
    for (const candidate of key.getKeys(packet.issuerKeyID)) {
      if (fingerprint === undefined || candidate.getFingerprint().toLowerCase() === fingerprint) return key;
    }
  }
  return undefined;
}

function issuerName(packet: SignaturePacket): string {
  const id = packet.issuerFingerprint ? toHex(packet.issuerFingerprint) : packet.issuerKeyID.toHex();
  return id.toUpperCase();
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function isBlank(line: string): boolean {
  return line.trim() === "";
}

function isSpaceByte(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** What the signature covers of a line: trailing spaces and tabs do not count. */
function trimTrailing(line: string): string {
  let end = line.length;
  while (end > 0 && (line.charCodeAt(end - 1) === 32 || line.charCodeAt(end - 1) === 9)) end--;
  return line.slice(0, end);
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
