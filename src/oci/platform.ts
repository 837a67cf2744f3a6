// Platforms as OCI names them. Debian and OCI agree on amd64, arm64, s390x
// and riscv64 but not on the rest, and OCI wants arm64's variant spelled out
// (`v8`) so that clients choosing from an index match it exactly.

import { CudasealError } from "../errors.ts";

/** The `platform` of an index entry, and the platform fields of an image config. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** Debian architecture → OCI architecture and variant. */
const FROM_DEBIAN: Readonly<Record<string, { architecture: string; variant?: string }>> = {
  amd64: { architecture: "amd64" },
  arm64: { architecture: "arm64", variant: "v8" },
  armhf: { architecture: "arm", variant: "v7" },
  armel: { architecture: "arm", variant: "v5" },
  i386: { architecture: "386" },
  ppc64el: { architecture: "ppc64le" },
  s390x: { architecture: "s390x" },
  riscv64: { architecture: "riscv64" },
};

/** OCI architectures that need no mapping, with arm64's implied variant. */
const OCI_NAMES: Readonly<Record<string, { architecture: string; variant?: string }>> = {
  amd64: { architecture: "amd64" },
  arm64: { architecture: "arm64", variant: "v8" },
  arm: { architecture: "arm" },
  "386": { architecture: "386" },
  ppc64le: { architecture: "ppc64le" },
  s390x: { architecture: "s390x" },
  riscv64: { architecture: "riscv64" },
};

/** The Linux platform for a Debian or OCI architecture name (`arm64` → arm64/v8, `armhf` → arm/v7). */
export function linuxPlatform(arch: string, variant?: string): Platform {
  const known = FROM_DEBIAN[arch] ?? OCI_NAMES[arch];
  if (known === undefined) {
    throw new CudasealError("IMAGE_INVALID", `unknown architecture ${JSON.stringify(arch)}`, {
      hint: `use one of ${Object.keys(FROM_DEBIAN).join(", ")}`,
    });
  }
  const v = variant ?? known.variant;
  return v === undefined
    ? { architecture: known.architecture, os: "linux" }
    : { architecture: known.architecture, os: "linux", variant: v };
}

/** `os/architecture[/variant]`, the usual way to print a platform. */
export function platformString(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/** True when two platforms are the same, treating a missing variant as its own value. */
export function samePlatform(a: Platform, b: Platform): boolean {
  return a.architecture === b.architecture && a.os === b.os && (a.variant ?? "") === (b.variant ?? "");
}

/**
 * True when `p` is what the user meant by `arch`: the platform's own
 * architecture name, a Debian name that maps to it, or `arch/variant`.
 */
export function platformMatches(p: Platform, arch: string): boolean {
  if (arch.includes("/")) {
    const [a, v] = arch.split("/", 2);
    return p.architecture === a && (p.variant ?? "") === v;
  }
  if (p.architecture === arch) return true;
  const debian = FROM_DEBIAN[arch];
  return debian !== undefined && samePlatform(p, { os: p.os, ...debian });
}
