// Installs wheels (PEP 427) straight into layer entries, running no Python:
// each wheel's central directory, WHEEL, RECORD and entry points are read
// first and every member is mapped to its place in the scheme and checked
// (paths, types, RECORD coverage) before any byte is produced; then the
// members stream from the zip to the layer's tar in zip order, each body
// hashed on its way and compared with RECORD when it ends. A mismatch throws
// from the body, so the layer being written fails and is discarded: nothing
// of a wheel with a bad RECORD reaches an image. After the members come the
// entry-point launchers, INSTALLER (`cudaseal`) and a RECORD of what was
// installed. No .pyc is written.

import { createHash, type Hash } from "node:crypto";
import { CudasealError } from "../../errors.ts";
import { dirEntry, fileEntry, type LayerEntry, parents } from "../../layer/entry.ts";
import { type EntryPoint, entryPointScript, fixScriptShebang, parseEntryPoints } from "./entry-points.ts";
import { memberSegments, unsafe } from "./member-path.ts";
import { digestOf, parseRecord, type RecordLine, recordHash, recordLine, relativePath } from "./record.ts";
import type { Scheme } from "./scheme.ts";
import {
  DEFAULT_ZIP_LIMITS,
  openZip,
  type RawFacts,
  type ZipArchive,
  type ZipEntry,
  type ZipLimits,
} from "./zip-reader.ts";

/** A wheel on disk; `filename` is its name as published (the store names files by hash). */
export interface WheelFile {
  path: string;
  filename: string;
}

/** One file a wheel installs. */
export interface PlannedFile {
  /** Canonical image path. */
  path: string;
  /** Hex SHA-256 of its bytes as installed, when known before installing (not for rewritten scripts). */
  sha256?: string;
}

/** What a wheel is and what it installs, read before anything is installed. */
export interface WheelInfo {
  name: string;
  version: string;
  filename: string;
  /** The .dist-info folder's image path. */
  distInfo: string;
  /** Root-Is-Purelib from WHEEL. */
  purelib: boolean;
  /** Tag lines from WHEEL. */
  tags: string[];
  files: PlannedFile[];
  entryPoints: EntryPoint[];
}

export interface WheelInstallOptions {
  scheme: Scheme;
  /** mtime of every entry (SOURCE_DATE_EPOCH or the build's fixed time). */
  mtime: number;
  limits?: ZipLimits;
}

/** What installing wheels into a layer did, complete once the entries are consumed. */
export interface WheelLayerMeta {
  wheels: {
    name: string;
    version: string;
    filename: string;
    distInfo: string;
    files: number;
    bytes: number;
  }[];
  /** Every path the layer holds. */
  paths: string[];
}

/**
 * A member stored with deflate, as its layer entry carries it: a blob writer
 * may copy the stored deflate stream into a gzip member instead of
 * compressing the bytes again (wheel-blob.ts). `raw` is set once the body
 * has been read to its end and checked.
 */
export interface DeflatedMember {
  file: string;
  compressedSize: number;
  crc32: number;
  size: number;
  raw?: RawFacts;
}

/** A layer entry from the installer: a LayerEntry, with `deflated` on members worth copying as they are. */
export type WheelLayerEntry = LayerEntry & { deflated?: DeflatedMember };

export function emptyWheelMeta(): WheelLayerMeta {
  return { wheels: [], paths: [] };
}

const SMALL_CAP = 16 * 1024 * 1024;
/** dist-info files the installer writes itself (or pip's, which a wheel must not carry in). */
const INSTALLER_OWNED = new Set([
  "RECORD",
  "RECORD.jws",
  "RECORD.p7s",
  "INSTALLER",
  "REQUESTED",
  "direct_url.json",
]);
const DATA_KEYS = new Set(["purelib", "platlib", "scripts", "data", "headers"]);

interface Member {
  entry: ZipEntry;
  dest: string;
  script: boolean;
  mode: number;
  record: RecordLine;
}

interface OpenedWheel {
  path: string;
  zip: ZipArchive;
  info: WheelInfo;
  members: Member[];
  site: string;
}

function invalid(origin: string, message: string, details: Record<string, unknown> = {}): CudasealError {
  return new CudasealError("WHEEL_INVALID", `${origin}: ${message}`, {
    hint: "the wheel is malformed or hostile; do not use it",
    details: { wheel: origin, ...details },
  });
}

function mismatch(origin: string, member: string, message: string): CudasealError {
  return new CudasealError("WHEEL_RECORD_MISMATCH", `${origin}: ${member} ${message}`, {
    hint: "the wheel was altered after it was built, or built wrongly; do not use it",
    details: { wheel: origin, entry: member },
  });
}

/** PEP 503 normalisation, for comparing a file name's distribution with its dist-info. */
function normal(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** `name-version(-build)?-py-abi-plat.whl` → [name, version]. */
function parseFilename(filename: string): [string, string] {
  const parts = filename.replace(/\.whl$/, "").split("-");
  if (!filename.endsWith(".whl") || (parts.length !== 5 && parts.length !== 6)) {
    throw invalid(filename, "is not a wheel file name (name-version-python-abi-platform.whl)");
  }
  return [parts[0] as string, parts[1] as string];
}

/** The `Key: value` headers of an email-style file (WHEEL, METADATA), up to the first blank line. */
function headers(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") break;
    const colon = line.indexOf(":");
    if (colon < 0 || /^\s/.test(line)) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    out.set(key, [...(out.get(key) ?? []), line.slice(colon + 1).trim()]);
  }
  return out;
}

async function readText(
  zip: ZipArchive,
  entry: ZipEntry | undefined,
  origin: string,
  what: string,
): Promise<string> {
  if (!entry) throw invalid(origin, `has no ${what}`);
  return (await zip.readAll(entry, SMALL_CAP)).toString("utf8");
}

/** Opens a wheel and plans every member; throws a coded error for anything unsafe or inconsistent. */
async function openWheel(file: WheelFile, scheme: Scheme, limits: ZipLimits): Promise<OpenedWheel> {
  const origin = file.filename;
  const [fileDist] = parseFilename(file.filename);
  const zip = await openZip(file.path, origin, limits);
  try {
    const byName = new Map<string, ZipEntry>();
    for (const e of zip.entries) {
      memberSegments(e.name, origin);
      const type = e.unixMode & 0o170000;
      if (type === 0o120000)
        throw unsafe(origin, e.name, "is a symbolic link; wheels hold regular files only");
      if (type !== 0 && type !== 0o100000 && type !== 0o040000)
        throw unsafe(origin, e.name, "is not a regular file");
      if (byName.has(e.name)) throw invalid(origin, `holds ${e.name} twice`, { entry: e.name });
      byName.set(e.name, e);
    }
    const distInfos = new Set(
      zip.entries.map((e) => e.name.split("/")[0] as string).filter((top) => top.endsWith(".dist-info")),
    );
    const [distInfoDir, ...others] = [...distInfos];
    if (!distInfoDir || others.length > 0) throw invalid(origin, "must hold exactly one .dist-info folder");
    const base = distInfoDir.slice(0, -".dist-info".length);
    if (normal(base.split("-")[0] as string) !== normal(fileDist)) {
      throw invalid(origin, `${distInfoDir} does not belong to ${fileDist}`);
    }
    const wheelMeta = headers(await readText(zip, byName.get(`${distInfoDir}/WHEEL`), origin, "WHEEL"));
    const wheelVersion = wheelMeta.get("wheel-version")?.[0] ?? "";
    if (!/^1(\.\d+)?$/.test(wheelVersion))
      throw invalid(origin, `Wheel-Version ${JSON.stringify(wheelVersion)} is not 1.x`);
    const purelib = (wheelMeta.get("root-is-purelib")?.[0] ?? "").toLowerCase() === "true";
    const metadata = headers(await readText(zip, byName.get(`${distInfoDir}/METADATA`), origin, "METADATA"));
    const name = metadata.get("name")?.[0];
    const version = metadata.get("version")?.[0];
    if (!name || !version) throw invalid(origin, "METADATA has no Name or Version");
    // Name becomes a path segment (the headers folder), so it must be a plain
    // project name, and the wheel's own: not `../../etc` or another project's.
    if (!/^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i.test(name))
      throw unsafe(
        origin,
        `${distInfoDir}/METADATA`,
        `names the project ${JSON.stringify(name.slice(0, 80))}`,
      );
    if (normal(name) !== normal(fileDist)) throw invalid(origin, `METADATA names ${name}, not ${fileDist}`);
    const record = parseRecord(
      await readText(zip, byName.get(`${distInfoDir}/RECORD`), origin, "RECORD"),
      origin,
    );
    const epEntry = byName.get(`${distInfoDir}/entry_points.txt`);
    const entryPoints = epEntry
      ? parseEntryPoints(await readText(zip, epEntry, origin, "entry_points.txt"), origin)
      : [];
    const site = purelib ? scheme.purelib : scheme.platlib;
    const members = planMembers(zip, record, { origin, name, base, distInfoDir, site, scheme });
    const files: PlannedFile[] = members.map((m) => ({
      path: m.dest,
      sha256:
        m.script || m.record.hash?.algorithm !== "sha256" ? undefined : m.record.hash.digest.toString("hex"),
    }));
    for (const ep of entryPoints) files.push({ path: `${scheme.scripts}/${ep.name}` });
    const distInfo = `${site}/${distInfoDir}`;
    files.push({ path: `${distInfo}/INSTALLER` }, { path: `${distInfo}/RECORD` });
    const info: WheelInfo = {
      name,
      version,
      filename: file.filename,
      distInfo,
      purelib,
      tags: wheelMeta.get("tag") ?? [],
      files,
      entryPoints,
    };
    checkInternalClashes(info, origin);
    return { path: file.path, zip, info, members, site };
  } catch (err) {
    await zip.close();
    throw err;
  }
}

interface PlanContext {
  origin: string;
  name: string;
  base: string;
  distInfoDir: string;
  site: string;
  scheme: Scheme;
}

/** Every member's place in the image and its RECORD line; RECORD must cover the wheel exactly. */
function planMembers(zip: ZipArchive, record: Map<string, RecordLine>, ctx: PlanContext): Member[] {
  const { origin, distInfoDir } = ctx;
  const dataDir = `${ctx.base}.data`;
  const members: Member[] = [];
  const seen = new Set<string>();
  for (const entry of zip.entries) {
    if (entry.isDirectory) continue;
    seen.add(entry.name);
    const segments = memberSegments(entry.name, origin);
    if (segments[0] === distInfoDir && segments.length === 2 && INSTALLER_OWNED.has(segments[1] as string))
      continue;
    const rec = record.get(entry.name);
    if (!rec?.hash) throw mismatch(origin, entry.name, "is not in RECORD with a hash");
    if (rec.size !== undefined && rec.size !== entry.size) {
      throw mismatch(origin, entry.name, `is ${entry.size} bytes, RECORD says ${rec.size}`);
    }
    let dest: string;
    let script = false;
    if (segments[0] === dataDir) {
      const key = segments[1] as string;
      if (!DATA_KEYS.has(key) || segments.length < 3)
        throw invalid(origin, `${entry.name} is not in a known .data scheme folder`);
      const rest = segments.slice(2).join("/");
      script = key === "scripts";
      const root =
        key === "headers"
          ? ctx.scheme.headers(ctx.name)
          : ctx.scheme[key as "purelib" | "platlib" | "scripts" | "data"];
      dest = `${root}/${rest}`;
    } else {
      dest = `${ctx.site}/${entry.name}`;
    }
    // Executable bits survive as 0755, as pip makes them; scripts are always executable.
    const mode = script || entry.unixMode & 0o111 ? 0o755 : 0o644;
    members.push({ entry, dest, script, mode, record: rec });
  }
  for (const path of record.keys()) {
    const own = path.startsWith(`${distInfoDir}/`) && INSTALLER_OWNED.has(path.slice(distInfoDir.length + 1));
    if (!own && !seen.has(path)) throw mismatch(origin, path, "is in RECORD but not in the wheel");
  }
  return members;
}

/** Within one wheel: no file twice, no file where another needs a folder. */
function checkInternalClashes(info: WheelInfo, origin: string): void {
  const files = new Set<string>();
  for (const f of info.files) {
    if (files.has(f.path)) throw invalid(origin, `installs ${f.path} twice`);
    files.add(f.path);
  }
  for (const f of info.files) {
    for (const p of parents(f.path)) {
      if (files.has(p))
        throw unsafe(origin, f.path, `needs ${p} to be a folder, and the wheel makes it a file`);
    }
  }
}

/** Reads a wheel's facts and plans its files without installing anything (for conflict checks and layer grouping). */
export async function inspectWheel(
  file: WheelFile,
  scheme: Scheme,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Promise<WheelInfo> {
  const opened = await openWheel(file, scheme, limits);
  await opened.zip.close();
  return opened.info;
}

/**
 * Refuses two wheels installing one path (WHEEL_DUPLICATE_FILE), unless both
 * install the same bytes there (nvidia-*-cu12 all ship an empty
 * nvidia/__init__.py, which pip overwrites with itself), or one's file is
 * another's folder.
 */
export function checkWheelConflicts(wheels: readonly WheelInfo[]): void {
  const owner = new Map<string, { wheel: WheelInfo; sha256?: string }>();
  const folders = new Map<string, WheelInfo>();
  for (const wheel of wheels) {
    for (const f of wheel.files) {
      for (const p of parents(f.path)) if (!folders.has(p)) folders.set(p, wheel);
    }
  }
  for (const wheel of wheels) {
    for (const f of wheel.files) {
      const before = owner.get(f.path);
      if (before && !(before.sha256 && before.sha256 === f.sha256))
        throw duplicate(f.path, before.wheel, wheel);
      const folder = folders.get(f.path);
      if (folder) throw duplicate(f.path, folder, wheel);
      owner.set(f.path, { wheel, sha256: f.sha256 });
    }
  }
}

function duplicate(path: string, a: WheelInfo, b: WheelInfo): CudasealError {
  return new CudasealError(
    "WHEEL_DUPLICATE_FILE",
    `/${path} is installed by both ${a.filename} and ${b.filename}`,
    {
      hint: "two locked packages ship the same file; lock only one of them",
      details: { path: `/${path}`, wheels: [a.filename, b.filename] },
    },
  );
}

/**
 * The layer entries installing `wheels`, in order: each wheel's members in
 * zip order (parents first), its entry-point launchers, INSTALLER and RECORD.
 * A file another wheel of this layer already wrote with the same bytes is
 * skipped; with other bytes it is WHEEL_DUPLICATE_FILE. `meta` is complete
 * once the entries are consumed.
 */
export function wheelLayerEntries(
  wheels: readonly WheelFile[],
  options: WheelInstallOptions,
  meta: WheelLayerMeta,
): AsyncIterable<WheelLayerEntry> {
  return (async function* () {
    const layer: LayerState = { dirs: new Set(), files: new Map(), options, meta };
    for (const file of wheels) {
      const opened = await openWheel(file, options.scheme, options.limits ?? DEFAULT_ZIP_LIMITS);
      try {
        yield* installOne(opened, layer);
      } finally {
        await opened.zip.close();
      }
    }
  })();
}

interface LayerState {
  dirs: Set<string>;
  /** Path → [wheel file name, hex sha256 when known]. */
  files: Map<string, [string, string | undefined]>;
  options: WheelInstallOptions;
  meta: WheelLayerMeta;
}

/** Directory entries for the parents of `path` not yet written; refuses a file in a folder's place. */
function* parentDirs(layer: LayerState, path: string, origin: string): Generator<LayerEntry> {
  for (const p of parents(path)) {
    if (layer.dirs.has(p)) continue;
    const other = layer.files.get(p);
    if (other) throw duplicateNames(p, other[0], origin);
    layer.dirs.add(p);
    layer.meta.paths.push(p);
    yield dirEntry(p, layer.options.mtime);
  }
}

function duplicateNames(path: string, a: string, b: string): CudasealError {
  return new CudasealError("WHEEL_DUPLICATE_FILE", `/${path} is installed by both ${a} and ${b}`, {
    hint: "two locked packages ship the same file; lock only one of them",
    details: { path: `/${path}`, wheels: [a, b] },
  });
}

/** Whether `path` may be written now: false when an identical file is there already. */
function claim(layer: LayerState, path: string, sha256: string | undefined, origin: string): boolean {
  if (layer.dirs.has(path)) throw duplicateNames(path, "a folder of another wheel", origin);
  const other = layer.files.get(path);
  if (other) {
    if (sha256 !== undefined && other[1] === sha256) return false;
    throw duplicateNames(path, other[0], origin);
  }
  layer.files.set(path, [origin, sha256]);
  layer.meta.paths.push(path);
  return true;
}

async function* installOne(opened: OpenedWheel, layer: LayerState): AsyncGenerator<WheelLayerEntry> {
  const { zip, info, members, site } = opened;
  const { mtime, scheme } = layer.options;
  const origin = info.filename;
  const installed: string[] = [];
  const record: { path: string; hash: string; size: number }[] = [];
  let bytes = 0;
  const written = (path: string, sha256: Buffer, size: number) => {
    record.push({ path, hash: recordHash(sha256), size });
    bytes += size;
  };
  for (const m of members) {
    const known =
      m.record.hash?.algorithm === "sha256" && !m.script ? m.record.hash.digest.toString("hex") : undefined;
    yield* parentDirs(layer, m.dest, origin);
    if (!claim(layer, m.dest, known, origin)) continue;
    installed.push(m.dest);
    if (m.script) {
      const original = await zip.readAll(m.entry, SMALL_CAP);
      checkDigest(m, digestOf(m.record.hash?.algorithm ?? "sha256", original), origin);
      const fixed = fixScriptShebang(original, scheme.interpreter);
      written(m.dest, digestOf("sha256", fixed), fixed.length);
      yield fileEntry(m.dest, fixed, mtime, m.mode);
      continue;
    }
    const e = m.entry;
    const deflated: DeflatedMember | undefined =
      // Every non-empty deflated member is worth copying: its stream is there already.
      e.method === 8 && e.size > 0
        ? { file: opened.path, compressedSize: e.compressedSize, crc32: e.crc32, size: e.size }
        : undefined;
    const raw = deflated
      ? (facts: RawFacts) => {
          deflated.raw = facts;
        }
      : undefined;
    yield {
      path: m.dest,
      type: "file",
      mode: m.mode,
      uid: 0,
      gid: 0,
      mtime,
      size: e.size,
      body: checkedBody(zip.read(e, raw), m, origin, (sha256) => written(m.dest, sha256, e.size)),
      ...(deflated ? { deflated } : {}),
    };
  }
  for (const ep of info.entryPoints) {
    const path = `${scheme.scripts}/${ep.name}`;
    const text = Buffer.from(entryPointScript(ep, scheme.interpreter));
    yield* parentDirs(layer, path, origin);
    if (!claim(layer, path, undefined, origin)) continue;
    installed.push(path);
    written(path, digestOf("sha256", text), text.length);
    yield fileEntry(path, text, mtime, 0o755);
  }
  const installer = Buffer.from("cudaseal\n");
  const installerPath = `${info.distInfo}/INSTALLER`;
  const recordPath = `${info.distInfo}/RECORD`;
  yield* parentDirs(layer, installerPath, origin);
  claim(layer, installerPath, undefined, origin);
  written(installerPath, digestOf("sha256", installer), installer.length);
  yield fileEntry(installerPath, installer, mtime);
  claim(layer, recordPath, undefined, origin);
  const text =
    record.map((r) => recordLine(relativePath(site, r.path), r.hash, r.size)).join("") +
    recordLine(relativePath(site, recordPath), "", "");
  yield fileEntry(recordPath, text, mtime);
  layer.meta.wheels.push({
    name: info.name,
    version: info.version,
    filename: info.filename,
    distInfo: info.distInfo,
    files: installed.length + 2,
    bytes: bytes + Buffer.byteLength(text),
  });
}

function checkDigest(m: Member, digest: Buffer, origin: string): void {
  if (!m.record.hash || !digest.equals(m.record.hash.digest)) {
    throw mismatch(
      origin,
      m.entry.name,
      `does not match its ${m.record.hash?.algorithm ?? "sha256"} in RECORD`,
    );
  }
}

/** The member's bytes, unchanged, checked against RECORD when they end; `done` gets their SHA-256. */
async function* checkedBody(
  source: AsyncIterable<Buffer>,
  m: Member,
  origin: string,
  done: (sha256: Buffer) => void,
): AsyncGenerator<Buffer> {
  const algorithm = m.record.hash?.algorithm ?? "sha256";
  const sha256 = createHash("sha256");
  const other: Hash | undefined = algorithm === "sha256" ? undefined : createHash(algorithm);
  for await (const chunk of source) {
    sha256.update(chunk);
    other?.update(chunk);
    yield chunk;
  }
  const mine = sha256.digest();
  checkDigest(m, other ? other.digest() : mine, origin);
  done(mine);
}
