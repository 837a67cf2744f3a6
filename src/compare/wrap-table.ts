// An aligned text table that fits a width: when the columns' natural widths
// add up to more, the widest columns give way first (the first column only
// after the others) and their cells wrap at spaces (a word longer than its
// column is cut after a `/`, `:` or `-` where it can be), so a list of
// shells or a long image reference makes rows taller, not the table wider.

import { printable } from "../util/printable.ts";

const GAP = 2;
/** No column is narrowed below this; a table of many columns may then still overflow. */
const MIN_COLUMN = 8;

/** `lines` (the first is the header) as text at most `width` characters wide where it can be. */
export function wrapTable(lines: readonly (readonly string[])[], width: number): string {
  if (lines.length === 0) return "";
  const clean = lines.map((l) => l.map(printable));
  const widths = clean[0].map((_, i) => Math.max(1, ...clean.map((l) => (l[i] ?? "").length)));
  const total = () => widths.reduce((n, w) => n + w, 0) + GAP * (widths.length - 1);
  // The first column (the labels, the package names) gives way last: a
  // wrapped name is harder to read than a wrapped value.
  for (const from of [1, 0]) {
    while (total() > width) {
      const rest = widths.slice(from);
      const widest = Math.max(...rest);
      if (widest <= MIN_COLUMN) break;
      widths[from + rest.indexOf(widest)]--;
    }
  }
  const out: string[] = [];
  for (const line of clean) {
    const cells = line.map((c, i) => wrapCell(c, widths[i]));
    const height = Math.max(...cells.map((c) => c.length));
    for (let row = 0; row < height; row++) {
      out.push(
        cells
          .map((c, i) => (c[row] ?? "").padEnd(widths[i]))
          .join(" ".repeat(GAP))
          .trimEnd(),
      );
    }
  }
  return out.join("\n");
}

/** `text` as lines of at most `width` characters, broken at spaces where possible. */
function wrapCell(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(" ")) {
    let rest = word;
    while (rest.length > width) {
      if (current !== "") {
        lines.push(current);
        current = "";
      }
      const cut = breakAt(rest, width);
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    if (current === "") current = rest;
    else if (current.length + 1 + rest.length <= width) current += ` ${rest}`;
    else {
      lines.push(current);
      current = rest;
    }
  }
  if (current !== "") lines.push(current);
  return lines;
}

/** Where to cut a word too long for `width`: after its last `/`, `:` or `-` that fits, else at `width`. */
function breakAt(word: string, width: number): number {
  const head = word.slice(0, width);
  const at = Math.max(head.lastIndexOf("/"), head.lastIndexOf(":"), head.lastIndexOf("-"));
  return at >= width / 2 ? at + 1 : width;
}
