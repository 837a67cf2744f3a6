// One pass over an image's layers, in order, each decompressed and read
// entry by entry exactly once; nothing is extracted and no layer is held in
// memory. Each entry is checked as it passes: its path and links (a hostile
// tar becomes a finding, not a crash), its mode (setuid, world-writable), its
// name (shells, package managers, driver libraries, credentials files) and,
// for small text files only, its body (secrets, capped at maxScanSize).
//
// Findings about what a running container has (modes, tools, libraries) are
// kept only when their layer's version of the path survives into the final
// file system; secrets and hostile entries are reported from every layer,
// marked "deleted later" when a whiteout or a later layer hid them, because
// the bytes stay in the image for anyone who pulls it.

import { posix } from "node:path";
import { isCudasealError } from "../errors.ts";
import { type Evidence, type Finding, redact } from "../findings/index.ts";
import { decompressSniffed } from "../source/filesystem.ts";
import type { OpenedImage } from "../source/image-source.ts";
import { readTar, type TarEntry } from "../tar/reader.ts";
import type { ProgressSink } from "../util/progress.ts";
import { FinalFs } from "./final-fs.ts";
import {
  credentialsFile,
  credentialsFileHasSecrets,
  cudartVersion,
  isCudart,
  isDriverLibrary,
  isPackageDatabase,
  mayHoldSecrets,
  type ToolKind,
  toolKind,
} from "./paths.ts";
import { type AuditRuleId, finding } from "./rules.ts";
import { findSecrets, SECRET_WORDS, type SecretKind } from "./secrets.ts";

export interface WalkOptions {
  /** Largest body searched for secrets, bytes (default 1 MiB). */
  maxScanSize?: number;
  /** Names the image in errors. */
  origin?: string;
  progress?: ProgressSink;
}

/** What the walk learnt about the image's files. */
export interface WalkResult {
  findings: Finding[];
  /** The CUDA runtime in the final file system: present at all, and the newest version a file name carries. */
  cudart: { present: boolean; version?: { major: number; minor: number; full: string }; path?: string };
  /** Whether the final file system has a package database. */
  packageDatabase: boolean;
  stats: {
    layers: number;
    entries: number;
    uncompressedBytes: number;
    scannedFiles: number;
    scannedBytes: number;
  };
}

export const DEFAULT_MAX_SCAN = 1024 * 1024;
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

// A finding tied to one layer's version of a path.
interface Located {
  finding: Finding;
  path: string;
  layer: number;
  /** Kept even when a later layer hid the path (secrets, hostile entries). */
  always: boolean;
}

/** Walk every layer of `image` once and check every entry. */
export async function walkLayers(image: OpenedImage, options: WalkOptions = {}): Promise<WalkResult> {
  const maxScan = options.maxScanSize ?? DEFAULT_MAX_SCAN;
  const origin = options.origin ?? image.manifestDigest;
  const progress = options.progress ?? (() => {});
  const located: Located[] = [];
  const dropped = new Map<string, number>();
  const watched = new Set<string>();
  const key = (path: string, layer: number) => `${layer}\0${path}`;
  const fs = new FinalFs((path, layer, by) => {
    const k = key(path, layer);
    if (watched.has(k)) dropped.set(k, by);
  });
  // Symlinks as the layers so far leave them, to spot entries written through one.
  const symlinks = new Map<string, string>();
  const symlinkAbove = (path: string): string | undefined => {
    if (symlinks.size === 0) return undefined;
    for (let p = posix.dirname(path); p !== "/"; p = posix.dirname(p)) {
      if (symlinks.has(p) && fs.layerOf(p) !== undefined) return p;
    }
    return undefined;
  };
  const cudart: { path: string; layer: number; version?: { major: number; minor: number; full: string } }[] =
    [];
  const stats = {
    layers: image.layers.length,
    entries: 0,
    uncompressedBytes: 0,
    scannedFiles: 0,
    scannedBytes: 0,
  };
  const unreadable: Finding[] = [];

  const note = (
    id: AuditRuleId,
    path: string,
    layer: number,
    message: string,
    always: boolean,
    extra: Evidence = {},
  ) => {
    watched.add(key(path, layer));
    located.push({ finding: finding(id, { path, layer, ...extra }, message), path, layer, always });
  };

  const total = image.layers.reduce((n, l) => n + l.size, 0);
  progress({ task: "audit", kind: "start", unit: "bytes", total, totalItems: image.layers.length });
  for (const [i, layer] of image.layers.entries()) {
    const where = `${origin} layer ${i} (${layer.digest})`;
    const counted = countBytes(layer.open(), (n) => progress({ task: "audit", kind: "advance", delta: n }));
    const tar = readTar(
      countBytes(decompressSniffed(counted, where), (n) => {
        stats.uncompressedBytes += n;
      }),
      { origin: where, skipSpecial: true, unchecked: true },
    );
    try {
      for await (const e of tar) {
        stats.entries++;
        await checkEntry(e, i);
      }
    } catch (err) {
      // A layer that stops half way (truncated, corrupt, over a cap, not its digest) is
      // reported and the walk goes on: what was read is still evidence, and later layers
      // can still be audited.
      const code = isCudasealError(err) ? err.code : "INTERNAL";
      if (code === "INTERNAL" && !isCudasealError(err)) throw err;
      unreadable.push(
        finding(
          "CS-LAYER-UNREADABLE",
          { layer: i, field: `layers[${i}]` },
          `layer ${i} (${layer.digest}) could not be read to its end [${code}]: ${(err as Error).message}`,
        ),
      );
    }
    progress({ task: "audit", kind: "advance", items: 1 });
  }
  progress({ task: "audit", kind: "end" });

  async function checkEntry(e: TarEntry, layer: number): Promise<void> {
    const path = rootedPath(e.path);
    if (path === undefined) {
      const shown = `/${printable(e.path)}`;
      note(
        "CS-TAR-PATH-TRAVERSAL",
        shown,
        layer,
        `entry ${printable(e.path)} in layer ${layer} climbs out of the root`,
        true,
      );
      await e.skip();
      return;
    }
    const base = posix.basename(path);
    if (base === ".wh..wh..opq") {
      fs.clearUnder(posix.dirname(path), layer);
      await e.skip();
      return;
    }
    if (base.startsWith(".wh.")) {
      fs.whiteout(posix.join(posix.dirname(path), base.slice(4)), layer);
      await e.skip();
      return;
    }
    const shown = printable(path);
    // An entry under a path that is a symlink: runtimes that rebuild the tree
    // disagree with tools that extract in place, which follow the link (the
    // classic way to write outside the root). Checked before this entry is added.
    const through = symlinkAbove(path);
    if (through !== undefined) {
      note(
        "CS-TAR-SYMLINK-PARENT",
        path,
        layer,
        `${shown} in layer ${layer} is written through the symlink ${printable(through)} (-> ${printable(symlinks.get(through) ?? "")})`,
        true,
      );
    }
    fs.add(path, layer, e.type === "directory");
    if (e.type === "symlink") symlinks.set(path, e.linkname ?? "");
    else symlinks.delete(path);

    if (e.type === "hardlink" && e.linkname !== undefined && rootedPath(e.linkname) === undefined) {
      note(
        "CS-TAR-LINK-ESCAPE",
        path,
        layer,
        `hard link ${shown} in layer ${layer} points outside the root, at ${printable(e.linkname)}`,
        true,
      );
    }
    if (e.type === "symlink" && e.linkname !== undefined && !e.linkname.startsWith("/")) {
      if (rootedPath(posix.join(posix.dirname(path).slice(1), e.linkname)) === undefined) {
        note(
          "CS-TAR-LINK-ESCAPE",
          path,
          layer,
          `symlink ${shown} in layer ${layer} climbs out of the root: -> ${printable(e.linkname)}`,
          true,
        );
      }
    }
    if (isCudart(path) && e.type !== "directory") cudart.push({ path, layer, version: cudartVersion(path) });

    const regular = e.type === "file" || e.type === "hardlink";
    const mode = `mode ${e.mode.toString(8).padStart(4, "0")}`;
    if (regular && e.mode & 0o4000) {
      note("CS-FILE-SETUID", path, layer, `${shown} is setuid (${mode}, owner uid ${e.uid})`, false);
    }
    if (regular && e.mode & 0o2000) {
      note("CS-FILE-SETGID", path, layer, `${shown} is setgid (${mode}, group gid ${e.gid})`, false);
    }
    if (e.type !== "symlink" && e.mode & 0o002) {
      const stickyTmp = e.type === "directory" && e.mode & 0o1000 && (path === "/tmp" || path === "/var/tmp");
      if (!stickyTmp) {
        const what = e.type === "directory" ? `directory ${shown}` : shown;
        note("CS-FILE-WORLD-WRITABLE", path, layer, `${what} is world-writable (${mode})`, false);
      }
    }
    if (e.type === "file" && isDriverLibrary(path)) {
      note(
        "CS-NVIDIA-DRIVER-BUNDLED",
        path,
        layer,
        `${shown} is an NVIDIA driver library; the host's must be used`,
        false,
      );
    }
    if (!regular) {
      await e.skip();
      return;
    }
    const tool = e.mode & 0o111 ? toolKind(path) : undefined;
    if (tool !== undefined && e.type === "hardlink") {
      note(
        TOOL_RULES[tool],
        path,
        layer,
        `${shown} is ${TOOL_WORDS[tool]} (a hard link to ${printable(e.linkname ?? "")})`,
        false,
      );
    }
    if (e.type !== "file") return;

    const credentials = credentialsFile(path);
    const scan = e.size <= maxScan && (mayHoldSecrets(path) || credentials !== undefined);
    if (credentials !== undefined && !scan) {
      // Too large to read: named anyway, since nothing legitimate needs a 100 MB .netrc.
      note(
        "CS-SECRET-FILE",
        path,
        layer,
        `${shown} is ${credentials} (${e.size} bytes, too large to read) in layer ${layer}`,
        true,
      );
    }
    if (!scan && tool === undefined) {
      await e.skip();
      return;
    }
    // Read the head (always) and the rest only when the body will be searched.
    const body = scan ? await readAll(e.body, e.size) : await readHead(e, 4);
    if (tool !== undefined && (isElf(body) || body.subarray(0, 2).toString("latin1") === "#!")) {
      note(TOOL_RULES[tool], path, layer, `${shown} is ${TOOL_WORDS[tool]}`, false);
    }
    if (!scan) return;
    if (credentials !== undefined && credentialsFileHasSecrets(credentials, body)) {
      note(
        "CS-SECRET-FILE",
        path,
        layer,
        `${shown} is ${credentials} (${body.length} bytes) in layer ${layer}`,
        true,
      );
    }
    if (isElf(body) || body.subarray(0, SNIFF).includes(0)) return;
    stats.scannedFiles++;
    stats.scannedBytes += body.length;
    for (const m of findSecrets(body.toString("latin1"))) {
      const name = m.name === undefined ? "" : ` (${printable(m.name)})`;
      note(
        SECRET_RULES[m.kind],
        path,
        layer,
        `${SECRET_WORDS[m.kind]}${name} in ${shown}:${m.line}, layer ${layer}: ${redact(m.value)}`,
        true,
        { line: m.line, snippet: redact(m.value) },
      );
    }
  }

  const findings: Finding[] = [...unreadable];
  for (const l of located) {
    const survives = fs.layerOf(l.path) === l.layer;
    if (!survives && !l.always) continue;
    const f = l.finding;
    f.evidence.inFinalFs = survives;
    if (!survives && l.always) {
      const by = dropped.get(key(l.path, l.layer));
      f.message +=
        by === undefined
          ? " (hidden by a later layer, still in the image)"
          : ` (deleted by layer ${by}, still in layer ${l.layer})`;
    }
    findings.push(f);
  }

  let newest: WalkResult["cudart"]["version"];
  let newestPath: string | undefined;
  let present = false;
  for (const c of cudart) {
    if (fs.layerOf(c.path) !== c.layer) continue;
    present = true;
    const v = c.version;
    if (
      v !== undefined &&
      (newest === undefined || v.major > newest.major || (v.major === newest.major && v.minor > newest.minor))
    ) {
      newest = v;
      newestPath = c.path;
    }
  }
  let packageDatabase = false;
  for (const [path] of fs.entries()) {
    if (isPackageDatabase(path)) {
      packageDatabase = true;
      break;
    }
  }
  return {
    findings,
    cudart: { present, ...(newest === undefined ? {} : { version: newest, path: newestPath }) },
    packageDatabase,
    stats,
  };
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

// Paths are attacker-chosen: control characters would rewrite a terminal or a log.
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function isElf(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

async function readAll(body: AsyncIterable<Buffer>, size: number): Promise<Buffer> {
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

async function* countBytes<T extends Uint8Array>(
  source: AsyncIterable<T>,
  add: (n: number) => void,
): AsyncGenerator<T> {
  for await (const chunk of source) {
    add(chunk.length);
    yield chunk;
  }
}
