// The Python distributions installed in any image, read from the metadata
// installers leave beside them: `NAME-VER.dist-info/` (pip, uv, cudaseal:
// METADATA, RECORD for the files, INSTALLER for who wrote it) and the older
// `NAME-VER.egg-info/PKG-INFO` or single-file `NAME-VER.egg-info`, directly
// in a `site-packages` or `dist-packages` folder anywhere in the tree (the
// system's, /usr/local's, a venv's). Distributions whose metadata an OS
// package owns (Debian's python3-*, Alpine's py3-*) are the OS package's, as
// its own database already lists them: they are left out, so a scanner does
// not count them twice against two feeds. Metadata is package input, hence
// hostile: bodies are capped by readFilesystem, only regular files are read,
// and a file that does not parse is skipped, never thrown on.

import { posix } from "node:path";
import { normalizeName } from "../python/index.ts";
import { fileOwners } from "./file-owners.ts";
import type { ImageFilesystem } from "./filesystem.ts";

/** One installed Python distribution. */
export interface PythonPackage {
  /** The name as its metadata spells it (`Jinja2`, `typing_extensions`). */
  name: string;
  version: string;
  /** The `.dist-info` or `.egg-info` path. */
  path: string;
  /** The file its name and version were read from (METADATA, PKG-INFO, or the egg-info itself). */
  metadataPath: string;
  /** `License-Expression:` (core metadata 2.4, PEP 639): an SPDX expression. */
  licenseExpression?: string;
  /** `License:`: free text, often a short name, sometimes the whole licence. */
  license?: string;
  /** The `License ::` trove classifiers, in the order given. */
  licenseClassifiers: string[];
  /** What the INSTALLER file names (`pip`, `uv`, `cudaseal`). */
  installer?: string;
  /** Absolute paths RECORD lists (dist-info only), in its order. */
  files?: string[];
}

const SITE = "(.*/(?:site|dist)-packages)";
const DIST_INFO = new RegExp(`^${SITE}/([^/]+)\\.dist-info/(METADATA|RECORD|INSTALLER)$`);
const EGG_INFO_DIR = new RegExp(`^${SITE}/([^/]+)\\.egg-info/PKG-INFO$`);
const EGG_INFO_FILE = new RegExp(`^${SITE}/([^/]+)\\.egg-info$`);

/** PEP 508's distribution name. */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const MAX_NAME = 200;
const MAX_VERSION = 128;
const MAX_FIELD = 64 * 1024;

/** True for the files Python distributions are read from: pass as `want` to readFilesystem. */
export function isPythonMetadata(path: string): boolean {
  return DIST_INFO.test(path) || EGG_INFO_DIR.test(path) || EGG_INFO_FILE.test(path);
}

/**
 * The Python distributions of `fs` no OS package owns, sorted by normalised
 * name, version and path. `fs` must hold the bodies isPythonMetadata names
 * and, to tell what OS packages own, those isPackageDb and isOwnershipDb name.
 */
export function pythonPackages(fs: ImageFilesystem): PythonPackage[] {
  const { owners, canonical } = fileOwners(fs);
  const out: PythonPackage[] = [];
  for (const [path, body] of fs.contents) {
    if (fs.files.get(path)?.type !== "file") continue;
    const dist = DIST_INFO.exec(path);
    const egg = dist ? null : (EGG_INFO_DIR.exec(path) ?? EGG_INFO_FILE.exec(path));
    if (dist?.[3] !== "METADATA" && !egg) continue;
    if (owners.has(canonical(path))) continue;
    const meta = parseMetadata(body.toString("utf8"));
    if (meta === undefined) continue;
    const site = (dist ?? egg)?.[1] as string;
    const dir = dist ? posix.dirname(path) : egg?.[0].endsWith("/PKG-INFO") ? posix.dirname(path) : path;
    const pkg: PythonPackage = { ...meta, path: dir, metadataPath: path };
    if (dist) {
      const installer = fs.contents.get(`${dir}/INSTALLER`)?.toString("utf8").split("\n")[0].trim();
      if (installer && installer.length <= 64 && fs.files.get(`${dir}/INSTALLER`)?.type === "file")
        pkg.installer = installer;
      const record = fs.contents.get(`${dir}/RECORD`);
      if (record !== undefined && fs.files.get(`${dir}/RECORD`)?.type === "file")
        pkg.files = recordPaths(record.toString("utf8"), site);
    }
    out.push(pkg);
  }
  return out.sort(
    (a, b) =>
      cmp(normalizeName(a.name), normalizeName(b.name)) || cmp(a.version, b.version) || cmp(a.path, b.path),
  );
}

type Metadata = Pick<
  PythonPackage,
  "name" | "version" | "licenseExpression" | "license" | "licenseClassifiers"
>;

/**
 * The fields of a core-metadata file (RFC 822 headers up to the first blank
 * line; a line starting with white space continues the field before it);
 * undefined when it has no valid Name and Version.
 */
export function parseMetadata(text: string): Metadata | undefined {
  const fields: [string, string][] = [];
  for (const line of text.replace(/^\uFEFF/, "").split(/\r?\n/)) {
    if (line === "") break;
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line)) {
      if (last !== undefined && last[1].length < MAX_FIELD) last[1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const first = (key: string) => fields.find(([k]) => k === key)?.[1];
  const name = first("name");
  const version = first("version");
  if (name === undefined || name.length > MAX_NAME || !NAME.test(name)) return undefined;
  if (version === undefined || version === "" || version.length > MAX_VERSION || /\s/.test(version))
    return undefined;
  const meta: Metadata = {
    name,
    version,
    licenseClassifiers: fields
      .filter(([k, v]) => k === "classifier" && v.startsWith("License ::"))
      .map(([, v]) => v),
  };
  const expression = first("license-expression");
  if (expression) meta.licenseExpression = expression.slice(0, MAX_FIELD);
  const license = first("license");
  // setuptools writes UNKNOWN for a licence nobody gave.
  if (license && license !== "UNKNOWN") meta.license = license.slice(0, MAX_FIELD);
  return meta;
}

/** The absolute paths a RECORD lists (CSV: path, hash, size), relative to `site`; those that climb out are dropped. */
function recordPaths(text: string, site: string): string[] {
  const out: string[] = [];
  for (const row of csvRows(text)) {
    const rel = row[0];
    if (rel === undefined || rel === "" || rel.includes("\0")) continue;
    const path = rel.startsWith("/") ? posix.normalize(rel) : posix.normalize(`${site}/${rel}`);
    if (!path.startsWith("/") || path.split("/").includes("..")) continue;
    out.push(path);
  }
  return out;
}

/** RFC 4180 rows: fields in double quotes may hold commas, newlines and `""`. */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
