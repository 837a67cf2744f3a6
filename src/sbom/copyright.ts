// Licences from Debian's machine-readable copyright files (DEP-5, "Format:
// https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"). The
// header paragraph and every Files paragraph carry a `License:` field whose
// first line is an expression of short names:
//
//   License: GPL-2+ or Artistic          → GPL-2.0-or-later OR Artistic-1.0-Perl
//   License: GPL-3+ with GCC-exception-3.1
//                                         → GPL-3.0-or-later WITH GCC-exception-3.1
//   License: MPL-2.0 or GPL-2+, and BSD-3-clause
//                                         → BSD-3-Clause AND (MPL-2.0 OR GPL-2.0-or-later)
//
// `and` binds tighter than `or`, and a comma before `and` closes the clause
// before it (the format's "License Specification"). The package's licence is
// every paragraph's expression joined by AND (each holds for some of its
// files), each conjunct once, sorted. Short names map to SPDX ids through
// debian-licenses.ts; what has no SPDX id becomes a LicenseRef-, whose text
// comes from the file's stand-alone License paragraph when it has one. A
// file in any other form says nothing a machine can read: the answer is
// undefined (NOASSERTION). Copyright files are package input, hence hostile:
// nothing here throws, and callers cap what they read (MAX_COPYRIGHT_BYTES).

import { licenseRef, spdxExceptionId, spdxLicenseId } from "./debian-licenses.ts";

/** The most of a copyright file read; a longer one is cut here, which loses only trailing paragraphs. */
export const MAX_COPYRIGHT_BYTES = 1024 * 1024;

/** Longest licence text kept for a LicenseRef. */
const MAX_REF_TEXT = 64 * 1024;

/** A licence SPDX does not list, as the copyright file names and words it. */
export interface LicenseRefInfo {
  /** `LicenseRef-…`, as used in the expression. */
  id: string;
  /** The short name the copyright file uses. */
  name: string;
  /** The licence's text from the file's stand-alone License paragraph, when it has one. */
  text?: string;
}

/** What a copyright file says of its package's licence. */
export interface CopyrightLicense {
  /** A valid SPDX licence expression. */
  expression: string;
  /** Every LicenseRef- the expression uses, sorted by id. */
  refs: LicenseRefInfo[];
}

const FORMAT =
  /^https?:\/\/(www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/?|dep\.debian\.net\/deps\/dep5\/?)/;

/** The licence a copyright file declares, or undefined when it is not machine-readable or names none. */
export function copyrightLicense(text: string): CopyrightLicense | undefined {
  const paragraphs = parseParagraphs(text.replace(/^\uFEFF/, ""));
  const header = paragraphs[0];
  if (!header || !FORMAT.test(header.get("format")?.split("\n")[0].trim() ?? "")) return undefined;
  const texts = new Map<string, string>();
  for (const p of paragraphs.slice(1)) {
    const license = p.get("license");
    if (p.has("files") || license === undefined) continue;
    const nl = license.indexOf("\n");
    const body = nl < 0 ? "" : license.slice(nl + 1);
    if (body.trim() !== "") texts.set(firstLine(license).toLowerCase(), unfold(body));
  }
  const refs = new Map<string, LicenseRefInfo>();
  // The top-level conjuncts of every paragraph, once each: AND is associative and idempotent.
  const parts = new Map<string, Node>();
  for (const p of paragraphs) {
    if (p !== header && !p.has("files")) continue;
    const license = p.get("license");
    if (license === undefined) continue;
    const node = parseExpression(firstLine(license), (name) => {
      const id = licenseRef(name);
      if (!refs.has(id)) {
        const text = texts.get(name.toLowerCase());
        refs.set(id, { id, name, ...(text ? { text: text.slice(0, MAX_REF_TEXT) } : {}) });
      }
      return id;
    });
    if (node === undefined) continue;
    for (const part of typeof node !== "string" && node.op === "AND" ? node.args : [node]) {
      parts.set(render(part), part);
    }
  }
  if (parts.size === 0) return undefined;
  // Sorted, so that reordering the paragraphs does not change the answer.
  const key = (node: Node) => render(node).replace(/[()]/g, "");
  const sorted = [...parts.values()].sort((a, b) => cmp(key(a), key(b)));
  const expression = render(sorted.length === 1 ? sorted[0] : { op: "AND", args: sorted });
  return { expression, refs: [...refs.values()].sort((a, b) => cmp(a.id, b.id)) };
}

type Node = string | { op: "AND" | "OR"; args: Node[] };

/**
 * One License line into a tree, or undefined for an empty one. Leaves are
 * SPDX ids, `ID WITH EXCEPTION`, or LicenseRefs made by `ref`.
 */
function parseExpression(line: string, ref: (name: string) => string): Node | undefined {
  // `, and` ends a clause; inside one, `or` separates alternatives of `and`-joined terms.
  const clauses: Node[] = [];
  for (const clause of line.split(/,\s*and\s+/i)) {
    const alternatives: Node[] = [];
    for (const alt of clause.split(/,?\s+or\s+/i)) {
      const terms: Node[] = [];
      for (const term of alt.split(/\s+and\s+|,/i)) {
        const id = leaf(term, ref);
        if (id !== undefined) terms.push(id);
      }
      const joined = join("AND", terms);
      if (joined !== undefined) alternatives.push(joined);
    }
    const joined = join("OR", alternatives);
    if (joined !== undefined) clauses.push(joined);
  }
  return join("AND", clauses);
}

function join(op: "AND" | "OR", args: Node[]): Node | undefined {
  return args.length === 0 ? undefined : args.length === 1 ? args[0] : { op, args };
}

/** One short name, with its `with … exception` if any. */
function leaf(term: string, ref: (name: string) => string): string | undefined {
  const text = term.trim().replace(/[()]/g, "").replace(/\s+/g, " ");
  if (text === "") return undefined;
  const m = /^(\S+) with (.+)$/i.exec(text);
  if (m) {
    const id = spdxLicenseId(m[1]);
    const exception = spdxExceptionId(m[2]);
    if (id !== undefined && exception !== undefined && !id.includes(" ")) return `${id} WITH ${exception}`;
    // SPDX 2.3 has no references for unlisted exceptions: the pair is one licence of its own.
    return ref(text);
  }
  return spdxLicenseId(text) ?? ref(text);
}

function render(node: Node, parent?: "AND" | "OR"): string {
  if (typeof node === "string") return node;
  const text = node.args.map((a) => render(a, node.op)).join(` ${node.op} `);
  // AND binds tighter than OR in SPDX too: only an OR inside an AND needs parentheses.
  return parent === "AND" && node.op === "OR" ? `(${text})` : text;
}

/** Deb822-style paragraphs, tolerant: field names lower-cased, continuation lines kept, comments and junk skipped. */
function parseParagraphs(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  let current: Map<string, string> | undefined;
  let field: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") {
      current = undefined;
      field = undefined;
      continue;
    }
    if (line.startsWith("#")) continue;
    if (/^[ \t]/.test(line)) {
      if (current && field !== undefined) current.set(field, `${current.get(field)}\n${line}`);
      continue;
    }
    const m = /^([^\s:]+)\s*:(.*)$/.exec(line);
    if (!m) {
      field = undefined;
      continue;
    }
    if (!current) {
      current = new Map();
      out.push(current);
    }
    field = m[1].toLowerCase();
    current.set(field, m[2].trim());
  }
  return out;
}

function firstLine(value: string): string {
  const nl = value.indexOf("\n");
  return (nl < 0 ? value : value.slice(0, nl)).trim();
}

/** A field's continuation lines as text: the leading space removed, ` .` lines made blank. */
function unfold(body: string): string {
  return body
    .split("\n")
    .map((l) => l.replace(/^[ \t]/, ""))
    .map((l) => (l.trim() === "." ? "" : l))
    .join("\n")
    .trim();
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
