// The Markdown summaries rendered by cmark-gfm, GitHub's own GFM
// implementation (Debian's package), with raw HTML let through (--unsafe),
// so an escape that failed would show here as a live tag: hostile package
// names, paths and advisory texts must come out as text, every table row must
// keep its header's cells, and the only links are the ones cudaseal made.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { auditMarkdown } from "../../src/audit/index.ts";
import { compareMarkdown, type ImageStats } from "../../src/compare/index.ts";
import type { Finding } from "../../src/findings/index.ts";
import { scanMarkdown, type Finding as VulnFinding } from "../../src/scan/index.ts";
import { hasTool } from "../oci/fixture-image.ts";

// AFTERPIPE follows the first `|`: GFM drops the cells past a row's header,
// so a `|` that split a cell would lose the rest of it without a trace.
const HOSTILE =
  "<script>alert(1)</script> | AFTERPIPE `x` [a](javascript:alert(2)) <img src=x onerror=alert(3)> ~~s~~ *b* \\| \n| x | y |\n<!-- c -->";

function render(markdown: string): string {
  const r = spawnSync("cmark-gfm", ["--unsafe", "-e", "table", "-e", "autolink", "-e", "strikethrough"], {
    input: markdown,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Each rendered table's header cell count, and every body row's cells. */
function tables(html: string): { head: number; rows: string[][] }[] {
  return [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((m) => {
    const head = (/<thead>([\s\S]*?)<\/thead>/.exec(m[1])?.[1].match(/<th[ >]/g) ?? []).length;
    const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(m[1])?.[1] ?? "";
    const rows = [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) =>
      [...r[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]),
    );
    return { head, rows };
  });
}

function assertSafe(html: string, expectTables: number): void {
  for (const tag of ["<script", "<img", "<!--", "<del>", "<em>", "<code>"]) {
    assert.ok(!html.includes(tag), `${tag} in ${html.slice(0, 2000)}`);
  }
  // The only bold is the counts' total row, which cudaseal writes.
  for (const bold of html.matchAll(/<strong>(.*?)<\/strong>/g)) assert.match(bold[1], /^(total|\d+)$/);
  for (const href of html.matchAll(/href="([^"]*)"/g)) {
    assert.match(href[1], /^https:\/\/(security-tracker\.debian\.org\/tracker|osv\.dev\/vulnerability)\//);
  }
  const found = tables(html);
  assert.equal(found.length, expectTables, html.slice(0, 3000));
  for (const t of found) {
    for (const row of t.rows) {
      assert.equal(row.length, t.head);
      // A cell holding hostile text holds it past its `|`, up to where it was cut.
      for (const cell of row) if (cell.includes("alert(1)")) assert.match(cell, /AFTERPIPE/, cell);
    }
  }
}

test("audit, scan and compare summaries render as tables with hostile text kept as text", (t) => {
  if (!hasTool("cmark-gfm")) return t.skip("cmark-gfm is not installed (scripts/install-test-tools.sh)");
  const findings: Finding[] = Array.from({ length: 300 }, (_, i) => ({
    id: "CS-FILE-WORLD-WRITABLE",
    severity: "medium",
    title: "t",
    refs: [],
    evidence: { path: `/opt/${HOSTILE}${i}`, layer: 0, inFinalFs: true },
    message: HOSTILE,
    fix: HOSTILE,
  }));
  const audit = render(auditMarkdown({ tool: "audit", target: `oci:${HOSTILE}`, kind: "image", findings }));
  assertSafe(audit, 2);
  assert.match(audit, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, "the text is shown, not dropped");
  assert.match(audit, /…and 250 more; see the JSON\/SARIF output/);

  const vulns: VulnFinding[] = Array.from({ length: 300 }, (_, i) => ({
    id: i % 2 ? `CVE-2024-${10_000 + i}` : `X](javascript:alert(${i}))`,
    package: `lib${HOSTILE}`,
    source: "s",
    installed: HOSTILE,
    fixedVersion: HOSTILE,
    severity: "high",
    status: "fixed",
    description: HOSTILE,
  }));
  const scan = render(
    scanMarkdown({ image: HOSTILE, release: HOSTILE, packages: 1, findings: vulns, digest: HOSTILE }),
  );
  assertSafe(scan, 2);
  assert.match(
    scan,
    /<a href="https:\/\/security-tracker\.debian\.org\/tracker\/CVE-2024-10001">CVE-2024-10001<\/a>/,
  );

  const stats = (image: string): ImageStats => ({
    image,
    compressedSize: 1,
    uncompressedSize: 1,
    layers: 1,
    packages: 1,
    pythonPackages: 0,
    files: 1,
    setuidFiles: [],
    shells: [HOSTILE],
    packageManagers: [],
    user: HOSTILE,
    cudaLibraries: [{ name: `libcudart${HOSTILE}`, version: HOSTILE }],
  });
  assertSafe(render(compareMarkdown([stats(`oci:${HOSTILE}`), stats("oci:b")])), 2);
});

test("a bare URL in an image's or a feed's text is shown, not linked", (t) => {
  if (!hasTool("cmark-gfm")) return t.skip("cmark-gfm is not installed (scripts/install-test-tools.sh)");
  const text = "see https://evil.example/x, HTTP://evil.example and www.evil.example";
  const findings: Finding[] = [
    {
      id: "CS-FILE-WORLD-WRITABLE",
      severity: "medium",
      title: "t",
      refs: [],
      evidence: { path: "/opt/www.evil.example", layer: 0, inFinalFs: true },
      message: text,
      fix: text,
    },
  ];
  const html = render(
    auditMarkdown({ tool: "audit", target: "oci:https://evil.example", kind: "image", findings }),
  );
  assert.doesNotMatch(html, /<a /);
  assert.match(html, /see https:\/\/evil\.example\/x, HTTP:\/\/evil\.example and www\.evil\.example/);
});
