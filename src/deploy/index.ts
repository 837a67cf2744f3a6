// What other parts of cudaseal may use of deploy.

export { composeDocument, composeYaml } from "./compose.ts";
export { type DeployOptions, type DeployResult, deploy, render } from "./deploy.ts";
export { dockerRunArgs, dockerRunLine, shellQuote } from "./docker-run.ts";
export { kubernetesManifest, kubernetesYaml } from "./kubernetes.ts";
export {
  type DeployPlan,
  type DeployPlanOptions,
  type DeployTarget,
  type PlannedMount,
  parseSize,
  planDeploy,
  type WorkloadKind,
} from "./plan.ts";
export {
  podWithoutExtras,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from "./pod-security.ts";
