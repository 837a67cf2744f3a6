// pip's requirements.txt, accepted only as a lock: every requirement pinned
// with `==` (or `===`) and carrying `--hash=sha256:…`, as
// `pip install --require-hashes` demands. An unpinned line is PY_UNPINNED
// and an unhashed one PY_UNHASHED: the build never resolves.
//
// Lines are joined at a trailing backslash; `#` starts a comment at the
// start of a line or after whitespace. `-r`/`--requirement` includes another
// file relative to the including one; an include that loops, or that leaves
// the folder of the top file (by `..` or a symbolic link), is refused.
// `--index-url` and `--extra-index-url` are kept (`${VAR}` expanded); options that change
// nothing for a hashed lock (`--require-hashes`, `--only-binary`…) are
// accepted; anything that would build or resolve (`-e`, `-c`, VCS and
// sdist URLs) is refused. Markers are evaluated for the image.

import { realpath } from "node:fs/promises";
import { dirname, relative, resolve, sep } from "node:path";
import { CudasealError } from "../errors.ts";
import {
  checkedUrl,
  filenameOfUrl,
  lockInvalid,
  type ReadLockOptions,
  readLockText,
  sha256Hex,
} from "./lock-common.ts";
import { environmentFor, evaluateMarker, type MarkerEnvironment } from "./markers.ts";
import { isValidName, normalizeName } from "./names.ts";
import { versionsEqual } from "./pep440.ts";
import { parseWheelName } from "./tags.ts";
import type { LockedPythonPackage, PythonLock } from "./types.ts";

/** How deep includes may nest, and how many files one lock may pull in. */
const MAX_INCLUDE_DEPTH = 16;
const MAX_FILES = 256;

/** Options taking a value, and whether cudaseal keeps, ignores or refuses them. */
const VALUE_OPTIONS: Record<
  string,
  "requirement" | "constraint" | "index" | "extra-index" | "ignore" | "refuse"
> = {
  "-r": "requirement",
  "--requirement": "requirement",
  "-c": "constraint",
  "--constraint": "constraint",
  "-i": "index",
  "--index-url": "index",
  "--extra-index-url": "extra-index",
  "--trusted-host": "ignore",
  "--only-binary": "ignore",
  "--no-binary": "refuse",
  "-f": "refuse",
  "--find-links": "refuse",
  "-e": "refuse",
  "--editable": "refuse",
  "--use-feature": "ignore",
  "--config-settings": "ignore",
};
const FLAG_OPTIONS = new Set(["--require-hashes", "--prefer-binary", "--pre", "--no-index", "--no-deps"]);

interface Context {
  top: string;
  topDir: string;
  env: MarkerEnvironment;
  seen: number;
  indexes: string[];
  packages: Map<string, LockedPythonPackage>;
}

/** The requirements file at `path`, every line pinned and hashed, reduced to what applies to the image. */
export async function readRequirements(path: string, options: ReadLockOptions): Promise<PythonLock> {
  const top = await realpath(resolve(path)).catch((err: unknown) => {
    throw new CudasealError("PY_LOCK_INVALID", `cannot read ${path}: ${(err as Error).message}`, {
      hint: "python.lock names the requirements file relative to the spec's file; check the path",
      cause: err,
    });
  });
  const ctx: Context = {
    top,
    topDir: dirname(top),
    env: environmentFor(options.interpreter, { extras: options.extras ?? [] }),
    seen: 0,
    indexes: [],
    packages: new Map(),
  };
  await readFile(top, [], ctx);
  const packages = [...ctx.packages.values()].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  return { format: "requirements.txt", packages, indexes: ctx.indexes.length > 0 ? ctx.indexes : undefined };
}

/** Logical lines: continuations joined, comments dropped, with the number of the line each starts on. */
function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let pending = "";
  let start = 0;
  const raw = text.split(/\r?\n/);
  for (const [i, l] of raw.entries()) {
    if (pending === "") start = i + 1;
    const uncommented = l.replace(/(^|\s)#.*$/, "");
    if (uncommented.endsWith("\\")) {
      pending += `${uncommented.slice(0, -1)} `;
      continue;
    }
    const joined = (pending + uncommented).trim();
    pending = "";
    if (joined !== "") out.push({ line: start, text: joined });
  }
  if (pending.trim() !== "") out.push({ line: start, text: pending.trim() });
  return out;
}

/** Split `--opt=value` and `--opt value` into words; requirement text stays whole until its first option. */
function words(text: string): string[] {
  return text.split(/\s+/).flatMap((w) => {
    const eq = /^(--[a-z-]+)=(.*)$/.exec(w);
    return eq ? [eq[1] as string, eq[2] as string] : [w];
  });
}

async function readFile(file: string, chain: string[], ctx: Context): Promise<void> {
  if (++ctx.seen > MAX_FILES)
    throw lockInvalid(ctx.top, `more than ${MAX_FILES} requirements files are included`);
  if (chain.length >= MAX_INCLUDE_DEPTH)
    throw lockInvalid(file, `includes nest deeper than ${MAX_INCLUDE_DEPTH}`);
  const text = await readLockText(file, "requirements file");
  for (const { line, text: l } of logicalLines(text)) {
    const where = `${file}:${line}`;
    if (l.startsWith("-")) {
      await option(l, where, file, chain, ctx);
      continue;
    }
    requirement(l, where, ctx);
  }
}

async function option(
  text: string,
  where: string,
  file: string,
  chain: string[],
  ctx: Context,
): Promise<void> {
  const w = words(text);
  const name = w[0] as string;
  // `-rfile` is `-r file`.
  const short = /^(-[rcief])(.+)$/.exec(name);
  const opt = short ? (short[1] as string) : name;
  const value = short ? short[2] : w[1];
  if (FLAG_OPTIONS.has(opt)) return;
  const kind = VALUE_OPTIONS[opt];
  if (kind === undefined)
    throw lockInvalid(where, `option ${opt} is not one cudaseal reads in a requirements lock`);
  if (value === undefined || value === "") throw lockInvalid(where, `${opt} needs a value`);
  switch (kind) {
    case "ignore":
      return;
    case "refuse":
      throw new CudasealError(
        "PY_UNPINNED",
        `${where}: ${opt} would install something the lock does not pin by hash`,
        {
          hint: "list every package as name==version with --hash=sha256:… (pip-compile --generate-hashes, uv pip compile --generate-hashes)",
        },
      );
    case "constraint":
      throw lockInvalid(
        where,
        `${opt}: a fully pinned and hashed lock needs no constraints file`,
        "merge the pins into the requirements file",
      );
    case "index":
    case "extra-index":
      ctx.indexes.push(checkedUrl(expandEnv(value), where, opt));
      return;
    case "requirement":
      return include(value, where, file, chain, ctx);
  }
}

/**
 * `${NAME}` from the environment, as pip expands it, so that an index's token
 * can stay out of the file (`https://${INDEX_TOKEN}@host/simple`). Only index
 * URLs are expanded: a requirement's pin and hashes must be the file's own.
 */
function expandEnv(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => process.env[name] ?? whole);
}

async function include(
  target: string,
  where: string,
  file: string,
  chain: string[],
  ctx: Context,
): Promise<void> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target))
    throw lockInvalid(where, `-r ${target}: includes must be local files`, "copy the file next to the lock");
  const real = await realpath(resolve(dirname(file), target)).catch((err: unknown) => {
    throw lockInvalid(
      where,
      `-r ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  });
  const rel = relative(ctx.topDir, real);
  if (rel === ".." || rel.startsWith(`..${sep}`) || rel.startsWith(sep))
    throw lockInvalid(
      where,
      `-r ${target} leaves the lock's folder`,
      "keep included requirements files beside the lock or below it",
    );
  if (real === file || chain.includes(real))
    throw lockInvalid(where, `-r ${target} includes itself (a loop)`);
  await readFile(real, [...chain, file], ctx);
}

/** `text` with the user info of any URL in it dropped, for messages: a direct URL may carry a token. */
function shown(text: string): string {
  return text.replace(/:\/\/[^/@\s]*@/g, "://");
}

/** `name[extras] ==1.2 ; marker --hash=sha256:…`, or `name @ https://…/x.whl --hash=…`. */
function requirement(text: string, where: string, ctx: Context): void {
  const hashAt = text.search(/\s--hash[=\s]/);
  const req = (hashAt < 0 ? text : text.slice(0, hashAt)).trim();
  const rest = hashAt < 0 ? "" : text.slice(hashAt);
  const hashes: string[] = [];
  const others: string[] = [];
  const w = words(rest.trim()).filter((x) => x !== "");
  for (let i = 0; i < w.length; i++) {
    if (w[i] !== "--hash")
      throw lockInvalid(where, `unexpected ${JSON.stringify(shown(w[i] as string))} after the requirement`);
    const h = w[++i] ?? "";
    const m = /^([a-z0-9]+):(.*)$/.exec(h);
    if (!m) throw lockInvalid(where, `--hash ${JSON.stringify(h)} is not algorithm:digest`);
    if (m[1] === "sha256") {
      const hex = sha256Hex(m[2]);
      if (hex === undefined) throw lockInvalid(where, `--hash ${h} is not a SHA256 digest`);
      hashes.push(hex);
    } else others.push(m[1] as string);
  }
  const semi = req.indexOf(";");
  const spec = (semi < 0 ? req : req.slice(0, semi)).trim();
  const marker = semi < 0 ? undefined : req.slice(semi + 1).trim();
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$/.exec(spec);
  if (!m || !isValidName(m[1] as string))
    throw lockInvalid(where, `${JSON.stringify(shown(spec).slice(0, 80))} is not a requirement`);
  const name = normalizeName(m[1] as string);
  const constraint = (m[3] as string).trim();
  if (!evaluateMarker(marker, ctx.env)) return;
  if (hashes.length === 0)
    throw new CudasealError("PY_UNHASHED", `${where}: ${name} has no --hash=sha256:…`, {
      hint:
        others.length > 0
          ? `cudaseal checks SHA256; the line has ${others.join(", ")}`
          : "generate the file with hashes: pip-compile --generate-hashes or uv pip compile --generate-hashes",
    });
  let version: string;
  let url: string | undefined;
  const pin = /^(===|==)\s*([^\s,]+)$/.exec(constraint);
  const direct = /^@\s*(\S+)$/.exec(constraint);
  if (pin && !(pin[2] as string).endsWith(".*")) {
    version = pin[2] as string;
  } else if (direct && /\.whl$/i.test(filenameOfUrl(direct[1] as string) ?? "")) {
    url = checkedUrl(direct[1] as string, where, name);
    version = parseWheelName(filenameOfUrl(url) as string).version;
  } else {
    throw new CudasealError(
      "PY_UNPINNED",
      `${where}: ${name} ${shown(constraint) || "(no version)"} is not pinned to one version`,
      {
        hint: "pin it as name==version with its hashes (pip-compile --generate-hashes); a direct URL must name a wheel",
      },
    );
  }
  const locked: LockedPythonPackage = url
    ? {
        name,
        version,
        files: [{ filename: filenameOfUrl(url) as string, url, sha256: hashes[0] as string, kind: "wheel" }],
        hashes,
      }
    : { name, version, files: [], hashes };
  const before = ctx.packages.get(name);
  if (before !== undefined) {
    if (!versionsEqual(before.version, version) || before.files.length > 0 || locked.files.length > 0)
      throw lockInvalid(where, `${name} is pinned twice (${before.version} and ${version})`);
    // The same pin twice (say, in two included files): any of either's hashes will do, as pip takes it.
    before.hashes = [...new Set([...(before.hashes ?? []), ...hashes])];
    return;
  }
  ctx.packages.set(name, locked);
}
