// The lock: what a resolution decided, as a plain JSON document that can be
// committed and replayed byte for byte (apko's lock is the model):
//
//   {
//     "arches": { "amd64": [ { "name": …, "version": …, "repository": …, "sha256": …, … } ] },
//     "lockfileVersion": 1,
//     "request": { "arches": [...], "packages": [...], … },
//     "sources": [ { "component": "main", "suite": "trixie", "uri": … } ]
//   }
//
// Written deterministically: keys sorted at every level, packages sorted by
// name, two-space indent, a final newline. Read strictly: a lock decides what
// gets downloaded and trusted, so every field is checked and the first
// problem is reported with its JSON path.

import { unsafePath } from "../apt/package-record.ts";
import { isFlatSuite, suiteBaseUrl } from "../apt/sources.ts";
import type { LockedPackage, PackageRecord } from "../apt/types.ts";
import { versionProblem } from "../apt/version-compare.ts";
import { CudasealError } from "../errors.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import { parsePackageSpec } from "./request.ts";
import type { Resolution } from "./resolver.ts";

export const LOCKFILE_VERSION = 1;

/** What was asked for, recorded so a lock can be checked against its spec. */
export interface LockRequest {
  packages: string[];
  arches: string[];
  withRecommends?: boolean;
  provided?: string[];
  excludes?: string[];
}

/** A repository the locked packages came from. */
export interface LockSource {
  uri: string;
  suite: string;
  component: string;
}

export interface Lock {
  lockfileVersion: typeof LOCKFILE_VERSION;
  request: LockRequest;
  sources: LockSource[];
  /** Per architecture, every package to install, sorted by name. */
  arches: Record<string, LockedPackage[]>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
const ARCH = /^[a-z0-9][a-z0-9-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** The lock for a set of resolutions (one per architecture). */
export function toLock(resolutions: readonly Resolution[], request: LockRequest): Lock {
  const arches: Record<string, LockedPackage[]> = {};
  const sources = new Map<string, LockSource>();
  for (const resolution of resolutions) {
    if (Object.hasOwn(arches, resolution.arch)) {
      throw new CudasealError("INTERNAL", `two resolutions for architecture ${resolution.arch}`);
    }
    arches[resolution.arch] = resolution.packages
      .map((pkg) => {
        const source = { uri: pkg.repo.uri, suite: pkg.repo.suite, component: pkg.repo.component };
        sources.set(JSON.stringify(source), source);
        return lockedPackage(pkg, resolution.dependsOn.get(pkg.name) ?? []);
      })
      .sort((a, b) => byCodePoint(a.name, b.name));
  }
  const lockRequest: LockRequest = {
    packages: [...request.packages],
    arches: [...request.arches].sort(byCodePoint),
  };
  if (request.withRecommends !== undefined) lockRequest.withRecommends = request.withRecommends;
  if (request.provided !== undefined) lockRequest.provided = [...request.provided];
  if (request.excludes !== undefined) lockRequest.excludes = [...request.excludes];
  return {
    lockfileVersion: LOCKFILE_VERSION,
    request: lockRequest,
    sources: [...sources.values()].sort(
      (a, b) =>
        byCodePoint(a.uri, b.uri) || byCodePoint(a.suite, b.suite) || byCodePoint(a.component, b.component),
    ),
    arches,
  };
}

/** One resolved package as the lock pins it. */
export function lockedPackage(pkg: PackageRecord, dependsOn: readonly string[]): LockedPackage {
  const locked: LockedPackage = {
    name: pkg.name,
    version: pkg.version,
    arch: pkg.arch,
    source: pkg.source,
    sourceVersion: pkg.sourceVersion,
    url: packageUrl(pkg),
    filename: pkg.filename,
    size: pkg.size,
    sha256: pkg.sha256,
    dependsOn: [...dependsOn].sort(byCodePoint),
  };
  if (pkg.installedSize !== undefined) locked.installedSize = pkg.installedSize;
  locked.repository = repositoryName(pkg.repo);
  return locked;
}

/** A repository as a sources.list line names it: `uri suite component`, or `uri suite/` when flat. */
export function repositoryName(source: LockSource): string {
  return isFlatSuite(source.suite)
    ? `${source.uri} ${source.suite}`
    : `${source.uri} ${source.suite} ${source.component}`;
}

/** Where a package's .deb is downloaded from: relative to the repository root, or to a flat repository's directory. */
export function packageUrl(pkg: Pick<PackageRecord, "repo" | "filename">): string {
  const base = isFlatSuite(pkg.repo.suite)
    ? suiteBaseUrl(pkg.repo.uri, pkg.repo.suite)
    : pkg.repo.uri.replace(/\/+$/, "");
  return `${base}/${pkg.filename.replace(/^(\.\/)+/, "")}`;
}

/** The lock as text: sorted keys, two-space indent, trailing newline. */
export function serializeLock(lock: Lock): string {
  return `${JSON.stringify(sortKeys(lock), null, 2)}\n`;
}

/** Locks of the largest images are a few MiB; a bigger file is not one. */
const MAX_LOCK_BYTES = 64 * 1024 * 1024;

/** Read a lock file and parse it; LOCK_INVALID when it cannot be read, is too large or is not a lock. */
export async function readLockFile(path: string): Promise<Lock> {
  let data: Buffer;
  try {
    data = await readRegularFile(path, { what: "lock", max: MAX_LOCK_BYTES });
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("LOCK_INVALID", `cannot read the lock ${path}: ${(err as Error).message}`, {
      hint: "check the path given to --lock; `cudaseal lock` writes one",
      cause: err,
    });
  }
  return parseLock(data.toString("utf8"));
}

/** Read and validate a lock; throws LOCK_INVALID naming the first problem. */
export function parseLock(text: string): Lock {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CudasealError("LOCK_INVALID", `the lock is not valid JSON: ${(err as Error).message}`, {
      hint: "regenerate it with `cudaseal lock`",
      cause: err,
    });
  }
  const lock = object(data, "$", ["lockfileVersion", "request", "sources", "arches"]);
  if (lock.lockfileVersion !== LOCKFILE_VERSION) {
    fail(
      "$.lockfileVersion",
      `unsupported version ${JSON.stringify(lock.lockfileVersion)} (this cudaseal reads ${LOCKFILE_VERSION})`,
    );
  }
  const request = readRequest(lock.request);
  const sources = array(lock.sources, "$.sources").map((value, i) => readSource(value, `$.sources[${i}]`));
  const archesValue = object(lock.arches, "$.arches");
  const arches: Record<string, LockedPackage[]> = {};
  for (const [arch, list] of Object.entries(archesValue)) {
    const path = `$.arches.${arch}`;
    if (!ARCH.test(arch)) fail(path, `invalid architecture name ${JSON.stringify(arch)}`);
    const packages = array(list, path).map((value, i) => readPackage(value, `${path}[${i}]`, arch));
    const names = new Set<string>();
    for (const [i, pkg] of packages.entries()) {
      if (names.has(pkg.name)) fail(`${path}[${i}].name`, `${pkg.name} is locked twice`);
      names.add(pkg.name);
    }
    for (const [i, pkg] of packages.entries()) {
      for (const [j, dep] of pkg.dependsOn.entries()) {
        if (!names.has(dep)) fail(`${path}[${i}].dependsOn[${j}]`, `${dep} is not locked for ${arch}`);
      }
    }
    arches[arch] = packages;
  }
  const known = new Set(sources.map(repositoryName));
  for (const [arch, packages] of Object.entries(arches)) {
    for (const [i, pkg] of packages.entries()) {
      if (pkg.repository !== undefined && !known.has(pkg.repository)) {
        fail(`$.arches.${arch}[${i}].repository`, `${pkg.repository} is not among the lock's sources`);
      }
    }
  }
  for (const arch of request.arches) {
    if (!Object.hasOwn(arches, arch)) fail("$.arches", `no packages for ${arch}, which the request names`);
  }
  return { lockfileVersion: LOCKFILE_VERSION, request, sources, arches };
}

function readRequest(value: unknown): LockRequest {
  const path = "$.request";
  const request = object(value, path, ["packages", "arches", "withRecommends", "provided", "excludes"]);
  const packages = strings(request.packages, `${path}.packages`);
  packages.forEach((spec, i) => {
    try {
      parsePackageSpec(spec);
    } catch (err) {
      fail(`${path}.packages[${i}]`, (err as Error).message, err);
    }
  });
  const arches = strings(request.arches, `${path}.arches`);
  arches.forEach((arch, i) => {
    if (!ARCH.test(arch)) fail(`${path}.arches[${i}]`, `invalid architecture name ${JSON.stringify(arch)}`);
  });
  const result: LockRequest = { packages, arches };
  if (request.withRecommends !== undefined) {
    if (typeof request.withRecommends !== "boolean") fail(`${path}.withRecommends`, "expected true or false");
    result.withRecommends = request.withRecommends as boolean;
  }
  if (request.provided !== undefined) result.provided = strings(request.provided, `${path}.provided`);
  if (request.excludes !== undefined) result.excludes = strings(request.excludes, `${path}.excludes`);
  return result;
}

function readSource(value: unknown, path: string): LockSource {
  const source = object(value, path, ["uri", "suite", "component"]);
  const uri = httpUrl(source.uri, `${path}.uri`);
  const suite = string(source.suite, `${path}.suite`);
  if (suite.length === 0 || unsafePath(suite.replace(/\/+$/, "") || ".") !== undefined) {
    fail(`${path}.suite`, `invalid suite ${JSON.stringify(suite)}`);
  }
  const component = string(source.component, `${path}.component`);
  return { uri, suite, component };
}

function readPackage(value: unknown, path: string, arch: string): LockedPackage {
  const pkg = object(value, path, [
    "name",
    "version",
    "arch",
    "source",
    "sourceVersion",
    "url",
    "filename",
    "size",
    "sha256",
    "installedSize",
    "dependsOn",
    "repository",
  ]);
  const name = packageName(pkg.name, `${path}.name`);
  const version = debVersion(pkg.version, `${path}.version`);
  const pkgArch = string(pkg.arch, `${path}.arch`);
  if (pkgArch !== arch && pkgArch !== "all") fail(`${path}.arch`, `${pkgArch} package in the ${arch} list`);
  const source = packageName(pkg.source, `${path}.source`);
  const sourceVersion = debVersion(pkg.sourceVersion, `${path}.sourceVersion`);
  const url = httpUrl(pkg.url, `${path}.url`);
  const filename = string(pkg.filename, `${path}.filename`);
  const problem = unsafePath(filename);
  if (problem) fail(`${path}.filename`, `unsafe path ${JSON.stringify(filename)}: ${problem}`);
  if (!url.endsWith(`/${filename.replace(/^(\.\/)+/, "")}`)) {
    fail(`${path}.url`, `does not end with the filename ${JSON.stringify(filename)}`);
  }
  const size = count(pkg.size, `${path}.size`);
  const installedSize =
    pkg.installedSize === undefined ? undefined : count(pkg.installedSize, `${path}.installedSize`);
  const sha256 = string(pkg.sha256, `${path}.sha256`);
  if (!SHA256.test(sha256)) fail(`${path}.sha256`, "expected 64 lowercase hexadecimal digits");
  const dependsOn = strings(pkg.dependsOn, `${path}.dependsOn`);
  for (const [i, dep] of dependsOn.entries()) packageName(dep, `${path}.dependsOn[${i}]`);
  const locked: LockedPackage = {
    name,
    version,
    arch: pkgArch,
    source,
    sourceVersion,
    url,
    filename,
    size,
    sha256,
    dependsOn,
  };
  if (installedSize !== undefined) locked.installedSize = installedSize;
  if (pkg.repository !== undefined) locked.repository = string(pkg.repository, `${path}.repository`);
  return locked;
}

function count(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    fail(path, "expected a non-negative integer");
  }
  return value as number;
}

function object(value: unknown, path: string, allowed?: readonly string[]): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, "expected an object");
  const record = value as Record<string, unknown>;
  if (allowed) {
    for (const key of Object.keys(record)) {
      if (!allowed.includes(key)) fail(`${path}.${key}`, "unknown field");
    }
  }
  return record;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, "expected an array");
  return value as unknown[];
}

function string(value: unknown, path: string): string {
  if (typeof value !== "string") fail(path, "expected a string");
  return value as string;
}

function strings(value: unknown, path: string): string[] {
  return array(value, path).map((item, i) => string(item, `${path}[${i}]`));
}

function packageName(value: unknown, path: string): string {
  const name = string(value, path);
  if (!NAME.test(name)) fail(path, `invalid package name ${JSON.stringify(name)}`);
  return name;
}

function debVersion(value: unknown, path: string): string {
  const version = string(value, path);
  const problem = versionProblem(version);
  if (problem?.level === "error")
    fail(path, `invalid version ${JSON.stringify(version)}: ${problem.message}`);
  return version;
}

function httpUrl(value: unknown, path: string): string {
  const text = string(value, path);
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    fail(path, `not a URL: ${JSON.stringify(text)}`);
  }
  if (url!.protocol !== "http:" && url!.protocol !== "https:")
    fail(path, `not an http(s) URL: ${JSON.stringify(text)}`);
  if (url!.username || url!.password) fail(path, "credentials do not belong in a lock");
  // The URL parser would resolve `..` away; refuse it in the text itself.
  if (/\s/.test(text) || text.split(/[/?#]/).some((part) => part === ".." || part === "%2e%2e")) {
    fail(path, `unsafe URL ${JSON.stringify(text)}`);
  }
  return text;
}

function fail(path: string, message: string, cause?: unknown): never {
  throw new CudasealError("LOCK_INVALID", `invalid lock: ${path}: ${message}`, {
    hint: "the lock was edited or damaged; regenerate it with `cudaseal lock`",
    cause,
    details: { path },
  });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => byCodePoint(a, b));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
