// The host's architecture, by Debian's name, for what a user names no
// platform for: which image of an index to read, which architecture a
// one-platform build makes. Node names CPUs its own way (x64, ia32, ppc64);
// Debian's names are what builds, locks and `--arch` use, and the platform
// code maps them to OCI's (oci/platform.ts).

import { arch, endianness } from "node:os";

/** What the mapping needs of the machine besides Node's CPU name. */
export interface HostCpu {
  /** `process.arch`: x64, arm64, arm, ia32, ppc64, s390x, riscv64, loong64, mips64el… */
  arch: string;
  /** `os.endianness()`: splits Node's one `ppc64` into Debian's ppc64el and ppc64. */
  endianness: "LE" | "BE";
  /** Node's `arm_version` build variable: 7 is armhf, 6 and below armel. */
  armVersion?: string;
}

// Node's name → Debian's, where they differ or are both in use.
const DEBIAN: Readonly<Record<string, string>> = {
  x64: "amd64",
  arm64: "arm64",
  ia32: "i386",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  mipsel: "mipsel",
  mips64el: "mips64el",
  ppc: "powerpc",
  s390: "s390",
};

/** The Debian architecture of a machine Node describes as `cpu`; undefined for one Debian has no name for. */
export function debianArch(cpu: HostCpu): string | undefined {
  if (cpu.arch === "ppc64") return cpu.endianness === "LE" ? "ppc64el" : "ppc64";
  if (cpu.arch === "arm") return Number(cpu.armVersion ?? "7") >= 7 ? "armhf" : "armel";
  return Object.hasOwn(DEBIAN, cpu.arch) ? DEBIAN[cpu.arch] : undefined;
}

/** This host's Debian architecture (Node's own name when Debian has none). */
export function hostArch(): string {
  const armVersion = (process.config.variables as { arm_version?: string }).arm_version;
  return debianArch({ arch: arch(), endianness: endianness(), armVersion }) ?? arch();
}
