// The skeleton of a SARIF 2.1.0 log as GitHub code scanning reads it, shared
// by the findings report (audit, lint: src/findings/sarif.ts) and the
// vulnerability scan (src/scan/sarif.ts): one run by cudaseal, one rule per
// id sorted by id, and results that point at their rule by index. What a
// rule, a result and a location say stays with each caller.

type SarifObject = Record<string, unknown>;

/** The SARIF level of a severity: critical and high are errors, medium a warning, the rest notes. */
export function sarifLevel(severity: string): "error" | "warning" | "note" {
  if (severity === "critical" || severity === "high") return "error";
  if (severity === "medium") return "warning";
  return "note";
}

/** The worst severity among `findings`, `fallback` for none: a rule rated differently per finding takes the worst. */
export function worstSeverity<S extends string>(
  findings: readonly { severity: S }[],
  rank: (severity: S) => number,
  fallback: S,
): S {
  return findings.reduce<S>(
    (s, f) => (rank(f.severity) > rank(s) ? f.severity : s),
    findings[0]?.severity ?? fallback,
  );
}

/** One rule per id, sorted by id so equal input gives equal documents, and each id's index for `ruleIndex`. */
export function sarifRules<F extends { id: string }>(
  findings: readonly F[],
  ruleOf: (id: string, findings: readonly F[]) => SarifObject,
): { rules: SarifObject[]; ruleIndex: ReadonlyMap<string, number> } {
  const byId = new Map<string, F[]>();
  for (const f of findings) {
    const list = byId.get(f.id);
    if (list) list.push(f);
    else byId.set(f.id, [f]);
  }
  const ids = [...byId.keys()].sort();
  return {
    rules: ids.map((id) => ruleOf(id, byId.get(id) ?? [])),
    ruleIndex: new Map(ids.map((id, i) => [id, i])),
  };
}

/** What fills the log's one run. */
export interface SarifRun {
  /** cudaseal's version, for tool.driver; left out when unknown. */
  version?: string;
  rules: readonly SarifObject[];
  results: readonly SarifObject[];
  properties: SarifObject;
}

/** The log: one run whose tool is cudaseal. */
export function sarifLog(run: SarifRun): SarifObject {
  const version = run.version;
  return {
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "cudaseal",
            ...(version === undefined ? {} : { version, semanticVersion: version }),
            rules: run.rules,
          },
        },
        results: run.results,
        properties: run.properties,
      },
    ],
  };
}
