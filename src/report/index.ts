// `cudaseal report`: one image (or two side by side) as a self-contained
// HTML page, a Markdown summary, or the JSON both are made from.

export { gatherReport, type ReportOptions } from "./gather.ts";
export { embedJson, reportHtml } from "./html.ts";
export { MARKDOWN_LIMIT, reportMarkdown } from "./markdown.ts";
export type * from "./model.ts";
export { FINDING_SEVERITIES, VULN_SEVERITIES } from "./model.ts";
