// The Markdown summaries' shared parts, and audit's summary: escaping hostile
// text, and staying under GitHub's 65,536-character comment limit.

import assert from "node:assert/strict";
import { test } from "node:test";
import { auditMarkdown } from "../../src/audit/index.ts";
import {
  budgetedTable,
  escapeMarkdown,
  type Finding,
  findingsMarkdown,
  MARKDOWN_LIMIT,
} from "../../src/findings/index.ts";
import { FILE_FINDINGS, IMAGE_FINDINGS } from "./sample.ts";

test("escaping leaves no HTML, no table break, no code span, link or line break in a cell", () => {
  const hostile =
    "<script>alert(1)</script> | `rm -rf` [x](javascript:y) *b* _i_ ~s~ #1 ![i](x)\nnext\r\nline & co \\";
  const text = escapeMarkdown(hostile, 1000);
  assert.ok(!text.includes("<"));
  assert.ok(!text.includes(">"));
  assert.ok(!text.includes("\n") && !text.includes("\r"));
  assert.equal(text.match(/(?<!\\)[|`[\]*_~#]/g), null, `unescaped punctuation in ${text}`);
  assert.match(text, /^&lt;script&gt;alert\(1\)&lt;\/script&gt; \\\| \\`rm -rf\\`/);
  assert.match(text, /line &amp; co \\\\$/);
  // No GitHub mention from a feed's text.
  assert.equal(
    escapeMarkdown("@hubot reported by @octocat (mail a@b.c) in oci:x/y@sha256:ab"),
    "@\u200bhubot reported by @\u200boctocat (mail a@b.c) in oci:x/y@sha256:ab",
  );
  // GitHub mentions after any non-word character, a rendered backslash included.
  assert.equal(
    escapeMarkdown("cc.@octocat, see/@hubot, -@a \\@b"),
    "cc.@\u200boctocat, see/@\u200bhubot, -@\u200ba \\\\@\u200bb",
  );
  // Cut to the cell's length, with an ellipsis, never through a surrogate pair.
  assert.equal(escapeMarkdown("a".repeat(500), 10), `${"a".repeat(9)}…`);
  assert.equal(escapeMarkdown(`${"a".repeat(8)}😀😀`, 10), `${"a".repeat(8)}…`);
});

test("a table that does not fit stops at a row and says how many it left out", () => {
  const rows = Array.from({ length: 100 }, (_, i) => [`r${i}`, "x".repeat(50)]);
  const table = budgetedTable(["A", "B"], "lr", rows, 1000, 2000);
  assert.ok(table.length <= 2000);
  const lines = table.split("\n");
  assert.deepEqual(lines.slice(0, 2), ["| A | B |", "|---|---:|"]);
  const shown = lines.filter((l) => l.startsWith("| r")).length;
  assert.ok(shown > 10 && shown < 100);
  assert.equal(lines.at(-1), `…and ${100 - shown} more; see the JSON/SARIF output`);
  // The row limit cuts too; no rows at all is just the header.
  assert.match(
    budgetedTable(["A", "B"], "lr", rows, 3, 100_000),
    /\n\n…and 97 more; see the JSON\/SARIF output$/,
  );
  assert.equal(budgetedTable(["A"], "l", [], 10, 1000), "| A |\n|---|");
});

test("the audit summary counts by severity, then lists the worst findings first", () => {
  const md = auditMarkdown(
    { tool: "audit", target: "oci:out/cuda", kind: "image", findings: IMAGE_FINDINGS, suppressed: [] },
    { headingLevel: 3 },
  );
  const lines = md.split("\n");
  assert.equal(lines[0], "### cudaseal audit: oci:out/cuda");
  assert.ok(lines.includes("| critical | 1 |"));
  assert.ok(lines.includes("| medium | 2 |"));
  assert.ok(lines.includes("| **total** | **4** |"));
  assert.ok(lines.includes("#### Findings, worst first"));
  const rows = lines.filter((l) => /^\| (critical|high|medium|low|info) \| CS-/.test(l));
  assert.deepEqual(
    rows.map((l) => l.split(" | ")[1]),
    ["CS-SECRET-PRIVATE-KEY", "CS-USER-ROOT", "CS-FILE-SETUID", "CS-FILE-SETUID"],
  );
  assert.ok(rows[0].includes("| /root/my key\\#1.pem (layer 1, deleted later) |"), rows[0]);
  assert.ok(md.endsWith("\n"));
  assert.equal(
    findingsMarkdown({ tool: "lint", target: "Dockerfile", kind: "file", findings: [] }),
    "## cudaseal lint: Dockerfile\n\nNo findings.\n",
  );
  assert.match(
    findingsMarkdown({ tool: "lint", target: "Dockerfile", kind: "file", findings: FILE_FINDINGS }),
    /\| low \| CS-DF-LATEST \| Dockerfile:1 \|/,
  );
});

test("20,000 audit findings with hostile paths stay under 65,536 characters and escaped", () => {
  const findings: Finding[] = Array.from({ length: 20_000 }, (_, i) => ({
    id: "CS-FILE-WORLD-WRITABLE",
    severity: i % 3 === 0 ? "high" : "medium",
    title: "A world-writable file",
    refs: ["CIS Docker 4.8"],
    evidence: {
      path: `/opt/<script>alert(${i})</script>|x\`y\n${"z".repeat(300)}`,
      layer: 1,
      inFinalFs: true,
    },
    message: `a file <img src=x onerror=alert(${i})> | is world-writable`,
    fix: "chmod o-w",
  }));
  for (const maxRows of [50, 100_000]) {
    const md = auditMarkdown(
      { tool: "audit", target: "oci:<b>x|y</b>", kind: "image", findings },
      { maxRows },
    );
    assert.ok(md.length < MARKDOWN_LIMIT, `${md.length} characters`);
    assert.ok(!/<(script|img|b)\b/.test(md), "raw HTML in the summary");
    assert.match(md, /\| \*\*total\*\* \| \*\*20000\*\* \|/);
    const shown = md
      .split("\n")
      .filter((l) => l.startsWith("| high | CS-") || l.startsWith("| medium | CS-")).length;
    assert.match(md, new RegExp(`\\n…and ${20_000 - shown} more; see the JSON/SARIF output\\n$`));
    if (maxRows === 50) assert.equal(shown, 50);
    else assert.ok(shown > 50, "the length budget, not the row limit, cut the table");
    // Every table row has the header's five cells: no `|` escaped its cell.
    for (const l of md.split("\n").filter((l) => l.startsWith("| high | CS-"))) {
      assert.equal(l.split(/(?<!\\)\|/).length - 2, 5, l);
    }
  }
});
