// uv.lock, read directly (no uv binary), choosing what `uv sync --frozen
// --no-default-groups [--group G] [--extra E]` would install for one
// environment: the image's Linux, CPython version and architecture.
//
// The lock is a graph. `[[package]]` entries carry `dependencies` (edges
// with an optional `marker`, the `extra`s they turn on, and `version` /
// `source` where a name has several entries), `optional-dependencies` per
// extra and `dev-dependencies` per group. The project is the package whose
// source is the workspace root (`editable = "."` or `virtual = "."`); its
// own code is installed like contents, so it is walked from and not listed.
// Any other local source tree would have to be built, which the build does
// not do (PY_NO_WHEEL).
//
// Conflicting extras and groups are encoded in markers as
// `extra == 'extra-<len>-<package>-<extra>'` (and `group-…`); those names
// are put in force beside the plain ones so such markers evaluate as uv
// does. Groups are installed only when named: an image gets no dev group
// by default.

import { resolve } from "node:path";
import { CudasealError } from "../errors.ts";
import {
  checkedUrl,
  checkRequiresPython,
  entryFilename,
  fileKind,
  list,
  localFileUrl,
  lockDir,
  lockInvalid,
  parseTomlLock,
  type ReadLockOptions,
  readLockText,
  sha256Hex,
  str,
  table,
} from "./lock-common.ts";
import { environmentFor, evaluateMarker, type MarkerEnvironment } from "./markers.ts";
import { normalizeName } from "./names.ts";
import { versionsEqual } from "./pep440.ts";
import type { LockedFile, LockedPythonPackage, PythonLock } from "./types.ts";

interface UvPackage {
  name: string;
  version?: string;
  source: Record<string, unknown>;
  raw: Record<string, unknown>;
}

interface Edge {
  name: string;
  version?: string;
  source?: Record<string, unknown>;
  marker?: string;
  extras: string[];
}

/** The source table's kind and value (`registry = "https://…"` → ["registry", "https://…"]). */
function sourceOf(pkg: UvPackage): [string, string] {
  for (const kind of ["registry", "url", "path", "directory", "editable", "virtual", "git"]) {
    const value = pkg.source[kind];
    if (typeof value === "string") return [kind, value];
  }
  return ["unknown", ""];
}

function sameSource(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

function edgesOf(value: unknown, path: string, field: string): Edge[] {
  return list(value, path, field).map((item, i) => {
    const t = table(item, path, `${field}[${i}]`);
    return {
      name: normalizeName(str(t.name, path, `${field}[${i}].name`)),
      version: typeof t.version === "string" ? t.version : undefined,
      source: t.source === undefined ? undefined : table(t.source, path, `${field}[${i}].source`),
      marker: typeof t.marker === "string" ? t.marker : undefined,
      extras: list(t.extra, path, `${field}[${i}].extra`).map((e) =>
        normalizeName(str(e, path, `${field}[${i}].extra`)),
      ),
    };
  });
}

function isWorkspaceRoot(pkg: UvPackage): boolean {
  const [kind, value] = sourceOf(pkg);
  return (
    (kind === "editable" || kind === "virtual" || kind === "directory") && (value === "." || value === "")
  );
}

/** The uv.lock at `path`, reduced to the packages to install for the image. */
export async function readUvLock(path: string, options: ReadLockOptions): Promise<PythonLock> {
  const doc = parseTomlLock(await readLockText(path, "uv.lock"), path);
  const version = doc.version;
  if (version !== 1)
    throw lockInvalid(
      path,
      `lock version ${String(version)} is not one cudaseal reads (1)`,
      "regenerate it with a current uv",
    );
  checkRequiresPython(doc["requires-python"], options.interpreter, path);
  const packages: UvPackage[] = list(doc.package, path, "package").map((item, i) => {
    const t = table(item, path, `package[${i}]`);
    return {
      name: normalizeName(str(t.name, path, `package[${i}].name`)),
      version: typeof t.version === "string" ? t.version : undefined,
      source: t.source === undefined ? {} : table(t.source, path, `package[${i}].source`),
      raw: t,
    };
  });
  const byName = new Map<string, UvPackage[]>();
  for (const p of packages) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);

  const roots = packages.filter(isWorkspaceRoot);
  if (roots.length !== 1)
    throw lockInvalid(
      path,
      roots.length === 0
        ? 'no package is the project itself (source = { editable/virtual = "." })'
        : "several packages claim the workspace root",
      "cudaseal installs what `uv sync` installs for the project at the lock's folder",
    );
  const root = roots[0] as UvPackage;
  const extras = (options.extras ?? []).map(normalizeName);
  const groups = (options.groups ?? []).map(normalizeName);
  const optional =
    root.raw["optional-dependencies"] === undefined
      ? {}
      : table(root.raw["optional-dependencies"], path, "optional-dependencies");
  const dev =
    root.raw["dev-dependencies"] === undefined
      ? {}
      : table(root.raw["dev-dependencies"], path, "dev-dependencies");
  const have = (t: Record<string, unknown>, n: string) => Object.keys(t).some((k) => normalizeName(k) === n);
  for (const e of extras)
    if (!have(optional, e))
      throw lockInvalid(
        path,
        `the project has no extra ${JSON.stringify(e)}`,
        `its extras: ${Object.keys(optional).join(", ") || "none"}`,
      );
  for (const g of groups)
    if (!have(dev, g))
      throw lockInvalid(
        path,
        `the project has no dependency group ${JSON.stringify(g)}`,
        `its groups: ${Object.keys(dev).join(", ") || "none"}`,
      );

  const encoded = (kind: string, n: string) => `${kind}-${root.name.length}-${root.name}-${n}`;
  const env = environmentFor(options.interpreter, {
    extras: [...extras, ...extras.map((e) => encoded("extra", e)), ...groups.map((g) => encoded("group", g))],
    groups,
  });

  const walk = new Walk(path, byName, env);
  walk.visit(root, extras);
  for (const [name, edges] of Object.entries(dev))
    if (groups.includes(normalizeName(name)))
      for (const edge of edgesOf(edges, path, `dev-dependencies.${name}`)) walk.follow(edge, root);
  const out: LockedPythonPackage[] = [];
  const names = new Set<string>();
  for (const pkg of walk.reached()) {
    if (pkg === root) continue;
    // Forks are split by markers; two entries of one name reached means markers that overlap.
    if (names.has(pkg.name))
      throw lockInvalid(
        path,
        `two entries of ${pkg.name} apply to the image`,
        "regenerate the lock with `uv lock`",
      );
    names.add(pkg.name);
    out.push(lockedPackage(pkg, path));
  }
  return {
    format: "uv.lock",
    packages: out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

/** The walk from the project: each package once, with every extra something turned on for it. */
class Walk {
  private readonly extrasOn = new Map<UvPackage, Set<string>>();
  private readonly order: UvPackage[] = [];

  private readonly path: string;
  private readonly byName: Map<string, UvPackage[]>;
  private readonly env: MarkerEnvironment;

  constructor(path: string, byName: Map<string, UvPackage[]>, env: MarkerEnvironment) {
    this.path = path;
    this.byName = byName;
    this.env = env;
  }

  reached(): UvPackage[] {
    return this.order;
  }

  /** Install `pkg` with `extras`: its dependencies, and those of each extra not yet done. */
  visit(pkg: UvPackage, extras: string[]): void {
    // An explicit stack, not recursion: a lock's graph may be deep.
    const stack: [UvPackage, string[]][] = [[pkg, extras]];
    while (stack.length > 0) {
      const [p, want] = stack.pop() as [UvPackage, string[]];
      let on = this.extrasOn.get(p);
      const first = on === undefined;
      if (on === undefined) {
        on = new Set();
        this.extrasOn.set(p, on);
        this.order.push(p);
      }
      const edges: Edge[] = [];
      if (first) edges.push(...edgesOf(p.raw.dependencies, this.path, `${p.name}.dependencies`));
      const optional =
        p.raw["optional-dependencies"] === undefined
          ? {}
          : table(p.raw["optional-dependencies"], this.path, `${p.name}.optional-dependencies`);
      for (const extra of want) {
        if (on.has(extra)) continue;
        on.add(extra);
        const key = Object.keys(optional).find((k) => normalizeName(k) === extra);
        // uv drops an extra a package does not define, with a warning at lock time.
        if (key !== undefined)
          edges.push(...edgesOf(optional[key], this.path, `${p.name}.optional-dependencies.${key}`));
      }
      for (const edge of edges) {
        if (!evaluateMarker(edge.marker, this.env)) continue;
        stack.push([this.target(edge, p), edge.extras]);
      }
    }
  }

  /** Follow one edge from `from` (a group's entry). */
  follow(edge: Edge, from: UvPackage): void {
    if (!evaluateMarker(edge.marker, this.env)) return;
    this.visit(this.target(edge, from), edge.extras);
  }

  /** The package an edge names, told apart by version and source where the name has several. */
  private target(edge: Edge, from: UvPackage): UvPackage {
    let candidates = this.byName.get(edge.name) ?? [];
    if (candidates.length > 1 && edge.version !== undefined)
      candidates = candidates.filter(
        (c) => c.version !== undefined && versionsEqual(c.version, edge.version as string),
      );
    if (candidates.length > 1 && edge.source !== undefined)
      candidates = candidates.filter((c) => sameSource(c.source, edge.source as Record<string, unknown>));
    if (candidates.length !== 1)
      throw lockInvalid(
        this.path,
        `${from.name} depends on ${edge.name}${edge.version ? ` ${edge.version}` : ""}, which the lock lists ${candidates.length === 0 ? "nowhere" : "more than once"}`,
        "regenerate the lock with `uv lock`",
      );
    return candidates[0] as UvPackage;
  }
}

/** One reached package as the build needs it: version, files with hashes, index. */
function lockedPackage(pkg: UvPackage, path: string): LockedPythonPackage {
  const [kind, value] = sourceOf(pkg);
  if (kind === "editable" || kind === "directory" || kind === "virtual" || kind === "git")
    throw new CudasealError(
      "PY_NO_WHEEL",
      // A git URL may carry a token: named without its user info.
      `${pkg.name} comes from a ${kind} source (${value.replace(/:\/\/[^/@\s]*@/g, "://")}), which would have to be built`,
      {
        hint: "the build runs no code: build a wheel of it and lock that (a path or url source), or install it as the project",
      },
    );
  if (kind === "unknown") throw lockInvalid(path, `${pkg.name} has no source cudaseal knows`);
  if (pkg.version === undefined) throw lockInvalid(path, `${pkg.name} has no version`);
  const dir = lockDir(path);
  // A local registry (a folder of wheels) holds its files' paths relative to itself.
  const base = kind === "registry" && !/^[a-z]+:\/\//i.test(value) ? resolve(dir, value) : dir;
  const files: LockedFile[] = [];
  const entries = [...list(pkg.raw.wheels, path, `${pkg.name}.wheels`)];
  if (pkg.raw.sdist !== undefined) entries.push(pkg.raw.sdist);
  for (const [i, item] of entries.entries()) {
    const e = table(item, path, `${pkg.name} file ${i}`);
    const url = typeof e.url === "string" ? checkedUrl(e.url, path, `${pkg.name} url`) : undefined;
    const local = typeof e.path === "string" ? e.path : undefined;
    // A `path` or `url` source's own wheel carries only its file name.
    const sourcePath = kind === "path" ? value : undefined;
    const sourceUrl = kind === "url" ? value : undefined;
    const filename = entryFilename(e.filename, url ?? sourceUrl, local ?? sourcePath);
    if (filename === undefined) throw lockInvalid(path, `a file of ${pkg.name} has no name, url or path`);
    const hash = typeof e.hash === "string" ? e.hash : undefined;
    const sha256 = hash?.startsWith("sha256:") ? sha256Hex(hash.slice(7)) : undefined;
    if (sha256 === undefined)
      throw new CudasealError(
        "PY_UNHASHED",
        `${filename} (${pkg.name} ${pkg.version}) has no SHA256 in ${path}`,
        {
          hint: hash
            ? `cudaseal checks SHA256; the lock has ${hash.split(":")[0]}`
            : "regenerate the lock with `uv lock`: uv records a hash for every file",
        },
      );
    const where =
      url ??
      (local !== undefined ? localFileUrl(local, base) : undefined) ??
      sourceUrl ??
      (sourcePath !== undefined ? localFileUrl(sourcePath, dir) : undefined);
    files.push({
      filename,
      url: where,
      sha256,
      size: typeof e.size === "number" ? e.size : undefined,
      kind: fileKind(filename),
    });
  }
  return {
    name: pkg.name,
    version: pkg.version,
    files,
    index: kind === "registry" && /^https?:\/\//i.test(value) ? value : undefined,
  };
}
