// deb822, the "Name: value" paragraph format of Packages, Release, dpkg
// status and *.sources files.
//
// Syntax as dpkg reads it:
//   - paragraphs are separated by one or more blank lines (a line holding
//     only spaces and tabs counts as blank);
//   - a field starts at column 0 with `Name:`; the value runs to the end of
//     the line, and on over every following line that starts with a space or
//     a tab (a continuation line);
//   - a continuation line of just ` .` stands for an empty line of the value;
//   - lines starting with `#` are comments.
//
// Values are decoded: the first line is trimmed, each continuation line loses
// its one leading space or tab and its trailing whitespace, ` .` becomes an
// empty line, and the lines are joined with "\n". A field whose value begins
// on the next line (Release's `SHA256:`) therefore has an empty first line.
// `formatParagraph` encodes the same way back, so a round trip keeps the text.
//
// The parser walks the text line by line with indexOf, never a regex per
// line or character: a full Packages index is around 100 MB.

import { CudasealError } from "../errors.ts";

/** One deb822 paragraph: fields in written order, looked up case-insensitively. */
export class Paragraph {
  /** Every field as written, in order. */
  readonly fields: [string, string][];

  /** Refuses two fields whose names differ only in case, as dpkg does. */
  constructor(fields: [string, string][]) {
    // No lookup map: a paragraph has a score of fields, and a Map for each of
    // the ~70k paragraphs of a Packages index costs more than a short scan.
    for (let i = 1; i < fields.length; i++) {
      if (indexOf(fields, fields[i][0], i) !== -1) {
        throw new CudasealError("APT_RELEASE_INVALID", `duplicate field ${fields[i][0]}`, {
          details: { field: fields[i][0] },
        });
      }
    }
    this.fields = fields;
  }

  /** The value of a field, whatever the case of `name`; undefined when absent. */
  get(name: string): string | undefined {
    const i = indexOf(this.fields, name, this.fields.length);
    return i === -1 ? undefined : this.fields[i][1];
  }

  has(name: string): boolean {
    return indexOf(this.fields, name, this.fields.length) !== -1;
  }

  /** The field name as written in the paragraph, or undefined when absent. */
  nameOf(name: string): string | undefined {
    const i = indexOf(this.fields, name, this.fields.length);
    return i === -1 ? undefined : this.fields[i][0];
  }

  get size(): number {
    return this.fields.length;
  }
}

/** Position of the field called `name` (any case) among the first `end` fields, or -1. */
function indexOf(fields: [string, string][], name: string, end: number): number {
  // Callers almost always spell names as the archive does, so try that first.
  for (let i = 0; i < end; i++) if (fields[i][0] === name) return i;
  let lower: string | undefined;
  for (let i = 0; i < end; i++) {
    const candidate = fields[i][0];
    if (candidate.length !== name.length) continue;
    lower ??= name.toLowerCase();
    if (candidate.toLowerCase() === lower) return i;
  }
  return -1;
}

export interface ParseDeb822Options {
  /** Names the text in error messages (a URL or file path). */
  source?: string;
}

/**
 * Every paragraph of a deb822 text. Malformed input (a line that is neither a
 * field, a continuation nor a comment; a continuation before any field; a
 * field name with forbidden characters; a duplicate field) is refused with
 * APT_RELEASE_INVALID, naming the line.
 */
export function parseDeb822(text: string, options: ParseDeb822Options = {}): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  let fields: [string, string][] = [];
  // The field being read: its name, first line, and continuation lines if any.
  let name: string | undefined;
  let value = "";
  let more: string[] | undefined;
  let startLine = 0;
  let lineNo = 0;

  const fail = (line: number, message: string, cause?: unknown): never => {
    const where = `${options.source ?? "deb822 text"}:${line}`;
    throw new CudasealError("APT_RELEASE_INVALID", `${where}: ${message}`, {
      cause,
      details: { source: options.source, line },
    });
  };
  const endField = () => {
    if (name === undefined) return;
    fields.push([name, more === undefined ? value : `${value}\n${more.join("\n")}`]);
    name = undefined;
    more = undefined;
  };
  const endParagraph = () => {
    endField();
    if (fields.length === 0) return;
    try {
      paragraphs.push(new Paragraph(fields));
    } catch (err) {
      fail(startLine, (err as Error).message, err);
    }
    fields = [];
  };

  const length = text.length;
  let pos = 0;
  // Skip a byte order mark, which some generated files carry.
  if (text.charCodeAt(0) === 0xfeff) pos = 1;
  while (pos < length) {
    let end = text.indexOf("\n", pos);
    if (end === -1) end = length;
    let lineEnd = end;
    if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13) lineEnd--; // CRLF
    const line = text.slice(pos, lineEnd);
    pos = end + 1;
    lineNo++;

    const first = line.charCodeAt(0);
    if (line.length === 0) {
      endParagraph();
    } else if (first === 32 || first === 9) {
      const content = line.trim();
      if (content.length === 0) {
        endParagraph();
      } else {
        if (name === undefined) fail(lineNo, "continuation line before any field");
        // One leading space or tab is the continuation marker; more is content.
        let decoded = line.slice(1).trimEnd();
        if (decoded === ".") decoded = "";
        if (more === undefined) more = [decoded];
        else more.push(decoded);
      }
    } else if (first === 35) {
      // `#` comment: ignored, and does not end the field being read.
    } else {
      endField();
      const colon = line.indexOf(":");
      if (colon <= 0)
        fail(lineNo, colon === 0 ? "empty field name" : `not a field: ${JSON.stringify(clip(line))}`);
      const fieldName = line.slice(0, colon);
      if (!isFieldName(fieldName)) fail(lineNo, `invalid field name ${JSON.stringify(clip(fieldName))}`);
      if (fields.length === 0) startLine = lineNo;
      name = fieldName;
      value = line.slice(colon + 1).trim();
    }
  }
  endParagraph();
  return paragraphs;
}

/**
 * One paragraph as deb822 text, each field on its line(s), ending with a
 * newline and no blank separator line (join paragraphs with "\n").
 */
export function formatParagraph(paragraph: Paragraph | readonly (readonly [string, string])[]): string {
  const fields = paragraph instanceof Paragraph ? paragraph.fields : paragraph;
  let out = "";
  for (const [fieldName, fieldValue] of fields) {
    if (!isFieldName(fieldName)) {
      throw new CudasealError(
        "INTERNAL",
        `cannot write invalid deb822 field name ${JSON.stringify(fieldName)}`,
      );
    }
    const lines = fieldValue.split("\n");
    const head = lines[0].trim();
    out += head.length > 0 ? `${fieldName}: ${head}\n` : `${fieldName}:\n`;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i].trimEnd();
      out += line.length === 0 ? " .\n" : ` ${line}\n`;
    }
  }
  return out;
}

/** Several paragraphs as one deb822 text, separated by blank lines. */
export function formatDeb822(
  paragraphs: readonly (Paragraph | readonly (readonly [string, string])[])[],
): string {
  return paragraphs.map((p) => formatParagraph(p)).join("\n");
}

/** dpkg's rule: printable ASCII without space or colon, not starting with `#` or `-`. */
function isFieldName(name: string): boolean {
  if (name.length === 0) return false;
  const first = name.charCodeAt(0);
  if (first === 35 || first === 45) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 58) return false;
  }
  return true;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
