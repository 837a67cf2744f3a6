// One host or image check's verdict, the unit `cudaseal doctor` reports:
// what was found, and for anything short of ok, the command that fixes it.

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface Check {
  /** Stable id for scripts and --json: `driver`, `device-nodes`, `image-user`… */
  id: string;
  status: CheckStatus;
  /** What was found, in one or two sentences. */
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

/** Build a check; `fix` is kept only when given. */
export function check(id: string, status: CheckStatus, detail: string, fix?: string): Check {
  return fix === undefined ? { id, status, detail } : { id, status, detail, fix };
}
