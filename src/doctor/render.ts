// The doctor report as text for a terminal: one line per check, the fix
// indented under anything short of ok.

import type { DoctorReport } from "./doctor.ts";

const MARK = { ok: "  ok", warn: "warn", fail: "FAIL", skip: "skip" } as const;

export function renderDoctor(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.id.length));
  const lines: string[] = [];
  if (report.image) lines.push(`image ${report.image.ref} (${report.image.digest})`);
  for (const c of report.checks) {
    lines.push(`[${MARK[c.status]}] ${c.id.padEnd(width)}  ${c.detail}`);
    if (c.fix && (c.status === "warn" || c.status === "fail"))
      lines.push(`       ${"".padEnd(width)}  fix: ${c.fix}`);
  }
  const failed = report.checks.filter((c) => c.status === "fail").length;
  const warned = report.checks.filter((c) => c.status === "warn").length;
  lines.push(
    failed
      ? `${failed} check${failed > 1 ? "s" : ""} failed, ${warned} warning${warned === 1 ? "" : "s"}`
      : `no failures, ${warned} warning${warned === 1 ? "" : "s"}`,
  );
  return `${lines.join("\n")}\n`;
}
