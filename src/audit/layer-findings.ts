// The findings of a layer walk, each tied to one layer's version of a path,
// settled against the final file system once every layer is read. Findings
// about what a running container has (modes, tools, libraries) are kept only
// when their layer's version of the path survives; secrets and hostile
// entries are kept from every layer, marked "deleted later" when a whiteout
// or a later layer hid them, because the bytes stay in the image for anyone
// who pulls it.

import type { Evidence, Finding } from "../findings/index.ts";
import type { LayeredPaths } from "../source/whiteout.ts";
import { type AuditRuleId, finding } from "./rules.ts";

// A finding tied to one layer's version of a path.
interface Located {
  finding: Finding;
  path: string;
  layer: number;
  /** Kept even when a later layer hid the path (secrets, hostile entries). */
  always: boolean;
}

export class LayerFindings {
  readonly #located: Located[] = [];
  /** Which layer deleted or replaced each noted (layer, path). */
  readonly #dropped = new Map<string, number>();
  readonly #watched = new Set<string>();

  /** Record a finding about `path` as `layer` wrote it. */
  note(
    id: AuditRuleId,
    path: string,
    layer: number,
    message: string,
    always: boolean,
    extra: Evidence = {},
  ): void {
    this.#watched.add(key(path, layer));
    this.#located.push({ finding: finding(id, { path, layer, ...extra }, message), path, layer, always });
  }

  /** The final file system's drop listener: remembers who deleted a noted path. */
  readonly dropped = (path: string, layer: number, byLayer: number): void => {
    const k = key(path, layer);
    if (this.#watched.has(k)) this.#dropped.set(k, byLayer);
  };

  /** The findings that count once `fs` is the final file system, in the order they were noted. */
  settle(fs: LayeredPaths<number>): Finding[] {
    const findings: Finding[] = [];
    for (const l of this.#located) {
      const survives = fs.get(l.path) === l.layer;
      if (!survives && !l.always) continue;
      const f = l.finding;
      f.evidence.inFinalFs = survives;
      if (!survives && l.always) {
        const by = this.#dropped.get(key(l.path, l.layer));
        f.message +=
          by === undefined
            ? " (hidden by a later layer, still in the image)"
            : ` (deleted by layer ${by}, still in layer ${l.layer})`;
      }
      findings.push(f);
    }
    return findings;
  }
}

function key(path: string, layer: number): string {
  return `${layer}\0${path}`;
}
