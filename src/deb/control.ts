// The control.tar of a .deb: the control record, md5sums, conffiles and the
// maintainer scripts and metadata files, kept as text. cudaseal never runs a
// maintainer script; it reads some of them (postinst's alternatives) as data.
// Every file is capped, and so is their sum, before any byte is buffered.

import { CudasealError, isCudasealError } from "../errors.ts";
import { readTar } from "../tar/reader.ts";
import { type Paragraph, parseDeb822 } from "./deb822.ts";

/** The control.tar files kept besides control, md5sums and conffiles. */
export const CONTROL_SCRIPTS = [
  "preinst",
  "postinst",
  "prerm",
  "postrm",
  "config",
  "triggers",
  "shlibs",
  "symbols",
  "templates",
] as const;
export type ControlScript = (typeof CONTROL_SCRIPTS)[number];

/** What a package says about itself. */
export interface DebControl {
  /** The control file as shipped. */
  raw: string;
  /** Its one paragraph, parsed. */
  fields: Paragraph;
  package: string;
  version: string;
  architecture: string;
  /** `<md5>  <path>` lines, paths relative to the root as the package wrote them. */
  md5sums?: string;
  conffiles?: string;
  /** Maintainer scripts and metadata files present in the package. */
  scripts: Partial<Record<ControlScript, string>>;
}

export interface ReadControlOptions {
  /** Named in errors: the package. */
  origin: string;
  /** Largest single file, bytes. */
  maxFileSize?: number;
  /** Largest sum of the files kept, bytes. */
  maxTotalSize?: number;
}

const KEPT = new Set<string>(["control", "md5sums", "conffiles", ...CONTROL_SCRIPTS]);
const DEFAULT_MAX_FILE = 32 * 1024 * 1024;
const DEFAULT_MAX_TOTAL = 64 * 1024 * 1024;
// Debian policy §5.6.1 and §5.6.12, and dpkg's architecture names.
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const VERSION = /^[A-Za-z0-9.+~:-]+$/;
const ARCHITECTURE = /^[a-z0-9-]+$/;

/** Read the (decompressed) control.tar in `tar`. */
export async function readControl(
  tar: AsyncIterable<Uint8Array>,
  options: ReadControlOptions,
): Promise<DebControl> {
  const origin = options.origin;
  const maxFile = options.maxFileSize ?? DEFAULT_MAX_FILE;
  const maxTotal = options.maxTotalSize ?? DEFAULT_MAX_TOTAL;
  const files = new Map<string, string>();
  let total = 0;
  for await (const entry of readTar(tar, {
    origin,
    package: origin,
    maxEntrySize: maxFile,
    maxEntries: 10_000,
  })) {
    if (!KEPT.has(entry.path)) {
      await entry.skip();
      continue;
    }
    if (entry.type !== "file") {
      throw invalid(origin, `control.tar's ${entry.path} is a ${entry.type}, not a file`);
    }
    if (files.has(entry.path)) throw invalid(origin, `control.tar holds ${entry.path} twice`);
    total += entry.size;
    if (total > maxTotal) throw invalid(origin, `control.tar's files add up to over ${maxTotal} bytes`);
    const chunks: Buffer[] = [];
    for await (const c of entry.body) chunks.push(c);
    files.set(entry.path, Buffer.concat(chunks, entry.size).toString("utf8"));
  }
  const raw = files.get("control");
  if (raw === undefined) throw invalid(origin, "control.tar has no control file");
  const scripts: Partial<Record<ControlScript, string>> = {};
  for (const name of CONTROL_SCRIPTS) {
    const text = files.get(name);
    if (text !== undefined) scripts[name] = text;
  }
  return {
    raw,
    ...parseControl(raw, origin),
    md5sums: files.get("md5sums"),
    conffiles: files.get("conffiles"),
    scripts,
  };
}

/** The one paragraph of a control file, with the three fields every package must have, checked. */
export function parseControl(
  raw: string,
  origin: string,
): { fields: Paragraph; package: string; version: string; architecture: string } {
  let paragraphs: Paragraph[];
  try {
    paragraphs = parseDeb822(raw, { source: `${origin} control` });
  } catch (err) {
    if (!isCudasealError(err)) throw err;
    throw invalid(origin, `the control file is malformed: ${err.message}`, err);
  }
  if (paragraphs.length !== 1) {
    throw invalid(origin, `the control file holds ${paragraphs.length} paragraphs, not one`);
  }
  const fields = paragraphs[0];
  const need = (name: string, pattern: RegExp): string => {
    const value = fields.get(name);
    if (value === undefined || !pattern.test(value)) {
      throw invalid(
        origin,
        `the control file's ${name} is ${value === undefined ? "missing" : `malformed: ${JSON.stringify(value)}`}`,
      );
    }
    return value;
  };
  return {
    fields,
    package: need("Package", PACKAGE_NAME),
    version: need("Version", VERSION),
    architecture: need("Architecture", ARCHITECTURE),
  };
}

function invalid(origin: string, message: string, cause?: unknown): CudasealError {
  return new CudasealError("DEB_INVALID", `${origin}: ${message}`, {
    hint: "the package is malformed; rebuild it or report it to its maintainer",
    cause,
    details: { package: origin },
  });
}
