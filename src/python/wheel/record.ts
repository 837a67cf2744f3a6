// A wheel's RECORD (PEP 376 / PEP 427): CSV lines of path, `algo=urlsafe-b64`
// digest and size. Read to check every member as it streams; written anew
// for what was installed, with paths relative to the site directory as pip
// writes them.

import { createHash } from "node:crypto";
import { CudasealError } from "../../errors.ts";

export interface RecordLine {
  path: string;
  /** Hash algorithm (sha256, sha384, sha512) and the raw digest, absent for RECORD itself. */
  hash?: { algorithm: string; digest: Buffer };
  size?: number;
}

/** The algorithms PEP 427 accepts: sha256 or stronger. */
const ALGORITHMS = new Set(["sha256", "sha384", "sha512"]);

/** Splits one CSV line the way Python's csv module writes it (quotes doubled inside quoted fields). */
function csvFields(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let field = "";
      i++;
      for (;;) {
        if (i >= line.length) return undefined;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      out.push(field);
      if (i < line.length && line[i] !== ",") return undefined;
      i++;
    } else {
      const comma = line.indexOf(",", i);
      const end = comma < 0 ? line.length : comma;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

/** Parses RECORD; a malformed line or an unknown or weak hash is WHEEL_INVALID. */
export function parseRecord(text: string, origin: string): Map<string, RecordLine> {
  const out = new Map<string, RecordLine>();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line === "") continue;
    const fields = csvFields(line);
    if (fields?.length !== 3 || !fields[0]) {
      throw invalid(origin, `RECORD line ${JSON.stringify(line)} is not path,hash,size`);
    }
    const [path, hash, size] = fields as [string, string, string];
    const rec: RecordLine = { path };
    if (hash) {
      const eq = hash.indexOf("=");
      const algorithm = hash.slice(0, eq);
      if (eq < 0 || !ALGORITHMS.has(algorithm))
        throw invalid(origin, `RECORD hash ${JSON.stringify(hash)} is not sha256 or stronger`);
      rec.hash = { algorithm, digest: Buffer.from(hash.slice(eq + 1), "base64url") };
    }
    if (size) {
      if (!/^\d+$/.test(size)) throw invalid(origin, `RECORD size ${JSON.stringify(size)} is not a number`);
      rec.size = Number(size);
    }
    if (out.has(path)) throw invalid(origin, `RECORD lists ${path} twice`);
    out.set(path, rec);
  }
  return out;
}

function invalid(origin: string, message: string): CudasealError {
  return new CudasealError("WHEEL_INVALID", `${origin}: ${message}`, {
    hint: "the wheel is malformed or hostile; do not use it",
    details: { wheel: origin },
  });
}

/** A RECORD hash field: `sha256=<urlsafe base64, no padding>`. */
export function recordHash(sha256: Buffer): string {
  return `sha256=${sha256.toString("base64url")}`;
}

/** One RECORD line as Python's csv module writes it (quoted only when needed). */
export function recordLine(path: string, hash: string, size: number | ""): string {
  const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  return `${q(path)},${hash},${size}\n`;
}

/** Digest of `bytes` with `algorithm`. */
export function digestOf(algorithm: string, bytes: Uint8Array): Buffer {
  return createHash(algorithm).update(bytes).digest();
}

/** `to` relative to the folder `from` (both canonical image paths), with `..` as needed. */
export function relativePath(from: string, to: string): string {
  const a = from.split("/");
  const b = to.split("/");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...Array(a.length - i).fill(".."), ...b.slice(i)].join("/");
}
