// Rows as an aligned text table for people: columns padded to their widest
// cell and two spaces apart, the last column never padded so that a long
// message does not push the others apart or leave trailing spaces. Cells
// are made printable here, once, since most of them come from images.

import { printable } from "./printable.ts";

/** The header line and one line per row; every row has as many cells as `headers`. */
export function textTable(headers: readonly string[], dirty: readonly (readonly string[])[]): string {
  const rows = dirty.map((r) => r.map(printable));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}
