// The report as one self-contained HTML file: the style, d3-hierarchy's
// code and the page's script inline, the data embedded as JSON, nothing
// fetched (a Content-Security-Policy forbids every request and any script
// but the two inline ones, by hash). The embedded JSON escapes `<`, `>`, `&`
// and the line separators, so no text in an image (a path holding
// `</script>`) can end the data block and start markup.

import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CudasealError } from "../errors.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import type { ReportData } from "./model.ts";
import { PAGE_SCRIPT } from "./page-script.ts";
import { PAGE_STYLE } from "./page-style.ts";

/** d3-hierarchy's minified UMD build is about 15 KB; more is not the file we expect. */
const MAX_LIBRARY_BYTES = 256 * 1024;

/** The page for `data`. */
export async function reportHtml(data: ReportData): Promise<string> {
  const d3 = await d3HierarchySource();
  const title = `cudaseal report: ${data.images.map((i) => i.ref).join(" vs ")}`;
  const csp = [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src '${scriptHash(d3)}' '${scriptHash(PAGE_SCRIPT)}'`,
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${escapeText(title)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    "</head>",
    "<body>",
    '<header><h1 id="title"></h1>',
    `<p>made by cudaseal on ${escapeText(data.generated)} · <span id="image-picker"></span></p></header>`,
    '<nav id="tabs" role="tablist" aria-label="Views"></nav>',
    '<main id="views"></main>',
    `<script type="application/json" id="report-data">${embedJson(data)}</script>`,
    `<script>${d3}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** JSON that is inert inside a <script> element: no `<`, `>` or `&`, and no line separators JS once rejected. */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

/** d3-hierarchy's UMD build, from the installed package, read at report time and inlined. */
async function d3HierarchySource(): Promise<string> {
  // The package exports its ES module by default; the UMD build beside it defines the global `d3` the page uses.
  const dist = dirname(fileURLToPath(import.meta.resolve("d3-hierarchy")));
  const file = join(dist, "d3-hierarchy.min.js");
  const text = (await readRegularFile(file, { what: "d3-hierarchy", max: MAX_LIBRARY_BYTES })).toString(
    "utf8",
  );
  if (/<\/script/i.test(text) || /<!--/.test(text)) {
    throw new CudasealError("INTERNAL", `${file} holds text that would end an inline script`);
  }
  return text;
}

function scriptHash(text: string): string {
  return `sha256-${createHash("sha256").update(text, "utf8").digest("base64")}`;
}

function escapeText(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function escapeAttribute(text: string): string {
  return escapeText(text).replaceAll('"', "&quot;");
}
