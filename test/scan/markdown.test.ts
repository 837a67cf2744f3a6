// `scan --format markdown`'s summary: counts by severity and fix status, the
// worst findings (fixable first), hostile advisory text escaped, and GitHub's
// 65,536-character comment limit kept with 20,000 findings.

import assert from "node:assert/strict";
import { test } from "node:test";
import { MARKDOWN_LIMIT } from "../../src/findings/index.ts";
import { debianTrackerAdvisories } from "../../src/scan/debian-tracker.ts";
import { type Finding, type ScanResult, scanMarkdown } from "../../src/scan/index.ts";
import { matchFindings } from "../../src/scan/match.ts";
import { PACKAGES, TRACKER } from "./fixture.ts";

const findings = matchFindings(PACKAGES, debianTrackerAdvisories(TRACKER), "bookworm");
const result: ScanResult = {
  image: "oci:out/cuda-base",
  digest: "sha256:0123",
  release: "bookworm",
  packages: 3,
  findings,
  database: { format: "debian-tracker", source: "tracker.json", update: "local" },
};

test("the summary counts findings by severity and fix status, then lists the worst, fixable first", () => {
  const md = scanMarkdown(result);
  const lines = md.split("\n");
  assert.equal(lines[0], "## cudaseal scan: oci:out/cuda-base");
  assert.equal(
    lines[2],
    "Debian bookworm, 3 packages; data: debian-tracker from tracker.json; image sha256:0123",
  );
  assert.ok(lines.includes("| Severity | Fixed | Open | Won't fix | Total |"));
  assert.ok(lines.includes("| high | 1 | 0 | 0 | 1 |"));
  const total = lines.find((l) => l.startsWith("| **total** |"));
  const byStatus = (s: string) => findings.filter((f) => f.status === s).length;
  assert.equal(
    total,
    `| **total** | **${byStatus("fixed")}** | **${byStatus("open")}** | **${byStatus("wont-fix")}** | **${findings.length}** |`,
  );
  const rows = lines.filter((l) => /^\| \w+ \| \[?(CVE|TEMP)-/.test(l));
  assert.equal(rows.length, findings.length);
  assert.match(
    rows[0],
    /^\| high \| \[CVE-2024-0001\]\(https:\/\/security-tracker\.debian\.org\/tracker\/CVE-2024-0001\) \| libc6 \| 2\.36-9\+deb12u4\+b1 \| 2\.36-9\+deb12u7 \| fixed \|/,
  );
  // Within a severity, fixed before open before wont-fix.
  const medium = rows.filter((r) => r.startsWith("| medium |")).map((r) => r.split(" | ")[5]);
  assert.deepEqual(
    medium,
    [...medium].sort(
      (a, b) => ["fixed", "open", "wont-fix"].indexOf(a) - ["fixed", "open", "wont-fix"].indexOf(b),
    ),
  );
  assert.equal(scanMarkdown({ ...result, findings: [] }).split("\n")[4], "No findings.");
});

test("suppressed findings are counted, not listed", () => {
  const [first, second] = findings;
  const md = scanMarkdown({
    ...result,
    findings: findings.slice(2),
    suppressed: [
      { ...first, suppressedBy: { kind: "vex", status: "not_affected", file: "a.vex.json" } },
      { ...second, suppressedBy: { kind: "ignore", reason: "r", expires: "2099-01-01", file: "i.yaml" } },
    ],
  });
  assert.match(md, /\nNot counted: 2 suppressed \(1 by VEX, 1 by the ignore file; see the JSON output\)\.\n/);
  assert.ok(!md.includes(`| ${first.id}`));
});

test("20,000 findings with hostile names and advisory text stay under 65,536 characters, escaped", () => {
  const many: Finding[] = Array.from({ length: 20_000 }, (_, i) => ({
    id: i % 2 === 0 ? `CVE-2024-${String(10_000 + i)}` : `X](javascript:alert(${i}))`,
    package: `lib|evil<script>${i}`,
    source: "evil",
    installed: "1.0`rm`",
    ...(i % 3 === 0 ? { fixedVersion: "1.1" } : {}),
    severity: (["critical", "high", "medium", "low", "negligible", "unknown"] as const)[i % 6],
    status: i % 3 === 0 ? "fixed" : i % 3 === 1 ? "open" : "wont-fix",
    description: `<script>alert(${i})</script>\n| broken | table |\n\`\`\`\n${"long ".repeat(100)}`,
  }));
  for (const maxRows of [50, 1_000_000]) {
    const md = scanMarkdown({ ...result, findings: many }, { maxRows });
    assert.ok(md.length < MARKDOWN_LIMIT, `${md.length} characters`);
    assert.ok(!md.includes("<script>"), "raw HTML in the summary");
    assert.ok(!/(?<!\\)\]\(javascript:/.test(md), "a link a feed made");
    assert.match(md, /\| \*\*total\*\* \| \*\*6667\*\* \| \*\*6667\*\* \| \*\*6666\*\* \| \*\*20000\*\* \|/);
    const rows = md
      .split("\n")
      .filter((l) => /^\| (critical|high|medium|low|negligible|unknown) \| [^0-9]/.test(l));
    assert.match(md, new RegExp(`\\n…and ${20_000 - rows.length} more; see the JSON/SARIF output\\n$`));
    assert.equal(maxRows === 50, rows.length === 50);
    for (const row of rows) assert.equal(row.split(/(?<!\\)\|/).length - 2, 7, row);
    // Worst first: the critical ones lead.
    assert.match(rows[0], /^\| critical \|/);
  }
});
