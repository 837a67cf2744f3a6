// A hand-made catalog plan with the shape `catalog plan` writes: three
// entries × two CUDA variants × two architectures, the multi-arch index
// units, and one `contents: image:` edge (app's builds need base's index of
// the same variant), so the DAG has four levels.

import { createHash } from "node:crypto";
import type { CatalogPlan, PlanUnit } from "../../src/catalog/plan-types.ts";

const key = (s: string) => createHash("sha256").update(s).digest("hex");
const ARCHES = ["amd64", "arm64"];
const CUDA = ["12.4", "12.8"];
const REPO = "registry.example/team";

/** An argument no shell may split or expand: a test that it reaches the worker whole. */
export const TRICKY_ARG = `--label=note=it's "quoted" $HOME \`x\` ;|&`;

export function samplePlan(): CatalogPlan {
  const units: PlanUnit[] = [];
  const entry = (name: string, spec: string, needsOf?: (cuda: string) => string) => {
    for (const cuda of CUDA) {
      const v = cuda.replace(".", "-");
      const builds = ARCHES.map((arch): PlanUnit => {
        const needs = needsOf ? [needsOf(cuda)] : [];
        return {
          id: `${name}-cuda-${v}-${arch}`,
          kind: "build",
          entry: name,
          spec,
          variant: { cuda },
          arch,
          key: key(`${name} ${cuda} ${arch}`),
          needs,
          level: needsOf ? 2 : 0,
          repository: `${REPO}/${name}`,
          tags: [`${cuda}-${arch}`],
          args: [
            "build",
            spec,
            "--arch",
            arch,
            "--cuda",
            cuda,
            "--push",
            `${REPO}/${name}:${cuda}-${arch}`,
            ...(name === "tools" ? [TRICKY_ARG] : []),
          ],
          done: false,
        };
      });
      units.push(...builds, {
        id: `${name}-cuda-${v}-index`,
        kind: "index",
        entry: name,
        spec,
        variant: { cuda },
        arches: ARCHES,
        key: key(`${name} ${cuda} index`),
        needs: builds.map((b) => b.id),
        level: needsOf ? 3 : 1,
        repository: `${REPO}/${name}`,
        tags: [cuda],
        args: ["catalog", "index", "catalog.yaml", `${name}-cuda-${v}-index`],
        done: false,
      });
    }
  };
  entry("base", "specs/base.yaml");
  entry("tools", "preset:cuda-runtime");
  entry("app", "specs/app.yaml", (cuda) => `base-cuda-${cuda.replace(".", "-")}-index`);
  units.sort((a, b) => a.level - b.level || (a.id < b.id ? -1 : 1));
  return { planVersion: 1, cudaseal: "0.1.0", catalog: "fleet/catalog.yaml", units };
}
