// What the resolve benchmark asks apt and `cudaseal resolve` for: the
// top-level packages a preset names (its includes merged), the names it
// leaves to the host, and its suite. The comparison is fair only where apt
// reads the same repositories cudaseal does, so a preset that brings its own
// sources or NVIDIA packages (cuda:, cudnn:, nccl:, python:) is refused.

import { DEFAULT_SUITE } from "../src/apt/sources.ts";
import type { Spec } from "../src/spec/types.ts";

export interface PackageSet {
  /** Top-level packages, in the spec's order, each once. */
  packages: string[];
  /** Names cudaseal leaves to the host (`provided:`); apt has no such notion and installs them. */
  provided: string[];
  suite: string;
  /** Install Recommends too, as the spec asks. */
  recommends: boolean;
}

/** The package set of a loaded spec; throws where apt in a Debian-only root could not be asked the same. */
export function packageSet(spec: Spec): PackageSet {
  const extra = (["sources", "cuda", "cudnn", "nccl", "python"] as const).filter(
    (field) => spec[field] !== undefined,
  );
  if (extra.length > 0) {
    throw new Error(
      `the spec sets ${extra.join(", ")}: the apt root holds Debian's archive only, so apt would not be asked the same`,
    );
  }
  const packages = [...new Set(spec.packages ?? [])];
  if (packages.length === 0) throw new Error("the spec names no packages");
  return {
    packages,
    provided: [...new Set(spec.provided ?? [])],
    suite: spec.suite ?? DEFAULT_SUITE,
    recommends: spec.recommends === true,
  };
}
