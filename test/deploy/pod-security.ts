// The Pod Security Standards, `baseline` and `restricted` profiles, written
// from the published controls (kubernetes.io/docs/concepts/security/
// pod-security-standards, Kubernetes v1.32) as an evaluator over a Pod,
// Deployment or Job manifest: each control's restricted fields and allowed
// values, over every container, init container and ephemeral container.
// Independent of the generator it checks: it reads the manifest as data.

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped data, read field by field
type Obj = Record<string, any>;

/** A control a manifest breaks, by the control's name in the standard. */
export interface Violation {
  control: string;
  profile: "baseline" | "restricted";
  field: string;
}

const BASELINE_CAPABILITIES = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

const SAFE_SYSCTLS = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
]);

const SELINUX_TYPES = new Set([
  "",
  "container_t",
  "container_init_t",
  "container_kvm_t",
  "container_engine_t",
]);
const RESTRICTED_VOLUME_SOURCES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/** The pod template of a Pod, Deployment, Job (or any kind with spec.template). */
export function podOf(manifest: Obj): { metadata: Obj; spec: Obj } {
  if (manifest.kind === "Pod") return { metadata: manifest.metadata ?? {}, spec: manifest.spec ?? {} };
  const template = manifest.spec?.template ?? manifest.spec?.jobTemplate?.spec?.template;
  return { metadata: template?.metadata ?? {}, spec: template?.spec ?? {} };
}

function containersOf(spec: Obj): { path: string; c: Obj }[] {
  return (["containers", "initContainers", "ephemeralContainers"] as const).flatMap((k) =>
    ((spec[k] as Obj[] | undefined) ?? []).map((c, i) => ({ path: `spec.${k}[${i}]`, c })),
  );
}

/** Every control of `profile` (restricted includes baseline) the manifest breaks. */
export function evaluatePodSecurity(manifest: Obj, profile: "baseline" | "restricted"): Violation[] {
  const { metadata, spec } = podOf(manifest);
  const out: Violation[] = [];
  const v = (control: string, p: Violation["profile"], field: string) =>
    out.push({ control, profile: p, field });
  const pod = (spec.securityContext ?? {}) as Obj;
  const containers = containersOf(spec);

  // ---- baseline ----
  if (pod.windowsOptions?.hostProcess === true)
    v("HostProcess", "baseline", "spec.securityContext.windowsOptions.hostProcess");
  for (const ns of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (spec[ns] === true) v("Host Namespaces", "baseline", `spec.${ns}`);
  }
  for (const vol of (spec.volumes ?? []) as Obj[]) {
    if (vol.hostPath !== undefined) v("HostPath Volumes", "baseline", `spec.volumes[${vol.name}].hostPath`);
  }
  const appArmorOk = (t: unknown) => t === undefined || t === "RuntimeDefault" || t === "Localhost";
  if (!appArmorOk(pod.appArmorProfile?.type))
    v("AppArmor", "baseline", "spec.securityContext.appArmorProfile.type");
  for (const [k, val] of Object.entries((metadata.annotations ?? {}) as Record<string, string>)) {
    if (
      k.startsWith("container.apparmor.security.beta.kubernetes.io/") &&
      !(val === "runtime/default" || val.startsWith("localhost/"))
    ) {
      v("AppArmor", "baseline", `metadata.annotations[${k}]`);
    }
  }
  const seLinuxBad = (o: Obj | undefined) =>
    o !== undefined && (!SELINUX_TYPES.has(o.type ?? "") || (o.user ?? "") !== "" || (o.role ?? "") !== "");
  if (seLinuxBad(pod.seLinuxOptions)) v("SELinux", "baseline", "spec.securityContext.seLinuxOptions");
  if (pod.seccompProfile?.type === "Unconfined")
    v("Seccomp", "baseline", "spec.securityContext.seccompProfile.type");
  for (const s of (pod.sysctls ?? []) as Obj[]) {
    if (!SAFE_SYSCTLS.has(s.name)) v("Sysctls", "baseline", `spec.securityContext.sysctls[${s.name}]`);
  }
  for (const { path, c } of containers) {
    const sc = (c.securityContext ?? {}) as Obj;
    if (sc.windowsOptions?.hostProcess === true)
      v("HostProcess", "baseline", `${path}.securityContext.windowsOptions.hostProcess`);
    if (sc.privileged === true) v("Privileged Containers", "baseline", `${path}.securityContext.privileged`);
    for (const cap of (sc.capabilities?.add ?? []) as string[]) {
      if (!BASELINE_CAPABILITIES.has(cap))
        v("Capabilities", "baseline", `${path}.securityContext.capabilities.add[${cap}]`);
    }
    for (const port of (c.ports ?? []) as Obj[]) {
      if (port.hostPort !== undefined && port.hostPort !== 0)
        v("Host Ports", "baseline", `${path}.ports.hostPort`);
    }
    if (!appArmorOk(sc.appArmorProfile?.type))
      v("AppArmor", "baseline", `${path}.securityContext.appArmorProfile.type`);
    if (seLinuxBad(sc.seLinuxOptions)) v("SELinux", "baseline", `${path}.securityContext.seLinuxOptions`);
    if (sc.procMount !== undefined && sc.procMount !== "Default")
      v("/proc Mount Type", "baseline", `${path}.securityContext.procMount`);
    if (sc.seccompProfile?.type === "Unconfined")
      v("Seccomp", "baseline", `${path}.securityContext.seccompProfile.type`);
  }
  if (profile === "baseline") return out;

  // ---- restricted ----
  for (const vol of (spec.volumes ?? []) as Obj[]) {
    const sources = Object.keys(vol).filter((k) => k !== "name");
    if (sources.some((s) => !RESTRICTED_VOLUME_SOURCES.has(s)))
      v("Volume Types", "restricted", `spec.volumes[${vol.name}]`);
  }
  if (pod.runAsUser === 0) v("Running as Non-root user", "restricted", "spec.securityContext.runAsUser");
  if (pod.runAsNonRoot === false) v("Running as Non-root", "restricted", "spec.securityContext.runAsNonRoot");
  if (
    pod.seccompProfile !== undefined &&
    !["RuntimeDefault", "Localhost"].includes(pod.seccompProfile.type)
  ) {
    v("Seccomp", "restricted", "spec.securityContext.seccompProfile.type");
  }
  const seccompOk = (t: unknown) => t === "RuntimeDefault" || t === "Localhost";
  for (const { path, c } of containers) {
    const sc = (c.securityContext ?? {}) as Obj;
    if (sc.allowPrivilegeEscalation !== false) {
      v("Privilege Escalation", "restricted", `${path}.securityContext.allowPrivilegeEscalation`);
    }
    // runAsNonRoot: the pod's true covers a container unless the container says false; else the container must say true.
    const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    if (nonRoot !== true) v("Running as Non-root", "restricted", `${path}.securityContext.runAsNonRoot`);
    if (sc.runAsUser === 0) v("Running as Non-root user", "restricted", `${path}.securityContext.runAsUser`);
    if (!seccompOk(sc.seccompProfile?.type ?? pod.seccompProfile?.type)) {
      v("Seccomp", "restricted", `${path}.securityContext.seccompProfile.type`);
    }
    const drop = (sc.capabilities?.drop ?? []) as string[];
    if (!drop.includes("ALL")) v("Capabilities", "restricted", `${path}.securityContext.capabilities.drop`);
    for (const cap of (sc.capabilities?.add ?? []) as string[]) {
      if (cap !== "NET_BIND_SERVICE")
        v("Capabilities", "restricted", `${path}.securityContext.capabilities.add[${cap}]`);
    }
  }
  return out;
}
