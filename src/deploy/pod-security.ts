// The Pod Security Standards `restricted` settings, in one place: every pod
// cudaseal writes (deploy's workloads, the catalog's Argo, Job and worker
// pods) runs as a numeric non-root user, with no privilege escalation, every
// capability dropped, the runtime's default seccomp filter and a read-only
// root, and without the service account token or service links it has no
// use for.

type Obj = Record<string, unknown>;

/** A container's securityContext for the `restricted` profile, as `uid:gid`. */
export function restrictedContainerSecurityContext(uid: number, gid: number): Obj {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsGroup: gid,
    runAsNonRoot: true,
    runAsUser: uid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** A pod's securityContext for the `restricted` profile; fsGroup makes mounted volumes the group's. */
export function restrictedPodSecurityContext(uid: number, gid: number): Obj {
  return {
    fsGroup: gid,
    runAsGroup: gid,
    runAsNonRoot: true,
    runAsUser: uid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Pod fields that keep what a workload has no use for out of it: the API token and service env vars. */
export function podWithoutExtras(): Obj {
  return { automountServiceAccountToken: false, enableServiceLinks: false };
}
