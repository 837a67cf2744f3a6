// The worker pod both Kubernetes engines (Argo, Indexed Jobs) run a unit in.
// Its security settings are deploy's `restricted` ones; what is particular
// to a worker is where it writes and what it reads:
//   /cache          emptyDir, CUDASEAL_CACHE_DIR: downloads for this unit
//                   (the registry-backed cache is what workers share);
//   /tmp            emptyDir, also HOME: scratch, as the root is read-only;
//   /docker-config  the registry Secret (type dockerconfigjson), read-only,
//                   its `.dockerconfigjson` as config.json; DOCKER_CONFIG
//                   points there, where cudaseal looks for credentials;
//   CATALOG/out     emptyDir: a build unit writes its OCI layout there
//                   (`-o oci:out/ID`, relative to the catalog) before the
//                   push, and the catalog itself stays read-only.

import { UNIT_OUTPUT_DIR } from "../catalog/index.ts";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../deploy/index.ts";
import type { ResolvedEmitOptions } from "./options.ts";

type Obj = Record<string, unknown>;

export const CACHE_DIR = "/cache";
export const DOCKER_CONFIG_DIR = "/docker-config";

/** The labels every object the engines write carries. */
export function labels(options: ResolvedEmitOptions): Record<string, string> {
  return { "app.kubernetes.io/managed-by": "cudaseal", "app.kubernetes.io/name": options.name };
}

/** metadata for a top-level object: name, namespace, labels. */
export function objectMeta(
  options: ResolvedEmitOptions,
  name: string,
  extra: Record<string, string> = {},
): Obj {
  const meta: Obj = { name };
  if (options.namespace) meta.namespace = options.namespace;
  meta.labels = { ...labels(options), ...extra };
  return meta;
}

/** The worker's volumes: the registry Secret and two emptyDirs. */
export function workerVolumes(options: ResolvedEmitOptions): Obj[] {
  return [
    { name: "cache", emptyDir: {} },
    {
      name: "docker-config",
      secret: {
        secretName: options.registrySecret,
        items: [{ key: ".dockerconfigjson", path: "config.json" }],
        defaultMode: 0o440,
      },
    },
    { name: "out", emptyDir: {} },
    { name: "tmp", emptyDir: {} },
  ];
}

/** The pod-level securityContext: deploy's restricted one for the worker's user. */
export function workerPodSecurityContext(options: ResolvedEmitOptions): Obj {
  return restrictedPodSecurityContext(options.uid, options.gid);
}

/** The worker container: the image, a command, its cwd, the env and mounts above, the restricted context. */
export function workerContainer(
  options: ResolvedEmitOptions,
  spec: { name: string; command: string[]; args?: string[]; workingDir: string },
): Obj {
  const container: Obj = {
    name: spec.name,
    image: options.image,
    imagePullPolicy: "IfNotPresent",
    command: spec.command,
  };
  if (spec.args) container.args = spec.args;
  container.workingDir = spec.workingDir;
  container.env = [
    { name: "CUDASEAL_CACHE_DIR", value: CACHE_DIR },
    { name: "DOCKER_CONFIG", value: DOCKER_CONFIG_DIR },
    { name: "HOME", value: "/tmp" },
  ];
  container.securityContext = restrictedContainerSecurityContext(options.uid, options.gid);
  container.volumeMounts = [
    { name: "cache", mountPath: CACHE_DIR },
    { name: "docker-config", mountPath: DOCKER_CONFIG_DIR, readOnly: true },
    { name: "out", mountPath: `${spec.workingDir}/${UNIT_OUTPUT_DIR}` },
    { name: "tmp", mountPath: "/tmp" },
  ];
  return container;
}
