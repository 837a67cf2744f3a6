// Relationship fields of binary packages (Depends, Pre-Depends, Recommends,
// Conflicts, Breaks, Provides), as deb-control(5) defines them:
//
//   Depends: libc6 (>= 2.34), libcuda1 (>= 550) | libcuda.so.1, python3:any
//
// Each relation is `name[:archqual] [(op version)] [[arch list]] [<profiles>…]`.
// Architecture lists and build profiles belong to source packages; a binary
// index should not carry them, but when one does they are evaluated (for the
// given architecture, with no build profile active) and the relation dropped
// when they exclude it, which is what the builder would have done.
// The legacy operators `<` and `>` mean `<=` and `>=`, as in dpkg.

import { CudasealError } from "../errors.ts";
import type { Alternatives, Relation } from "./types.ts";

export interface RelationOptions {
  /** Architecture for evaluating `[arch list]` restrictions; without it they keep the relation. */
  arch?: string;
  /** Names the field in error messages (`Depends of libfoo`). */
  field?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
const ARCH = /^[a-z0-9][a-z0-9-]*$/;

/** A Depends-style field: comma-separated groups of `|`-separated alternatives. */
export function parseDependsField(field: string | undefined, options: RelationOptions = {}): Alternatives[] {
  if (field === undefined) return [];
  const groups: Alternatives[] = [];
  for (const groupText of field.split(",")) {
    if (groupText.trim().length === 0) continue; // a trailing comma, as apt tolerates
    const group: Relation[] = [];
    for (const text of groupText.split("|")) {
      const relation = parseRestricted(text, options);
      if (relation) group.push(relation);
    }
    if (group.length > 0) groups.push(group);
  }
  return groups;
}

/** A field without alternatives (Conflicts, Breaks, Provides). */
export function parseRelationList(field: string | undefined, options: RelationOptions = {}): Relation[] {
  if (field === undefined) return [];
  const relations: Relation[] = [];
  for (const text of field.split(",")) {
    if (text.trim().length === 0) continue;
    if (text.includes("|"))
      fail(options, `alternatives are not allowed here: ${JSON.stringify(text.trim())}`);
    const relation = parseRestricted(text, options);
    if (relation) relations.push(relation);
  }
  return relations;
}

/** One relation without restrictions: `name[:arch] [(op version)]`. */
export function parseRelation(text: string, options: RelationOptions = {}): Relation {
  const relation = parseRestricted(text, { ...options, arch: undefined });
  if (!relation) fail(options, `empty relation`);
  return relation;
}

/** A relation as Debian writes it: `name:arch (op version)`. */
export function formatRelation(relation: Relation): string {
  const name = relation.archQualifier ? `${relation.name}:${relation.archQualifier}` : relation.name;
  return relation.op && relation.version !== undefined
    ? `${name} (${relation.op} ${relation.version})`
    : name;
}

/** Alternatives as Debian writes them: `a (>= 1) | b`. */
export function formatAlternatives(group: Alternatives): string {
  return group.map(formatRelation).join(" | ");
}

/** A Relation, or undefined when its restrictions exclude it; throws on bad syntax. */
function parseRestricted(raw: string, options: RelationOptions): Relation | undefined {
  const text = raw.trim();
  if (text.length === 0) fail(options, "empty relation");
  let i = 0;
  while (i < text.length && !isSpace(text[i]) && text[i] !== "(" && text[i] !== "[" && text[i] !== "<") i++;
  const head = text.slice(0, i);
  const colon = head.indexOf(":");
  const name = colon === -1 ? head : head.slice(0, colon);
  const archQualifier = colon === -1 ? undefined : head.slice(colon + 1);
  if (!NAME.test(name)) fail(options, `invalid package name in ${JSON.stringify(text)}`);
  if (archQualifier !== undefined && !ARCH.test(archQualifier)) {
    fail(options, `invalid architecture qualifier in ${JSON.stringify(text)}`);
  }
  const relation: Relation = { name };
  if (archQualifier !== undefined) relation.archQualifier = archQualifier;

  let archOk = true;
  let profileGroups = 0;
  let profileHeld = false;
  let seenVersion = false;
  let seenArches = false;
  i = skipSpace(text, i);
  while (i < text.length) {
    const open = text[i];
    const close = open === "(" ? ")" : open === "[" ? "]" : open === "<" ? ">" : undefined;
    if (close === undefined) fail(options, `unexpected ${JSON.stringify(open)} in ${JSON.stringify(text)}`);
    const end = text.indexOf(close, i + 1);
    if (end === -1) fail(options, `unclosed ${open} in ${JSON.stringify(text)}`);
    const inner = text.slice(i + 1, end).trim();
    if (open === "(") {
      // The version comes first, and only once.
      if (seenVersion || seenArches || profileGroups > 0)
        fail(options, `misplaced version in ${JSON.stringify(text)}`);
      seenVersion = true;
      const { op, version } = parseVersionClause(inner, text, options);
      relation.op = op;
      relation.version = version;
    } else if (open === "[") {
      if (seenArches || profileGroups > 0)
        fail(options, `misplaced architecture list in ${JSON.stringify(text)}`);
      seenArches = true;
      const matches = archListMatches(inner, options.arch ?? "", text, options);
      if (options.arch !== undefined) archOk = matches;
    } else {
      // Several <…> groups are alternatives: the relation holds when any does.
      profileGroups++;
      if (profileGroupHolds(inner, text, options)) profileHeld = true;
    }
    i = skipSpace(text, end + 1);
  }
  return archOk && (profileGroups === 0 || profileHeld) ? relation : undefined;
}

function parseVersionClause(
  inner: string,
  text: string,
  options: RelationOptions,
): Pick<Relation, "op" | "version"> {
  let j = 0;
  while (j < inner.length && (inner[j] === "<" || inner[j] === ">" || inner[j] === "=")) j++;
  const rawOp = inner.slice(0, j);
  const version = inner.slice(j).trim();
  if (version.length === 0 || /\s/.test(version)) fail(options, `invalid version in ${JSON.stringify(text)}`);
  const op = OPS[rawOp];
  if (op === undefined)
    fail(options, `invalid version operator ${JSON.stringify(rawOp)} in ${JSON.stringify(text)}`);
  return { op, version };
}

// dpkg reads `<` and `>` as `<=` and `>=`; a bare version means `=`.
const OPS: Record<string, Relation["op"]> = {
  "": "=",
  "=": "=",
  "<<": "<<",
  "<=": "<=",
  "<": "<=",
  ">=": ">=",
  ">>": ">>",
  ">": ">=",
};

/**
 * `[amd64 arm64]` keeps the relation on those architectures, `[!i386]` on all
 * others. Wildcards: `any`, `linux-any`, `any-<cpu>` (Debian's Linux
 * architectures are named after their CPU).
 */
function archListMatches(inner: string, arch: string, text: string, options: RelationOptions): boolean {
  const terms = inner.split(/\s+/).filter(Boolean);
  if (terms.length === 0) fail(options, `empty architecture list in ${JSON.stringify(text)}`);
  const negated = terms[0].startsWith("!");
  let found = false;
  for (const term of terms) {
    if (term.startsWith("!") !== negated) fail(options, `mixed architecture list in ${JSON.stringify(text)}`);
    const name = negated ? term.slice(1) : term;
    if (!ARCH.test(name))
      fail(options, `invalid architecture ${JSON.stringify(name)} in ${JSON.stringify(text)}`);
    if (archMatches(name, arch)) found = true;
  }
  return found !== negated;
}

function archMatches(pattern: string, arch: string): boolean {
  if (pattern === arch || pattern === "any") return true;
  const linux = !arch.includes("-");
  if (pattern === "linux-any") return linux;
  if (pattern === `any-${arch}` || pattern === `linux-${arch}`) return linux;
  return false;
}

/** `<!nocheck !nodoc>`: every term must hold; with no profile active only negated terms do. */
function profileGroupHolds(inner: string, text: string, options: RelationOptions): boolean {
  const terms = inner.split(/\s+/).filter(Boolean);
  if (terms.length === 0) fail(options, `empty build profile list in ${JSON.stringify(text)}`);
  return terms.every((term) => term.startsWith("!"));
}

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r";
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text[i])) i++;
  return i;
}

function fail(options: RelationOptions, message: string): never {
  const where = options.field ? `${options.field}: ` : "";
  throw new CudasealError("APT_RELEASE_INVALID", `${where}${message}`, { details: { field: options.field } });
}
