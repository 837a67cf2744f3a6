// The certificates in a signature layer's certificate or chain annotation,
// read as cosign reads them: sigstore's UnmarshalCertificatesFromPEM, which
// trims the text, then takes Go encoding/pem blocks one after another until
// nothing is left (text before a block is skipped, text after the last one
// is an error), and parses each block, whatever its type, with Go's
// x509.ParseCertificate.
//
// Go's X.509 parser is stricter than OpenSSL's in places; the checks Go
// makes on the certificate's outer structure (no trailing data, version,
// a non-negative minimal serial, the same signature algorithm inside and
// out) are made here before OpenSSL parses the rest.

import { X509Certificate } from "node:crypto";
import { goStdBase64 } from "./go-base64.ts";

/** The certificates in `text`, or the reason cosign refuses it. */
export function certificatesFromPem(text: string): X509Certificate[] | { error: string } {
  let remaining: Buffer = Buffer.from(goTrimSpace(text), "utf8");
  const certs: X509Certificate[] = [];
  while (remaining.length > 0) {
    const block = pemDecode(remaining);
    if (block === undefined) return { error: "it is not PEM (or has text after its last block)" };
    const cert = parseCertificate(block.bytes);
    if (typeof cert === "string") return { error: cert };
    certs.push(cert);
    remaining = block.rest;
  }
  return certs;
}

/** bytes.TrimSpace: Unicode white space at both ends. */
function goTrimSpace(s: string): string {
  return s
    .replace(/^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u, "")
    .replace(/[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/u, "");
}

const PEM_START = Buffer.from("\n-----BEGIN ");
const PEM_END = Buffer.from("\n-----END ");
const DASHES = Buffer.from("-----");

/** encoding/pem's Decode: the next block's bytes and what follows it, or undefined. */
function pemDecode(data: Buffer): { bytes: Buffer; rest: Buffer } | undefined {
  let rest = data;
  for (;;) {
    if (startsWith(rest, PEM_START.subarray(1))) rest = rest.subarray(PEM_START.length - 1);
    else {
      const at = rest.indexOf(PEM_START);
      if (at < 0) return undefined;
      rest = rest.subarray(at + PEM_START.length);
    }
    let typeLine: Buffer;
    [typeLine, rest] = getLine(rest);
    if (!endsWith(typeLine, DASHES)) continue;
    typeLine = typeLine.subarray(0, typeLine.length - DASHES.length);

    let headers = 0;
    for (;;) {
      if (rest.length === 0) return undefined;
      const [line, next] = getLine(rest);
      if (line.indexOf(0x3a) < 0) break;
      headers++;
      rest = next;
    }

    let endIndex: number;
    let endTrailerIndex: number;
    if (headers === 0 && startsWith(rest, PEM_END.subarray(1))) {
      endIndex = 0;
      endTrailerIndex = PEM_END.length - 1;
    } else {
      endIndex = rest.indexOf(PEM_END);
      endTrailerIndex = endIndex + PEM_END.length;
    }
    if (endIndex < 0) continue;

    const trailer = rest.subarray(endTrailerIndex);
    const trailerLength = typeLine.length + DASHES.length;
    if (trailer.length < trailerLength) continue;
    const endLine = trailer.subarray(0, trailerLength);
    if (!startsWith(endLine, typeLine) || !endsWith(endLine, DASHES)) continue;
    if (getLine(trailer.subarray(trailerLength))[0].length !== 0) continue;

    const body = Buffer.from(rest.subarray(0, endIndex).filter((b) => b !== 0x20 && b !== 0x09));
    const bytes = goStdBase64(body.toString("latin1"));
    if (bytes === undefined) continue;
    return { bytes, rest: getLine(rest.subarray(endIndex + PEM_END.length - 1))[1] };
  }
}

/** encoding/pem's getLine: the line without its newline and trailing blanks, and the rest. */
function getLine(data: Buffer): [Buffer, Buffer] {
  let i = data.indexOf(0x0a);
  let j: number;
  if (i < 0) {
    i = data.length;
    j = i;
  } else {
    j = i + 1;
    if (i > 0 && data[i - 1] === 0x0d) i--;
  }
  let end = i;
  while (end > 0 && (data[end - 1] === 0x20 || data[end - 1] === 0x09)) end--;
  return [data.subarray(0, end), data.subarray(j)];
}

function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.subarray(0, prefix.length).equals(prefix);
}

function endsWith(data: Buffer, suffix: Buffer): boolean {
  return data.length >= suffix.length && data.subarray(data.length - suffix.length).equals(suffix);
}

/** A DER certificate, refused where Go's x509.ParseCertificate refuses its outer structure. */
function parseCertificate(der: Buffer): X509Certificate | string {
  const outer = readTlv(der, 0);
  if (outer === undefined || outer.tag !== 0x30) return "a certificate is malformed";
  if (outer.end !== der.length) return "a certificate has trailing data";
  const tbs = readTlv(der, outer.start);
  if (tbs === undefined || tbs.tag !== 0x30) return "a certificate is malformed";
  const outerAlgorithm = readTlv(der, tbs.end);
  if (outerAlgorithm === undefined || outerAlgorithm.tag !== 0x30) return "a certificate is malformed";
  let at = tbs.start;
  const version = readTlv(der, at);
  if (version?.tag === 0xa0) {
    const v = readTlv(der, version.start);
    if (v === undefined || v.tag !== 0x02 || v.end !== version.end || !minimalInteger(der, v)) {
      return "a certificate has a malformed version";
    }
    if (v.end - v.start !== 1 || der[v.start] > 2) return "a certificate has an invalid version";
    at = version.end;
  }
  const serial = readTlv(der, at);
  if (serial === undefined || serial.tag !== 0x02 || !minimalInteger(der, serial)) {
    return "a certificate has a malformed serial number";
  }
  if (der[serial.start] & 0x80) return "a certificate has a negative serial number";
  const innerAlgorithm = readTlv(der, serial.end);
  if (innerAlgorithm === undefined || innerAlgorithm.tag !== 0x30) return "a certificate is malformed";
  if (
    !der
      .subarray(innerAlgorithm.start, innerAlgorithm.end)
      .equals(der.subarray(outerAlgorithm.start, outerAlgorithm.end))
  ) {
    return "a certificate's inner and outer signature algorithms differ";
  }
  try {
    return new X509Certificate(der);
  } catch {
    return "a certificate is malformed";
  }
}

interface Tlv {
  tag: number;
  /** Where the contents start and end. */
  start: number;
  end: number;
}

/** One DER element at `at`: low tag numbers and minimal definite lengths only, as cryptobyte reads them. */
function readTlv(der: Buffer, at: number): Tlv | undefined {
  if (at + 2 > der.length) return undefined;
  const tag = der[at];
  if ((tag & 0x1f) === 0x1f) return undefined;
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || start + n > der.length || der[start] === 0) return undefined;
    length = 0;
    for (let k = 0; k < n; k++) length = length * 256 + der[start + k];
    if (length < 0x80) return undefined;
    start += n;
  }
  if (start + length > der.length) return undefined;
  return { tag, start, end: start + length };
}

/** cryptobyte's INTEGER check: not empty, no redundant leading byte. */
function minimalInteger(der: Buffer, tlv: Tlv): boolean {
  const n = tlv.end - tlv.start;
  if (n === 0) return false;
  if (n === 1) return true;
  const [a, b] = [der[tlv.start], der[tlv.start + 1]];
  return !((a === 0 && (b & 0x80) === 0) || (a === 0xff && (b & 0x80) === 0x80));
}
