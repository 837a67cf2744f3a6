// The checks on one layer entry that need nothing but the entry: where its
// links point, its mode (setuid, world-writable), its name (driver
// libraries, credentials files) and, for tools and small text files only,
// its body (shells and compilers by their first bytes, secrets in the text).
// Each finding goes to the `Note` the layer walk gives, which knows the path
// and layer and decides later whether the path survived.

import { posix } from "node:path";
import { type Evidence, redact } from "../findings/index.ts";
import type { TarEntry } from "../tar/reader.ts";
import { isElfMagic } from "../trim/elf.ts";
import { printable } from "../util/printable.ts";
import {
  credentialsFile,
  credentialsFileHasSecrets,
  isDriverLibrary,
  mayHoldSecrets,
  type ToolKind,
  toolKind,
} from "./paths.ts";
import type { AuditRuleId } from "./rules.ts";
import { findSecrets, SECRET_WORDS, type SecretKind } from "./secrets.ts";

/** Report a finding about the entry being checked; `always` keeps it even when a later layer hides the path. */
export type Note = (id: AuditRuleId, message: string, always: boolean, extra?: Evidence) => void;

const SNIFF = 8 * 1024;

const SECRET_RULES: Readonly<Record<SecretKind, AuditRuleId>> = {
  "private-key": "CS-SECRET-PRIVATE-KEY",
  "aws-key": "CS-SECRET-AWS-KEY",
  "gcp-service-account": "CS-SECRET-GCP-SERVICE-ACCOUNT",
  "github-token": "CS-SECRET-GITHUB-TOKEN",
  "huggingface-token": "CS-SECRET-HUGGINGFACE-TOKEN",
  "slack-token": "CS-SECRET-SLACK-TOKEN",
  "url-credentials": "CS-SECRET-URL-CREDENTIALS",
  generic: "CS-SECRET-GENERIC",
};

const TOOL_RULES: Readonly<Record<ToolKind, AuditRuleId>> = {
  shell: "CS-FILE-SHELL",
  "package-manager": "CS-FILE-PACKAGE-MANAGER",
  compiler: "CS-FILE-COMPILER",
  "network-tool": "CS-FILE-NETWORK-TOOL",
};
const TOOL_WORDS: Readonly<Record<ToolKind, string>> = {
  shell: "a shell",
  "package-manager": "a package manager",
  compiler: "a compiler",
  "network-tool": "a network tool",
};

/** Links that lead out of the root: a hard link to an outside path, a relative symlink that climbs above `/`. */
export function checkLinks(e: TarEntry, path: string, layer: number, note: Note): void {
  const shown = printable(path);
  if (e.type === "hardlink" && e.linkname !== undefined && rootedPath(e.linkname) === undefined) {
    note(
      "CS-TAR-LINK-ESCAPE",
      `hard link ${shown} in layer ${layer} points outside the root, at ${printable(e.linkname)}`,
      true,
    );
  }
  if (e.type === "symlink" && e.linkname !== undefined && !e.linkname.startsWith("/")) {
    if (rootedPath(posix.join(posix.dirname(path).slice(1), e.linkname)) === undefined) {
      note(
        "CS-TAR-LINK-ESCAPE",
        `symlink ${shown} in layer ${layer} climbs out of the root: -> ${printable(e.linkname)}`,
        true,
      );
    }
  }
}

/**
 * Setuid and setgid files, world-writable files and world-writable
 * directories without the sticky bit, bundled driver libraries. A sticky
 * world-writable directory (mode 1777: /tmp, /var/tmp, /run/lock, /dev/shm as
 * Debian ships them) is the standard safe form, judged by its bit, not its
 * name: anyone may create files there, but only a file's owner may remove or
 * rename it.
 */
export function checkMode(e: TarEntry, path: string, note: Note): void {
  const shown = printable(path);
  const regular = e.type === "file" || e.type === "hardlink";
  const mode = `mode ${e.mode.toString(8).padStart(4, "0")}`;
  if (regular && e.mode & 0o4000)
    note("CS-FILE-SETUID", `${shown} is setuid (${mode}, owner uid ${e.uid})`, false);
  if (regular && e.mode & 0o2000)
    note("CS-FILE-SETGID", `${shown} is setgid (${mode}, group gid ${e.gid})`, false);
  if (e.type !== "symlink" && e.mode & 0o002) {
    if (e.type !== "directory") note("CS-FILE-WORLD-WRITABLE", `${shown} is world-writable (${mode})`, false);
    else if ((e.mode & 0o1000) === 0) {
      note(
        "CS-FILE-WORLD-WRITABLE",
        `directory ${shown} is world-writable without the sticky bit (${mode}): anyone can delete or replace what others put there`,
        false,
      );
    }
  }
  if (e.type === "file" && isDriverLibrary(path)) {
    note("CS-NVIDIA-DRIVER-BUNDLED", `${shown} is an NVIDIA driver library; the host's must be used`, false);
  }
}

/**
 * A file or hard link's body: tools by their first bytes, credentials files
 * and secrets in text no larger than `maxScan`. Reads or skips the body.
 * Returns the bytes searched for secrets, or undefined when none were.
 */
export async function checkBody(
  e: TarEntry,
  path: string,
  layer: number,
  maxScan: number,
  note: Note,
  /** The whole body, when the walker has read it already (to keep it). */
  read?: Buffer,
): Promise<number | undefined> {
  const shown = printable(path);
  const tool = e.mode & 0o111 ? toolKind(path) : undefined;
  if (tool !== undefined && e.type === "hardlink") {
    note(
      TOOL_RULES[tool],
      `${shown} is ${TOOL_WORDS[tool]} (a hard link to ${printable(e.linkname ?? "")})`,
      false,
    );
  }
  if (e.type !== "file") return undefined;

  const credentials = credentialsFile(path);
  const scan = e.size <= maxScan && (mayHoldSecrets(path) || credentials !== undefined);
  if (credentials !== undefined && !scan) {
    // Too large to read: named anyway, since nothing legitimate needs a 100 MB .netrc.
    note(
      "CS-SECRET-FILE",
      `${shown} is ${credentials} (${e.size} bytes, too large to read) in layer ${layer}`,
      true,
    );
  }
  if (!scan && tool === undefined) {
    if (read === undefined) await e.skip();
    return undefined;
  }
  // Read the head (always) and the rest only when the body will be searched.
  const body = read ?? (scan ? await readAll(e.body, e.size) : await readHead(e, 4));
  if (tool !== undefined && (isElfMagic(body) || body.subarray(0, 2).toString("latin1") === "#!")) {
    note(TOOL_RULES[tool], `${shown} is ${TOOL_WORDS[tool]}`, false);
  }
  if (!scan) return undefined;
  if (credentials !== undefined && credentialsFileHasSecrets(credentials, body)) {
    note("CS-SECRET-FILE", `${shown} is ${credentials} (${body.length} bytes) in layer ${layer}`, true);
  }
  if (isElfMagic(body) || body.subarray(0, SNIFF).includes(0)) return undefined;
  for (const m of findSecrets(body.toString("latin1"))) {
    const name = m.name === undefined ? "" : ` (${printable(m.name)})`;
    note(
      SECRET_RULES[m.kind],
      `${SECRET_WORDS[m.kind]}${name} in ${shown}:${m.line}, layer ${layer}: ${redact(m.value)}`,
      true,
      { line: m.line, snippet: redact(m.value) },
    );
  }
  return body.length;
}

/** `/`-rooted canonical form of a layer path; undefined when it climbs above the root. */
export function rootedPath(path: string): string | undefined {
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(seg);
  }
  return `/${out.join("/")}`;
}

/** A whole body, which the caller has checked is small enough to hold. */
export async function readAll(body: AsyncIterable<Buffer>, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk);
  return Buffer.concat(parts, size);
}

/** The first `n` bytes (or fewer, for a shorter body); the rest of the body is skipped. */
async function readHead(e: TarEntry, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  for await (const chunk of e.body) {
    parts.push(Buffer.from(chunk.subarray(0, n - have)));
    have += Math.min(chunk.length, n - have);
    if (have >= n) break;
  }
  await e.skip();
  return Buffer.concat(parts);
}
