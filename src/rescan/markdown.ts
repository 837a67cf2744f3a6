// A rescan as Markdown for an issue body or a job summary: the data used,
// one row per image with its counts (or its error), then the fleet's
// findings most urgent first. Escaping and the length budget are the
// findings model's (src/findings/markdown.ts), so it stays under GitHub's
// 65,536 characters however many images there are.

import {
  budgetedTable,
  candidateRows,
  escapeMarkdown,
  joinSections,
  type MarkdownOptions,
  markdownHeading,
  markdownLimits,
} from "../findings/index.ts";
import { isKnownAdvisoryId, severityCounts } from "../scan/index.ts";
import type { RescanResult } from "./rescan.ts";
import { databaseLine, type FleetFinding, fleetFindings, imageLabel } from "./summary.ts";

/** The rescan as Markdown, under `maxLength` characters. */
export function rescanMarkdown(result: RescanResult, options: MarkdownOptions = {}): string {
  const limits = markdownLimits(options);
  const { headingLevel, maxLength, maxRows } = limits;
  const failed = result.images.filter((i) => i.error).length;
  const all = result.images.flatMap((i) => i.findings);
  const facts = [
    `${result.images.length} images, ${failed} could not be rescanned`,
    `${all.filter((f) => f.kev).length} findings in CISA's KEV catalog`,
    ...(result.database ? [`data: ${escapeMarkdown(databaseLine(result.database))}`] : []),
  ].join("; ");
  const sections = [markdownHeading(headingLevel, "cudaseal rescan"), facts];
  const fleet = fleetFindings(result);
  // The findings first: they are what an issue is opened for; the per-image table takes what is left.
  if (fleet.length > 0) {
    const heading = markdownHeading(headingLevel + 1, "Most urgent findings");
    const rows = fleet.slice(0, candidateRows(fleet.length, maxRows, maxLength)).map(findingRow);
    const budget = Math.floor((maxLength - sections.join("\n\n").length) / 2) - heading.length - 4;
    const table = budgetedTable(
      ["ID", "KEV", "EPSS", "Severity", "Package", "Installed", "Fixed in", "Images"],
      "llrllllr",
      rows,
      maxRows,
      budget,
      fleet.length,
    );
    if (table !== "") sections.push(heading, table);
  }
  const heading = markdownHeading(headingLevel + 1, "Images");
  const used = sections.join("\n\n").length + heading.length + 6;
  const imageRows = result.images
    .slice(0, candidateRows(result.images.length, Number.MAX_SAFE_INTEGER, maxLength))
    .map((image) => {
      if (image.error)
        return [escapeMarkdown(imageLabel(image)), "-", "-", "-", "-", "-", `${image.error.code}`];
      const c = severityCounts(image.findings);
      return [
        escapeMarkdown(imageLabel(image)),
        image.via ?? "-",
        String(image.findings.filter((f) => f.kev).length),
        String(c.critical),
        String(c.high),
        String(c.medium + c.low + c.negligible + c.unknown),
        "",
      ];
    });
  const table = budgetedTable(
    ["Image", "From", "KEV", "Critical", "High", "Other", "Error"],
    "llrrrrl",
    imageRows,
    Number.MAX_SAFE_INTEGER,
    maxLength - used,
    result.images.length,
  );
  if (table !== "") sections.push(heading, table);
  return joinSections(sections, maxLength);
}

function findingRow({ finding: f, images }: FleetFinding): string[] {
  const id =
    isKnownAdvisoryId(f.id) && f.id.startsWith("CVE-")
      ? `[${f.id}](https://security-tracker.debian.org/tracker/${f.id})`
      : escapeMarkdown(f.id);
  return [
    id,
    f.kev ? (f.kev.ransomware ? "**yes** (ransomware)" : "**yes**") : "",
    f.epss ? f.epss.score.toFixed(3) : "",
    f.severity,
    escapeMarkdown(f.package),
    escapeMarkdown(f.installed),
    f.fixedVersion === undefined ? "-" : escapeMarkdown(f.fixedVersion),
    String(images.length),
  ];
}
