// A fake host for doctor: a directory tree standing in for /proc, /dev,
// /sys and /etc (device nodes as plain files), and a bin directory with a
// real executable nvidia-smi script and toolkit programs for PATH.

import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export const PROC_VERSION_550 = `NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024
GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)
`;

export const PROC_VERSION_OPEN_535 = `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  535.183.01  Release Build  (dvs-builder@U16-I3-B03-4-3)  Sun May 12 19:39:15 UTC 2024
GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)
`;

export const CDI_SPEC = (driver: string) => `---
cdiVersion: 0.5.0
kind: nvidia.com/gpu
devices:
- name: "0"
  containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
containerEdits:
  mounts:
  - hostPath: /usr/lib/x86_64-linux-gnu/libcuda.so.${driver}
    containerPath: /usr/lib/x86_64-linux-gnu/libcuda.so.${driver}
`;

export interface FakeHost {
  root: string;
  bin: string;
  /** Write a host file (path from the fake root). */
  file(path: string, content: string): void;
  /** An executable script on the fake PATH. */
  program(name: string, script: string): void;
}

export function fakeHost(dir: string): FakeHost {
  const root = join(dir, "root");
  const bin = join(dir, "bin");
  mkdirSync(root, { recursive: true });
  mkdirSync(bin, { recursive: true });
  const file = (path: string, content: string) => {
    const at = join(root, path);
    mkdirSync(dirname(at), { recursive: true });
    writeFileSync(at, content);
  };
  const program = (name: string, script: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  return { root, bin, file, program };
}

/** A host with everything in place: driver 550.54.15 on an H100, toolkit, Docker, containerd, CDI, cgroup v2. */
export function healthyHost(dir: string): FakeHost {
  const h = fakeHost(dir);
  h.file("proc/driver/nvidia/version", PROC_VERSION_550);
  for (const node of ["nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools"])
    h.file(`dev/${node}`, "");
  mkdirSync(join(h.root, "dev/nvidia-caps"), { recursive: true });
  mkdirSync(join(h.root, "dev/shm"), { recursive: true });
  h.file(
    "etc/docker/daemon.json",
    JSON.stringify({
      runtimes: { nvidia: { args: [], path: "nvidia-container-runtime" } },
      features: { cdi: true },
    }),
  );
  h.file(
    "etc/containerd/conf.d/99-nvidia.toml",
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]\n  runtime_type = "io.containerd.runc.v2"\n',
  );
  h.file("etc/cdi/nvidia.yaml", CDI_SPEC("550.54.15"));
  h.file("proc/self/cgroup", "0::/user.slice/user-1000.slice/session-3.scope\n");
  h.file("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
  h.file("sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/memory.max", "68719476736\n");
  h.file("sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/cpu.max", "800000 100000\n");
  h.file("proc/sys/user/max_user_namespaces", "63704\n");
  h.file("proc/sys/kernel/unprivileged_userns_clone", "1\n");
  h.program(
    "nvidia-smi",
    `[ "$1" = "--query-gpu=driver_version,name" ] || exit 2
echo "550.54.15, NVIDIA H100 80GB HBM3"
echo "550.54.15, NVIDIA H100 80GB HBM3"`,
  );
  h.program("nvidia-ctk", "echo 'NVIDIA Container Toolkit CLI version 1.17.8'");
  h.program("nvidia-container-runtime", "exit 0");
  return h;
}
