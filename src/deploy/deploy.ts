// `cudaseal deploy`: read the image, plan, write the target's format.
// Returns data; prints nothing.

import { runtimeFacts } from "../image/runtime-facts.ts";
import { parseImageRef } from "../source/image-ref.ts";
import { openImage } from "../source/image-source.ts";
import { composeDocument, composeYaml } from "./compose.ts";
import { dockerRunArgs, dockerRunLine } from "./docker-run.ts";
import { kubernetesManifest, kubernetesYaml } from "./kubernetes.ts";
import { type DeployPlan, type DeployPlanOptions, planDeploy } from "./plan.ts";

export interface DeployOptions extends DeployPlanOptions {
  /** The image to read: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG]. */
  image: string;
  /** The platform of a multi-platform image. */
  arch?: string;
}

export interface DeployResult {
  plan: DeployPlan;
  /** The output: YAML for k8s and compose, a shell line for docker. */
  text: string;
  /** The same as data: the manifest or Compose document, or docker's arguments. */
  document: Record<string, unknown> | string[];
}

/** Write the deployment of `options.image` for `options.target`. */
export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const ref = parseImageRef(options.image);
  const opened = await openImage(ref, options.arch ? { arch: options.arch } : {});
  const plan = planDeploy(runtimeFacts(opened.config), opened.manifestDigest, options);
  if (ref.transport === "docker-archive" && options.digest === undefined) {
    plan.notes.push(
      "a docker archive holds no manifest digest: the reference is pinned by the image ID, which no registry serves; push the image and pass the registry's digest with --digest",
    );
  }
  return render(plan);
}

/** Format a plan for its target. */
export function render(plan: DeployPlan): DeployResult {
  switch (plan.target) {
    case "k8s":
      return { plan, text: kubernetesYaml(plan), document: kubernetesManifest(plan) };
    case "compose":
      return { plan, text: composeYaml(plan), document: composeDocument(plan) };
    case "docker":
      return { plan, text: `${dockerRunLine(plan)}\n`, document: ["docker", ...dockerRunArgs(plan)] };
  }
}
