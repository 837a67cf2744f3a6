// PEP 440 versions and specifiers, exactly as pip's `packaging` reads them:
// epochs (`1!2.0`), pre-releases (`a`, `b`, `rc` and their spellings
// `alpha`, `preview`, `c`…), post-releases (`.post1`, `-1`, `rev`), dev
// releases and local labels (`+cu121`). Ordering follows packaging's key:
// release with trailing zeros ignored, `1.0.dev0 < 1.0a1 < 1.0 < 1.0+local <
// 1.0.post1`. Specifiers follow its rules too, including the subtle ones:
// `<1.0` excludes `1.0rc1`, `>1.0` excludes `1.0.post1` and `1.0+local`,
// `==1.0` matches `1.0+anything`, `~=2.2` is `>=2.2, ==2.*`, and pre-releases
// are excluded unless asked for or named by the specifier.
//
// Numbers are bigints: versions come from locks and advisories, and a
// hostile `1.99999999999999999999` must compare correctly, not round.

import { CudasealError } from "../errors.ts";

/** A parsed PEP 440 version. Numbers are bigints; letters are normalised (a, b, rc; post; dev). */
export interface Version {
  epoch: bigint;
  release: bigint[];
  pre?: { label: "a" | "b" | "rc"; n: bigint };
  post?: bigint;
  dev?: bigint;
  /** Local label parts, lower case, numbers as bigints (`+cu121.1` → ["cu121", 1n]). */
  local?: (string | bigint)[];
}

/** Longer than any real version: what is refused before the pattern runs. */
const MAX_VERSION_LENGTH = 256;

const VERSION_PATTERN =
  /^\s*v?(?:(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\.[0-9]+)*)(?<pre>[-_.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pre_n>[0-9]+)?)?(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>post|rev|r)[-_.]?(?<post_n2>[0-9]+)?))?(?<dev>[-_.]?(?<dev_l>dev)[-_.]?(?<dev_n>[0-9]+)?)?)(?:\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

/** The version `text` denotes, or undefined when it is not PEP 440. */
export function tryParseVersion(text: string): Version | undefined {
  if (text.length > MAX_VERSION_LENGTH) return undefined;
  const m = VERSION_PATTERN.exec(text);
  if (!m?.groups) return undefined;
  const g = m.groups;
  const version: Version = {
    epoch: g.epoch !== undefined ? BigInt(g.epoch) : 0n,
    release: (g.release as string).split(".").map((n) => BigInt(n)),
  };
  if (g.pre !== undefined) {
    const label = (g.pre_l as string).toLowerCase();
    const normal = label === "alpha" || label === "a" ? "a" : label === "beta" || label === "b" ? "b" : "rc";
    version.pre = { label: normal, n: BigInt(g.pre_n ?? "0") };
  }
  if (g.post !== undefined) version.post = BigInt(g.post_n1 ?? g.post_n2 ?? "0");
  if (g.dev !== undefined) version.dev = BigInt(g.dev_n ?? "0");
  if (g.local !== undefined)
    version.local = g.local
      .toLowerCase()
      .split(/[-_.]/)
      .map((part) => (/^[0-9]+$/.test(part) ? BigInt(part) : part));
  return version;
}

/** The version `text` denotes; PY_LOCK_INVALID when it is not PEP 440. */
export function parseVersion(text: string, what = "version"): Version {
  const version = tryParseVersion(text);
  if (version === undefined)
    throw new CudasealError(
      "PY_LOCK_INVALID",
      `${what} ${JSON.stringify(text.slice(0, 80))} is not a PEP 440 version`,
      {
        hint: "versions look like 1.2.3, 2.0rc1, 1!3.0.post2.dev1 or 2.5.1+cu121",
      },
    );
  return version;
}

/** The canonical spelling (`1.0-RC-1` → `1.0rc1`, `v2.0.0` → `2.0.0`); trailing zeros are kept. */
export function formatVersion(v: Version): string {
  let s = v.epoch !== 0n ? `${v.epoch}!` : "";
  s += v.release.join(".");
  if (v.pre) s += `${v.pre.label}${v.pre.n}`;
  if (v.post !== undefined) s += `.post${v.post}`;
  if (v.dev !== undefined) s += `.dev${v.dev}`;
  if (v.local) s += `+${v.local.join(".")}`;
  return s;
}

/** `text` in canonical spelling, or `text` itself when it is not PEP 440. */
export function normalizeVersion(text: string): string {
  const v = tryParseVersion(text);
  return v ? formatVersion(v) : text;
}

export function isPrerelease(v: Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

/** The version without its local label. */
export function publicVersion(v: Version): Version {
  const { local: _local, ...rest } = v;
  return rest;
}

/** Epoch and release alone (`1!2.0rc1.post3+x` → `1!2.0`). */
function baseVersion(v: Version): Version {
  return { epoch: v.epoch, release: v.release };
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRelease(a: bigint[], b: bigint[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = cmpBig(a[i] ?? 0n, b[i] ?? 0n);
    if (c !== 0) return c;
  }
  return 0;
}

const PRE_ORDER = { a: 0, b: 1, rc: 2 } as const;

/**
 * The pre-release rank: a dev release of the final (`1.0.dev0`, no pre, no
 * post) sorts before every pre-release, and a final after all of them.
 */
function preKey(v: Version): [number, bigint] {
  if (v.pre === undefined && v.post === undefined && v.dev !== undefined) return [-1, 0n];
  if (v.pre === undefined) return [3, 0n];
  return [PRE_ORDER[v.pre.label], v.pre.n];
}

function compareLocal(a: Version["local"], b: Version["local"]): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    // A number outranks a string; strings compare as text, numbers as numbers.
    if (typeof x === "bigint" && typeof y === "bigint") {
      const c = cmpBig(x, y);
      if (c !== 0) return c;
    } else if (typeof x === "bigint" || typeof y === "bigint") {
      return typeof x === "bigint" ? 1 : -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/** Negative, zero or positive as `a` sorts before, with or after `b` (PEP 440 order). */
export function compareParsed(a: Version, b: Version): number {
  let c = cmpBig(a.epoch, b.epoch);
  if (c !== 0) return c;
  c = compareRelease(a.release, b.release);
  if (c !== 0) return c;
  const pa = preKey(a);
  const pb = preKey(b);
  c = pa[0] - pb[0] || cmpBig(pa[1], pb[1]);
  if (c !== 0) return c;
  // No post-release sorts before any.
  if (a.post !== b.post) {
    if (a.post === undefined || b.post === undefined) return a.post === undefined ? -1 : 1;
    c = cmpBig(a.post, b.post);
    if (c !== 0) return c;
  }
  // No dev release sorts after any.
  if (a.dev !== b.dev) {
    if (a.dev === undefined || b.dev === undefined) return a.dev === undefined ? 1 : -1;
    c = cmpBig(a.dev, b.dev);
    if (c !== 0) return c;
  }
  return compareLocal(a.local, b.local);
}

/** Compare two version strings in PEP 440 order; PY_LOCK_INVALID if either is not PEP 440. */
export function compareVersions(a: string, b: string): number {
  return compareParsed(parseVersion(a), parseVersion(b));
}

/** PEP 440 equality: `1.0 == 1.0.0`, `1.0-rc.1 == 1.0rc1`; local labels count. */
export function versionsEqual(a: string, b: string): boolean {
  const x = tryParseVersion(a);
  const y = tryParseVersion(b);
  if (x === undefined || y === undefined) return a.trim().toLowerCase() === b.trim().toLowerCase();
  return compareParsed(x, y) === 0;
}

// --- specifiers ---------------------------------------------------------

export type SpecifierOperator = "~=" | "==" | "!=" | "<=" | ">=" | "<" | ">" | "===";

/** One clause of a specifier set (`>=1.2`, `==2.*`). */
export interface Specifier {
  operator: SpecifierOperator;
  /** The version as written (for `===`, the literal string). */
  version: string;
  /** `==1.2.*` / `!=1.2.*`. */
  wildcard: boolean;
}

const SPECIFIER_PATTERN = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,;]+)\s*$/;

/** One specifier clause, or undefined when it is not valid PEP 440. */
export function tryParseSpecifier(text: string): Specifier | undefined {
  if (text.length > MAX_VERSION_LENGTH + 4) return undefined;
  const m = SPECIFIER_PATTERN.exec(text);
  if (!m) return undefined;
  const operator = m[1] as SpecifierOperator;
  let version = m[2] as string;
  if (operator === "===") return { operator, version, wildcard: false };
  let wildcard = false;
  if (version.endsWith(".*")) {
    if (operator !== "==" && operator !== "!=") return undefined;
    wildcard = true;
    version = version.slice(0, -2);
  }
  const parsed = tryParseVersion(version);
  if (parsed === undefined) return undefined;
  if (wildcard && (parsed.local !== undefined || parsed.dev !== undefined)) return undefined;
  // Local labels only with == and != ; ~= needs two release parts.
  if (parsed.local !== undefined && operator !== "==" && operator !== "!=") return undefined;
  if (operator === "~=" && (parsed.release.length < 2 || parsed.local !== undefined)) return undefined;
  return { operator, version, wildcard };
}

/** A comma-separated specifier set (`>=1.0, <2, !=1.5.*`); empty text is the empty set (anything). */
export function parseSpecifiers(text: string, what = "version specifier"): Specifier[] {
  if (text.trim() === "") return [];
  return text.split(",").map((clause) => {
    const spec = tryParseSpecifier(clause);
    if (spec === undefined)
      throw new CudasealError(
        "PY_LOCK_INVALID",
        `${what} ${JSON.stringify(clause.trim().slice(0, 80))} is not a PEP 440 specifier`,
      );
    return spec;
  });
}

/** packaging's token list for prefix matching: epoch, release parts, then `rc1`, `post2`, `dev3`. */
function tokens(v: Version): string[] {
  const out = [String(v.epoch), ...v.release.map(String)];
  if (v.pre) out.push(`${v.pre.label}${v.pre.n}`);
  if (v.post !== undefined) out.push(`post${v.post}`);
  if (v.dev !== undefined) out.push(`dev${v.dev}`);
  return out;
}

/**
 * `==V.*`: the candidate's tokens (local label dropped), its release padded
 * with zeros to V's length, then cut to V's length, equal V's tokens. This is
 * packaging's rule, which is why `1.0.0rc1` is not `==1.0rc1.*`.
 */
function prefixMatch(candidate: Version, prefix: Version): boolean {
  const want = tokens(prefix);
  const padded: Version = {
    ...candidate,
    release:
      candidate.release.length >= prefix.release.length
        ? candidate.release
        : [
            ...candidate.release,
            ...new Array<bigint>(prefix.release.length - candidate.release.length).fill(0n),
          ],
  };
  const have = tokens(padded).slice(0, want.length);
  return have.length === want.length && have.every((t, i) => t === want[i]);
}

function versionOf(spec: Specifier): Version {
  return tryParseVersion(spec.version) as Version;
}

/** Whether `candidate` satisfies one clause, ignoring the pre-release policy. */
function clauseHolds(candidate: Version, spec: Specifier, raw: string): boolean {
  if (spec.operator === "===") return raw.trim().toLowerCase() === spec.version.toLowerCase();
  const v = versionOf(spec);
  switch (spec.operator) {
    case "==":
      if (spec.wildcard) return prefixMatch(publicVersion(candidate), v);
      // Without a local label in the spec, the candidate's is ignored.
      return compareParsed(v.local === undefined ? publicVersion(candidate) : candidate, v) === 0;
    case "!=":
      return !clauseHolds(candidate, { ...spec, operator: "==" }, raw);
    case "~=": {
      const prefix: Version = { epoch: v.epoch, release: v.release.slice(0, -1) };
      return compareParsed(publicVersion(candidate), v) >= 0 && prefixMatch(publicVersion(candidate), prefix);
    }
    case "<=":
      return compareParsed(publicVersion(candidate), v) <= 0;
    case ">=":
      return compareParsed(publicVersion(candidate), v) >= 0;
    case "<":
      if (compareParsed(candidate, v) >= 0) return false;
      // `<1.0` does not admit 1.0's own pre-releases unless it names one.
      return (
        isPrerelease(v) ||
        !isPrerelease(candidate) ||
        compareParsed(baseVersion(candidate), baseVersion(v)) !== 0
      );
    case ">":
      if (compareParsed(candidate, v) <= 0) return false;
      // `>1.0` does not admit 1.0's post-releases (unless it names one) or local builds.
      if (
        v.post === undefined &&
        candidate.post !== undefined &&
        compareParsed(baseVersion(candidate), baseVersion(v)) === 0
      )
        return false;
      return candidate.local === undefined || compareParsed(baseVersion(candidate), baseVersion(v)) !== 0;
  }
}

/** Whether a specifier set names a pre-release itself, which lets pre-releases match. */
function namesPrerelease(specs: Specifier[]): boolean {
  return specs.some((s) => {
    if (s.operator === "!=") return false;
    const v = tryParseVersion(s.version);
    return v !== undefined && isPrerelease(v);
  });
}

export interface ContainsOptions {
  /** Admit pre-releases: true, false, or (unset) only when the set names one, as packaging does. */
  prereleases?: boolean;
}

/** Whether `version` satisfies every clause of `specs` (PEP 440 rules, packaging's pre-release policy). */
export function satisfies(
  version: string | Version,
  specs: Specifier[],
  options: ContainsOptions = {},
): boolean {
  const raw = typeof version === "string" ? version : formatVersion(version);
  const candidate = typeof version === "string" ? tryParseVersion(version) : version;
  if (candidate === undefined) {
    // Only `===` can match a string that is not a version.
    return (
      specs.length > 0 &&
      specs.every((s) => s.operator === "===" && clauseHolds({ epoch: 0n, release: [] }, s, raw))
    );
  }
  const prereleases = options.prereleases ?? namesPrerelease(specs);
  if (!prereleases && isPrerelease(candidate)) return false;
  return specs.every((s) => clauseHolds(candidate, s, raw));
}

/** The canonical text of a specifier set, for messages. */
export function formatSpecifiers(specs: Specifier[]): string {
  return specs.map((s) => `${s.operator}${s.version}${s.wildcard ? ".*" : ""}`).join(", ");
}
