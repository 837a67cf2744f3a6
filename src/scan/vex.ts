// OpenVEX documents (spec v0.2.0): statements that a vulnerability does or
// does not affect a product. A product is the image, named by its digest
// purl (`pkg:oci/NAME@sha256%3A…`) or a `sha-256` hash, optionally narrowed
// to `subcomponents` (package purls); or a package purl (`pkg:deb/debian/
// libc6@…`, `pkg:pypi/torch@2.5.1`) on its own. A statement with no products speaks for any image.
// When several statements speak to one finding, the newest (statement, else
// document timestamp; later input on a tie) wins, as the spec says.
//
// Documents are hostile input and validated field by field: VEX_INVALID with
// the file and the statement's index.

import { CudasealError } from "../errors.ts";
import { normalizeName, versionsEqual } from "../python/index.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import type { Finding } from "./advisory.ts";

export const VEX_STATUSES = ["not_affected", "affected", "fixed", "under_investigation"] as const;
export type VexStatus = (typeof VEX_STATUSES)[number];

/** The justifications the spec allows for not_affected. */
export const VEX_JUSTIFICATIONS = [
  "component_not_present",
  "vulnerable_code_not_present",
  "vulnerable_code_not_in_execute_path",
  "vulnerable_code_cannot_be_controlled_by_adversary",
  "inline_mitigations_already_exist",
] as const;

/** A product a statement names: the image (by digest) or one package. */
export type VexProduct =
  | { kind: "image"; digest: string; subcomponents: PackageRef[] }
  | { kind: "package"; ref: PackageRef }
  | { kind: "other"; id: string };

/** A package a purl names; version absent means any. */
export interface PackageRef {
  /** `PyPI` for a `pkg:pypi/` purl, its name in PEP 503 form; absent for `pkg:deb/`. */
  ecosystem?: "PyPI";
  name: string;
  version?: string;
}

/** One statement, validated and flattened. */
export interface VexStatement {
  /** The vulnerability's name and aliases. */
  ids: string[];
  /** Empty: any product. */
  products: VexProduct[];
  status: VexStatus;
  justification?: string;
  impactStatement?: string;
  /** Milliseconds since the epoch: the statement's, else the document's timestamp. */
  time: number;
  /** The file it came from, and its index there. */
  file: string;
  index: number;
}

const MAX_VEX_BYTES = 64 * 1024 * 1024;

/** The statements of the OpenVEX document at `path`. */
export async function loadVex(path: string): Promise<VexStatement[]> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(path, { what: "VEX document", max: MAX_VEX_BYTES });
  } catch (cause) {
    if (cause instanceof CudasealError) throw cause;
    throw new CudasealError("VEX_INVALID", `cannot read the VEX document ${path}`, { cause });
  }
  const text = bytes.toString("utf8");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new CudasealError("VEX_INVALID", `${path} is not JSON`, {
      cause,
      hint: "pass an OpenVEX JSON document (vexctl writes them)",
    });
  }
  return parseVex(data, path);
}

/** The statements of a parsed OpenVEX document; `file` names it in errors. */
export function parseVex(data: unknown, file: string): VexStatement[] {
  const bad = (where: string, why: string) =>
    new CudasealError("VEX_INVALID", `${file}: ${where}: ${why}`, {
      hint: "see the OpenVEX specification, v0.2.0",
      details: { file, where },
    });
  if (!isObject(data)) throw bad("document", "not a JSON object");
  const context = data["@context"];
  if (typeof context !== "string" || !context.startsWith("https://openvex.dev/ns"))
    throw bad("@context", "not an OpenVEX context (https://openvex.dev/ns/v0.2.0)");
  for (const key of ["@id", "author"]) {
    if (typeof data[key] !== "string" || data[key] === "") throw bad(key, "missing or not a string");
  }
  if (!Number.isInteger(data.version)) throw bad("version", "missing or not an integer");
  const docTime = timeOf(data.timestamp);
  if (docTime === undefined) throw bad("timestamp", "missing or not a date-time");
  if (!Array.isArray(data.statements)) throw bad("statements", "missing or not an array");
  return data.statements.map((s, index) => statementOf(s, index, docTime, file, bad));
}

function statementOf(
  s: unknown,
  index: number,
  docTime: number,
  file: string,
  bad: (where: string, why: string) => CudasealError,
): VexStatement {
  const where = `statements[${index}]`;
  if (!isObject(s)) throw bad(where, "not an object");
  const v = s.vulnerability;
  if (!isObject(v) || typeof v.name !== "string" || v.name === "")
    throw bad(`${where}.vulnerability`, "needs a name");
  if (v.aliases !== undefined && !isStringArray(v.aliases))
    throw bad(`${where}.vulnerability.aliases`, "not a list of strings");
  const status = s.status;
  if (typeof status !== "string" || !(VEX_STATUSES as readonly string[]).includes(status))
    throw bad(`${where}.status`, `must be one of ${VEX_STATUSES.join(", ")}`);
  const justification = optionalString(s.justification, `${where}.justification`, bad);
  const impactStatement = optionalString(s.impact_statement, `${where}.impact_statement`, bad);
  if (justification !== undefined && !(VEX_JUSTIFICATIONS as readonly string[]).includes(justification))
    throw bad(`${where}.justification`, `must be one of ${VEX_JUSTIFICATIONS.join(", ")}`);
  if (status === "not_affected" && justification === undefined && impactStatement === undefined)
    throw bad(where, "not_affected needs a justification or an impact_statement");
  let time = docTime;
  if (s.timestamp !== undefined) {
    const t = timeOf(s.timestamp);
    if (t === undefined) throw bad(`${where}.timestamp`, "not a date-time");
    time = t;
  }
  if (s.products !== undefined && !Array.isArray(s.products)) throw bad(`${where}.products`, "not a list");
  const products = ((s.products as unknown[] | undefined) ?? []).map((p, i) =>
    productOf(p, `${where}.products[${i}]`, bad),
  );
  return {
    ids: [v.name, ...((v.aliases as string[] | undefined) ?? [])],
    products,
    status: status as VexStatus,
    justification,
    impactStatement,
    time,
    file,
    index,
  };
}

function productOf(
  p: unknown,
  where: string,
  bad: (where: string, why: string) => CudasealError,
): VexProduct {
  if (!isObject(p)) throw bad(where, "not an object");
  const ids = identifiersOf(p, where, bad);
  const digest = ids.map(ociDigest).find((d) => d !== undefined) ?? hashDigest(p.hashes);
  if (digest !== undefined) {
    if (p.subcomponents !== undefined && !Array.isArray(p.subcomponents))
      throw bad(`${where}.subcomponents`, "not a list");
    const subcomponents = ((p.subcomponents as unknown[] | undefined) ?? []).map((c, i) => {
      const at = `${where}.subcomponents[${i}]`;
      if (!isObject(c)) throw bad(at, "not an object");
      const ref = identifiersOf(c, at, bad)
        .map(packageRef)
        .find((r) => r !== undefined);
      if (ref === undefined) throw bad(at, "names no package purl (pkg:deb/… or pkg:pypi/…)");
      return ref;
    });
    return { kind: "image", digest, subcomponents };
  }
  const ref = ids.map(packageRef).find((r) => r !== undefined);
  if (ref !== undefined) return { kind: "package", ref };
  if (ids.length === 0) throw bad(where, "needs an @id or identifiers");
  return { kind: "other", id: ids[0] };
}

/** The product's @id and identifiers.purl, whichever are present. */
function identifiersOf(
  p: Record<string, unknown>,
  where: string,
  bad: (where: string, why: string) => CudasealError,
): string[] {
  const out: string[] = [];
  if (p["@id"] !== undefined) {
    if (typeof p["@id"] !== "string") throw bad(`${where}.@id`, "not a string");
    out.push(p["@id"]);
  }
  if (p.identifiers !== undefined) {
    if (!isObject(p.identifiers)) throw bad(`${where}.identifiers`, "not an object");
    if (typeof p.identifiers.purl === "string") out.push(p.identifiers.purl);
  }
  return out;
}

/** `sha256:<hex>` from an OCI purl's version (`pkg:oci/name@sha256%3A<hex>?…`). */
function ociDigest(purl: string): string | undefined {
  const m = /^pkg:oci\/[^@?#]+@([^?#]+)/.exec(purl);
  if (!m) return undefined;
  let version: string;
  try {
    version = decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
  return /^sha256:[0-9a-f]{64}$/.test(version) ? version : undefined;
}

function hashDigest(hashes: unknown): string | undefined {
  if (!isObject(hashes)) return undefined;
  const hex = hashes["sha-256"];
  return typeof hex === "string" && /^[0-9a-f]{64}$/.test(hex) ? `sha256:${hex}` : undefined;
}

/**
 * The name and version of a Debian package purl
 * (`pkg:deb/debian/libc6@2.36-9?arch=amd64`) or a Python one
 * (`pkg:pypi/torch@2.5.1`).
 */
function packageRef(purl: string): PackageRef | undefined {
  const m =
    /^pkg:deb\/[^/?#@]+\/([^/?#@]+)(?:@([^?#]+))?/.exec(purl) ??
    /^pkg:pypi\/([^/?#@]+)(?:@([^?#]+))?/.exec(purl);
  if (!m) return undefined;
  try {
    const name = decodeURIComponent(m[1]);
    const version = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    return purl.startsWith("pkg:pypi/")
      ? { ecosystem: "PyPI", name: normalizeName(name), version }
      : { name, version };
  } catch {
    return undefined;
  }
}

/**
 * The statement that decides `finding` in the image known by `digest`: the
 * newest that speaks to it. An image has more than one digest when it came
 * from an index (the platform manifest's and the index's): a product naming
 * any of them names the image.
 */
export function vexVerdict(
  statements: readonly VexStatement[],
  finding: Finding,
  digest: string | readonly string[] | undefined,
): VexStatement | undefined {
  const digests: readonly string[] =
    digest === undefined ? [] : typeof digest === "string" ? [digest] : digest;
  let best: VexStatement | undefined;
  for (const s of statements) {
    if (!s.ids.includes(finding.id)) continue;
    if (s.products.length > 0 && !s.products.some((p) => productCovers(p, finding, digests))) continue;
    if (best === undefined || s.time >= best.time) best = s;
  }
  return best;
}

function productCovers(p: VexProduct, f: Finding, digests: readonly string[]): boolean {
  if (p.kind === "package") return packageCovers(p.ref, f);
  if (p.kind === "image") {
    return (
      digests.includes(p.digest) &&
      (p.subcomponents.length === 0 || p.subcomponents.some((r) => packageCovers(r, f)))
    );
  }
  return false;
}

/**
 * A Debian purl names the binary package or its source, a PyPI purl the
 * distribution (PEP 503 names, PEP 440 versions); a version, when given,
 * must be the installed one.
 */
function packageCovers(ref: PackageRef, f: Finding): boolean {
  if (ref.ecosystem !== f.ecosystem) return false;
  if (ref.ecosystem === "PyPI")
    return ref.name === f.source && (ref.version === undefined || versionsEqual(ref.version, f.installed));
  return (
    (ref.name === f.package || ref.name === f.source) &&
    (ref.version === undefined || ref.version === f.installed)
  );
}

function timeOf(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

function optionalString(
  v: unknown,
  where: string,
  bad: (where: string, why: string) => CudasealError,
): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v === "") throw bad(where, "not a non-empty string");
  return v;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
