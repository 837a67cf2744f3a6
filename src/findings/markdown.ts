// Markdown for a pull-request comment or a CI job summary, shared by the
// scan, audit and compare summaries. Everything in a cell comes from an image
// or a feed, so from whoever made them: a `|` would split the table, a `<`
// open raw HTML, a backtick a code span, `[…](…)` a link and a newline end the
// table. Text is escaped, never trusted: `& < >` become entities, the
// punctuation Markdown acts on (`\ ` * _ [ ] | ~ #`) gets a backslash. With
// `[` and `]` escaped no link or image can form, so `( ) !` stay as they are. GitHub refuses a comment of 65,536
// characters or more, so every summary is built against a character budget:
// a table stops while it still fits and says how many rows it left out.

/** How a summary is laid out and how long it may be. */
export interface MarkdownOptions {
  /** The most characters (UTF-16 code units) the summary may have; 65,000 by default. */
  maxLength?: number;
  /** The level of the summary's own heading (`##` is 2, the default); its sections go one deeper. */
  headingLevel?: number;
  /** The most rows of the findings table; 50 by default. */
  maxRows?: number;
}

/** GitHub's limit on a comment's body; a summary must stay strictly under it. */
export const MARKDOWN_LIMIT = 65_536;
export const DEFAULT_MARKDOWN_LENGTH = 65_000;
export const DEFAULT_MARKDOWN_ROWS = 50;
/** Longest text kept in one cell: one hostile advisory cannot spend the budget alone. */
const MAX_CELL = 160;

/** `options` with its defaults, the length held under GitHub's limit. */
export function markdownLimits(options: MarkdownOptions = {}): Required<MarkdownOptions> {
  const maxLength = Math.min(options.maxLength ?? DEFAULT_MARKDOWN_LENGTH, MARKDOWN_LIMIT - 1);
  const headingLevel = Math.min(Math.max(Math.trunc(options.headingLevel ?? 2), 1), 5);
  const maxRows = Math.max(Math.trunc(options.maxRows ?? DEFAULT_MARKDOWN_ROWS), 0);
  return { maxLength, headingLevel, maxRows };
}

/**
 * `text` as inline Markdown that renders as the same characters: HTML's
 * `& < >` as entities, Markdown's punctuation backslash-escaped, line breaks
 * and other control characters as spaces, and cut to `max` characters.
 */
export function escapeMarkdown(text: string, max = MAX_CELL): string {
  const flat = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ").trim();
  // Cut between code points, never inside a surrogate pair.
  const cut =
    flat.length > max
      ? `${flat
          .slice(0, max - 1)
          .replace(/[\ud800-\udbff]$/, "")
          .trimEnd()}…`
      : flat;
  return (
    cut
      .replace(/[&<>]/g, (c) => ENTITIES[c])
      .replace(/[\\`*_[\]|~#]/g, (c) => `\\${c}`)
      // GFM links a bare `https://…` or `www.…` by itself; an escaped `:` or `.`
      // renders the same and leaves the only links the ones a summary makes.
      .replace(/:(?=\/\/)/g, "\\:")
      .replace(/(www)\./gi, "$1\\.")
      // An advisory's `@name` would notify that GitHub user from a PR comment;
      // a zero-width space after the `@` keeps the text and drops the mention.
      // GitHub mentions after any non-word character (`.@x`, `/@x`, and `\@x`,
      // whose backslash renders), so only `@` after a letter, digit or `_`
      // stays whole: `image@sha256:…` and mail addresses.
      .replace(/(^|[^A-Za-z0-9_])@(?=[A-Za-z0-9])/g, "$1@\u200b")
  );
}

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

/** A heading of `level` (1–6) over already escaped `text`. */
export function markdownHeading(level: number, text: string): string {
  return `${"#".repeat(Math.min(Math.max(level, 1), 6))} ${text}`;
}

/** One table line from cells that are already escaped. */
export function markdownRow(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/** A table's header and delimiter lines; `align` is `l` or `r` per column. */
export function markdownHeader(headers: readonly string[], align: string): string {
  const rule = headers.map((_, i) => (align[i] === "r" ? "---:" : "---"));
  return `${markdownRow(headers)}\n|${rule.join("|")}|`;
}

/** The line that says what a truncated table left out. */
function moreLine(left: number): string {
  return `…and ${left} more; see the JSON/SARIF output`;
}

/**
 * How many of `total` rows a table could show within `maxRows` and
 * `maxLength`: callers escape only these, so 20,000 findings cost no more
 * than the few hundred that can fit. A row is at least 8 characters.
 */
export function candidateRows(total: number, maxRows: number, maxLength: number): number {
  return Math.min(total, maxRows, Math.ceil(maxLength / 8));
}

/**
 * A table of as many of `rows` (escaped cells) as fit both `maxRows` and
 * `budget` characters, then, when some are left out, the line saying how
 * many of `total` (the rows there were before the caller took its
 * candidateRows; `rows.length` by default). Returns "" when not even the
 * header and that line fit.
 */
export function budgetedTable(
  headers: readonly string[],
  align: string,
  rows: readonly (readonly string[])[],
  maxRows: number,
  budget: number,
  total = rows.length,
): string {
  const head = markdownHeader(headers, align);
  // The "more" line is reserved up front, at its longest, so it always fits.
  const reserve = `\n\n${moreLine(total)}`.length;
  if (head.length + reserve > budget) return "";
  const lines = [head];
  let used = head.length;
  for (const row of rows) {
    if (lines.length - 1 >= maxRows) break;
    const line = markdownRow(row);
    if (used + 1 + line.length + reserve > budget) break;
    lines.push(line);
    used += 1 + line.length;
  }
  const shown = lines.length - 1;
  if (shown < total) {
    if (shown === 0) return moreLine(total);
    lines.push("", moreLine(total - shown));
  }
  return lines.join("\n");
}

/**
 * Appends the "worst first" heading and table of `sorted` to `sections`,
 * with the budget those sections leave. Only the rows that could fit are
 * made (`row` escapes each), and nothing is appended when not even the
 * header fits.
 */
export function appendWorstFirst<T>(
  sections: string[],
  sorted: readonly T[],
  table: { headers: readonly string[]; align: string; row: (item: T) => string[] },
  limits: Required<MarkdownOptions>,
): void {
  if (sorted.length === 0) return;
  const heading = markdownHeading(limits.headingLevel + 1, "Findings, worst first");
  const rows = sorted.slice(0, candidateRows(sorted.length, limits.maxRows, limits.maxLength)).map(table.row);
  // The blank lines that will join the heading and the table to what comes before.
  const used = sections.join("\n\n").length + heading.length + 6;
  const text = budgetedTable(
    table.headers,
    table.align,
    rows,
    limits.maxRows,
    limits.maxLength - used,
    sorted.length,
  );
  if (text !== "") sections.push(heading, text);
}

/**
 * Sections joined by blank lines, ending in a newline. Callers budget each
 * section, so this only drops whole sections from the end should they still
 * not fit: a cut through a table row or an escape would break the Markdown.
 */
export function joinSections(sections: readonly string[], maxLength: number): string {
  const kept = sections.filter((s) => s !== "");
  let text = `${kept.join("\n\n")}\n`;
  while (text.length > maxLength && kept.length > 0) {
    kept.pop();
    text = kept.length === 0 ? "" : `${kept.join("\n\n")}\n`;
  }
  return text;
}
