// Loads a YAML spec, checks it against the published JSON Schema, and
// follows `include`. A mistake is reported with the file, the line and the
// field, and says what the schema allows there.

import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { CudasealError, type ErrorCode } from "../errors.ts";
import { ociDirectory } from "../source/oci-dir-source.ts";
import { readRegularFileSync } from "../util/read-regular-file.ts";
import type { LoadedSpec, Spec } from "./types.ts";

const SCHEMA_PATH = fileURLToPath(new URL("../../schema/spec.schema.json", import.meta.url));
const PRESET_DIR = fileURLToPath(new URL("../../presets/", import.meta.url));
/** Largest spec file read; the provenance of a build quotes its specs under the same cap. */
export const MAX_SPEC_BYTES = 4 * 1024 * 1024;
const MAX_INCLUDE_DEPTH = 16;

/**
 * A check of documents against one of the schemas cudaseal ships, compiled
 * on its first use (most commands never load a spec or a catalog).
 */
export function shippedSchema(path: string): (value: unknown) => ErrorObject[] {
  let validator: ReturnType<Ajv["compile"]> | undefined;
  return (value) => {
    // The schema ships with cudaseal: it is read as it is.
    validator ??= new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(path, "utf8")));
    return validator(value) ? [] : (validator.errors ?? []);
  };
}

const validate = shippedSchema(SCHEMA_PATH);

/** The path of a shipped preset's spec file. */
export function presetPath(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new CudasealError("SPEC_INVALID", `not a preset name: ${name}`, { hint: "run 'cudaseal presets'" });
  }
  return resolve(PRESET_DIR, `${name}.yaml`);
}

/** Load a spec file (or `preset:NAME`), with its includes merged in. */
export function loadSpec(pathOrPreset: string): LoadedSpec {
  const files: string[] = [];
  const spec = loadOne(toPath(pathOrPreset, process.cwd()), files, 0);
  return { spec, files };
}

function toPath(ref: string, base: string): string {
  if (ref.startsWith("preset:")) return presetPath(ref.slice("preset:".length));
  return isAbsolute(ref) ? ref : resolve(base, ref);
}

function loadOne(file: string, files: string[], depth: number): Spec {
  if (depth > MAX_INCLUDE_DEPTH || files.includes(file)) {
    throw new CudasealError(
      "SPEC_INVALID",
      `${file}: include cycle or nesting deeper than ${MAX_INCLUDE_DEPTH}`,
      {
        hint: `the include chain is ${[...files, file].join(" -> ")}`,
      },
    );
  }
  files.push(file);
  let text: string;
  try {
    text = readRegularFileSync(file, { what: "spec", max: MAX_SPEC_BYTES }).toString("utf8");
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("SPEC_INVALID", `cannot read spec ${file}`, {
      hint: "check the path; 'cudaseal presets' lists the built-in specs",
      cause: err,
    });
  }
  const spec = parseSpecText(text, file);
  const dir = dirname(file);
  absolutize(spec, dir);
  const includes =
    spec.include === undefined ? [] : Array.isArray(spec.include) ? spec.include : [spec.include];
  delete spec.include;
  let merged: Spec = {};
  for (const inc of includes) merged = mergeSpecs(merged, loadOne(toPath(inc, dir), files, depth + 1));
  return mergeSpecs(merged, spec);
}

/** Parse and validate one spec document; errors name file:line and the field. */
export function parseSpecText(text: string, file: string): Spec {
  const { doc, lineCounter } = parseYamlDocument(text, file, "SPEC_INVALID", "the spec must be valid YAML");
  const value = doc.toJS() ?? {};
  const errors = validate(value);
  if (errors.length > 0) {
    const messages = errors
      .filter((e) => e.keyword !== "oneOf" || errors.length === 1)
      .slice(0, 5)
      .map((e) => describeSchemaError(e, doc, lineCounter, file));
    throw new CudasealError("SPEC_INVALID", messages.join("\n  "), {
      hint: "the JSON Schema in schema/spec.schema.json lists every field and what it allows",
      details: { file, errors: errors.map((e) => ({ path: e.instancePath, message: e.message })) },
    });
  }
  return value as Spec;
}

/** The YAML document of `text` with its line counter; `code` naming file:line for the first syntax error. */
export function parseYamlDocument(
  text: string,
  file: string,
  code: ErrorCode,
  hint: string,
): { doc: ReturnType<typeof parseDocument>; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = lineCounter.linePos(e.pos[0]).line;
    throw new CudasealError(code, `${file}:${line}: ${e.message.split("\n")[0]}`, {
      hint,
      details: { file, line },
    });
  }
  return { doc, lineCounter };
}

/** One schema error as `file:line: field: what`, the line the closest the document has; the catalog's too. */
export function describeSchemaError(
  e: ErrorObject,
  doc: ReturnType<typeof parseDocument>,
  lc: LineCounter,
  file: string,
): string {
  const segments = e.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  // Walk down as far as the document goes, to point at the closest line.
  let node: unknown = doc.contents;
  let line = 1;
  for (const seg of ["", ...segments]) {
    if (seg !== "") {
      if (isMap(node)) node = node.get(seg, true);
      else if (isSeq(node)) node = node.get(Number(seg), true);
      else break;
    }
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) line = lc.linePos(range[0]).line;
  }
  const field = segments.length ? segments.join(".") : "(top level)";
  let what = e.message ?? "is invalid";
  if (e.keyword === "additionalProperties") {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return `${file}:${lineOfKey(doc, lc, segments, extra) ?? line}: ${field === "(top level)" ? "" : `${field}: `}unknown field '${extra}'`;
  }
  if (e.keyword === "enum")
    what = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`;
  if (e.keyword === "pattern") what = `must match ${(e.params as { pattern: string }).pattern}`;
  return `${file}:${line}: ${field}: ${what}`;
}

function lineOfKey(
  doc: ReturnType<typeof parseDocument>,
  lc: LineCounter,
  segments: string[],
  key: string,
): number | undefined {
  let node: unknown = doc.contents;
  for (const seg of segments) {
    if (isMap(node)) node = node.get(seg, true);
    else if (isSeq(node)) node = node.get(Number(seg), true);
  }
  if (!isMap(node)) return undefined;
  const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === key);
  const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
  return range ? lc.linePos(range[0]).line : undefined;
}

/** Paths in a spec are relative to the spec's own file. */
function absolutize(spec: Spec, dir: string): void {
  for (const c of spec.contents ?? []) {
    if (c.source) c.source = resolve(dir, c.source);
    if (c.tarball) c.tarball = resolve(dir, c.tarball);
    // An OCI layout's directory too; other transports are left as written.
    const layout = c.image === undefined ? undefined : ociDirectory.parse(c.image);
    if (layout !== undefined) c.image = ociDirectory.format({ ...layout, dir: resolve(dir, layout.dir) });
  }
  for (const s of spec.sources ?? []) {
    if (typeof s !== "string" && Array.isArray(s.keyring)) s.keyring = s.keyring.map((k) => resolve(dir, k));
  }
  if (spec.python) {
    spec.python.lock = resolve(dir, spec.python.lock);
    if (spec.python.project !== undefined) spec.python.project = resolve(dir, spec.python.project);
  }
}

/**
 * How an including spec's list combines with the included one's. `append`
 * adds the spec's items after the include's (repeats dropped): a spec builds
 * on a preset's packages, files and globs. `replace` takes the spec's list
 * whole: the field states one choice (which platforms, which command), so a
 * spec that names it means exactly that. schema/spec.schema.json states each
 * rule in the field's description.
 */
export const LIST_MERGE: Readonly<Record<string, "append" | "replace">> = {
  sources: "append",
  archs: "replace",
  packages: "append",
  provided: "append",
  entrypoint: "replace",
  cmd: "replace",
  contents: "append",
  paths: "append",
  excludes: "append",
  keep: "append",
  trimRoots: "append",
};

/**
 * Objects whose fields merge one by one; the list inside is appended
 * (`allow.unresolved`: a spec adds waivers to its preset's). Other objects
 * merge shallowly, so a list inside them (python's groups and extras,
 * accounts' users and groups) is replaced: it belongs with its siblings.
 */
const NESTED_APPEND: Readonly<Record<string, readonly string[]>> = { allow: ["unresolved"] };

/** `top` extends `base`: lists follow LIST_MERGE, maps merge, scalars override. */
export function mergeSpecs(base: Spec, top: Spec): Spec {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const prev = out[key];
    if (Array.isArray(prev) && Array.isArray(value)) {
      out[key] = LIST_MERGE[key] === "replace" ? value : appendUnique(prev, value);
    } else if (isPlainObject(prev) && isPlainObject(value)) {
      out[key] = mergeObject(prev, value, NESTED_APPEND[key] ?? []);
    } else {
      out[key] = value;
    }
  }
  return out as Spec;
}

function mergeObject(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  appended: readonly string[],
): Record<string, unknown> {
  const out = { ...a, ...b };
  for (const key of appended) {
    const prev = a[key];
    const value = b[key];
    if (Array.isArray(prev) && Array.isArray(value)) out[key] = appendUnique(prev, value);
  }
  return out;
}

function appendUnique(a: unknown[], b: unknown[]): unknown[] {
  const seen = new Set(a.map((x) => JSON.stringify(x)));
  return [...a, ...b.filter((x) => !seen.has(JSON.stringify(x)))];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
