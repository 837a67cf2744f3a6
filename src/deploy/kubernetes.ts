// A Kubernetes Deployment, Job or Pod for the plan, meeting the Pod
// Security Standards' `restricted` profile: non-root numeric user, no
// privilege escalation, every capability dropped, RuntimeDefault seccomp,
// a read-only root with emptyDir volumes where the image writes, and no
// service account token. GPUs are `nvidia.com/gpu` limits for the device
// plugin; shared memory is a memory-backed emptyDir at /dev/shm.

import { stringify } from "yaml";
import type { DeployPlan } from "./plan.ts";
import {
  podWithoutExtras,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from "./pod-security.ts";
import { kubernetesCpu, kubernetesQuantity } from "./sizes.ts";

type Obj = Record<string, unknown>;

function podSpec(plan: DeployPlan): Obj {
  const mounts = plan.mounts.map((m) => ({ name: m.name, mountPath: m.path }));
  const volumes: Obj[] = plan.mounts.map((m) => ({ name: m.name, emptyDir: {} }));
  if (plan.shmBytes !== undefined) {
    mounts.push({ name: "dshm", mountPath: "/dev/shm" });
    volumes.push({
      name: "dshm",
      emptyDir: { medium: "Memory", sizeLimit: kubernetesQuantity(plan.shmBytes) },
    });
  }
  mounts.sort((a, b) => (a.mountPath < b.mountPath ? -1 : 1));
  volumes.sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : 1));

  const limits: Obj = {};
  if (plan.milliCpu !== undefined) limits.cpu = kubernetesCpu(plan.milliCpu);
  if (plan.memoryBytes !== undefined) limits.memory = kubernetesQuantity(plan.memoryBytes);
  if ("count" in plan.gpus && plan.gpus.count > 0) limits["nvidia.com/gpu"] = String(plan.gpus.count);

  const container: Obj = {
    name: plan.name,
    image: plan.image,
    imagePullPolicy: "IfNotPresent",
  };
  const env = Object.entries(plan.env).map(([name, value]) => ({ name, value }));
  if (env.length) container.env = env;
  if (plan.ports.length) {
    container.ports = plan.ports.map((p) => ({ containerPort: p.port, protocol: p.protocol }));
  }
  // Requests equal to limits: the pod gets what it asks for (and Guaranteed QoS when cpu and memory are given).
  if (Object.keys(limits).length) container.resources = { limits, requests: { ...limits } };
  container.securityContext = restrictedContainerSecurityContext(plan.uid, plan.gid);
  if (mounts.length) container.volumeMounts = mounts;

  const spec: Obj = podWithoutExtras();
  if (plan.runtimeClass) spec.runtimeClassName = plan.runtimeClass;
  if (plan.kind === "Job") spec.restartPolicy = "Never";
  spec.securityContext = restrictedPodSecurityContext(plan.uid, plan.gid);
  spec.containers = [container];
  if (volumes.length) spec.volumes = volumes;
  return spec;
}

/** The manifest as an object, for --json and the schema tests. */
export function kubernetesManifest(plan: DeployPlan): Obj {
  const labels = { "app.kubernetes.io/name": plan.name, "app.kubernetes.io/managed-by": "cudaseal" };
  const metadata: Obj = { name: plan.name };
  if (plan.namespace) metadata.namespace = plan.namespace;
  metadata.labels = labels;
  // A copy: a shared object would come out as a YAML anchor and alias.
  const template = { metadata: { labels: { ...labels } }, spec: podSpec(plan) };
  switch (plan.kind) {
    case "Pod":
      return { apiVersion: "v1", kind: "Pod", metadata, spec: template.spec };
    case "Job":
      return { apiVersion: "batch/v1", kind: "Job", metadata, spec: { backoffLimit: 0, template } };
    case "Deployment":
      return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata,
        spec: { replicas: 1, selector: { matchLabels: { "app.kubernetes.io/name": plan.name } }, template },
      };
  }
}

/** The manifest as YAML, the same bytes for the same plan. */
export function kubernetesYaml(plan: DeployPlan): string {
  return stringify(kubernetesManifest(plan), { lineWidth: 0, aliasDuplicateObjects: false });
}
