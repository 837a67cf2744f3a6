// A rescan as one SARIF 2.1.0 log (the skeleton is src/util/sarif.ts, as for
// scan): one rule per advisory id, one result per finding per image, located
// at the image reference, so code scanning lists each image's findings
// apart. KEV and EPSS go into each result's properties, and a finding in the
// KEV catalog is an error whatever its severity: it is being exploited.

import type { PrioritizedFinding } from "../scan/index.ts";
import { SECURITY_SEVERITY, severityRank } from "../scan/index.ts";
import { sarifLevel, sarifLog, sarifRules, worstSeverity } from "../util/sarif.ts";
import type { RescanResult } from "./rescan.ts";
import { imageLabel } from "./summary.ts";

/** The rescan as one SARIF log; `version` is cudaseal's. */
export function rescanSarif(result: RescanResult, version?: string): Record<string, unknown> {
  const pairs = result.images.flatMap((image) => image.findings.map((f) => ({ image, f })));
  const { rules, ruleIndex } = sarifRules(
    pairs.map((p) => p.f),
    ruleOf,
  );
  const results = pairs.map(({ image, f }) => ({
    ruleId: f.id,
    ruleIndex: ruleIndex.get(f.id),
    level: f.kev ? "error" : sarifLevel(f.severity),
    message: { text: messageOf(f, imageLabel(image)) },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: image.ref }, region: { startLine: 1 } },
        ...(image.platform ? { message: { text: image.platform } } : {}),
      },
    ],
    partialFingerprints: {
      "cudaseal/finding": `${imageLabel(image)}/${f.id}/${f.package}/${f.installed}`,
    },
    properties: {
      image: image.ref,
      ...(image.platform ? { platform: image.platform } : {}),
      digest: image.digest,
      ...(f.kev ? { kev: f.kev } : {}),
      ...(f.epss ? { epss: f.epss } : {}),
    },
  }));
  return sarifLog({
    version,
    rules,
    results,
    properties: {
      images: result.images.length,
      failed: result.images.filter((i) => i.error).map((i) => ({ image: imageLabel(i), error: i.error })),
    },
  });
}

function ruleOf(id: string, findings: readonly PrioritizedFinding[]): Record<string, unknown> {
  const worst = worstSeverity(findings, severityRank, "unknown");
  const description = findings.find((f) => f.description !== "")?.description ?? id;
  const kev = findings.some((f) => f.kev);
  return {
    id,
    shortDescription: { text: `${id} (${worst}${kev ? ", known exploited" : ""})` },
    fullDescription: { text: description },
    help: { text: description },
    properties: {
      // Known exploitation outranks the severity the distribution gave it.
      "security-severity": kev ? SECURITY_SEVERITY.critical : SECURITY_SEVERITY[worst],
      tags: ["security", "vulnerability", ...(kev ? ["known-exploited"] : [])],
    },
  };
}

function messageOf(f: PrioritizedFinding, image: string): string {
  const fix =
    f.fixedVersion !== undefined
      ? `fixed in ${f.fixedVersion}`
      : f.status === "wont-fix"
        ? "Debian will not fix it"
        : "no fixed version yet";
  const marks = [f.kev ? "in CISA's KEV catalog" : "", f.epss ? `EPSS ${f.epss.score.toFixed(3)}` : ""]
    .filter((m) => m !== "")
    .join(", ");
  return `${f.id} (${f.severity}${marks ? `; ${marks}` : ""}) in ${f.package} ${f.installed} of ${image}: ${fix}`;
}
