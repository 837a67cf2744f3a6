// A small lock for provenance tests: two architectures sharing one `all` package.

import type { LockedPackage } from "../../src/apt/types.ts";
import type { Lock } from "../../src/resolve/lock.ts";

function pkg(name: string, version: string, arch: "amd64" | "arm64" | "all", hex: string): LockedPackage {
  return {
    name,
    version,
    arch: arch as LockedPackage["arch"],
    source: name,
    sourceVersion: version,
    url: `http://127.0.0.1:9/debian/pool/main/${name[0]}/${name}/${name}_${version}_${arch}.deb`,
    filename: `pool/main/${name[0]}/${name}/${name}_${version}_${arch}.deb`,
    size: 1000,
    sha256: hex.repeat(64),
    dependsOn: [],
  };
}

export const LOCK: Lock = {
  lockfileVersion: 1,
  request: { packages: ["libcudart12"], arches: ["amd64", "arm64"] },
  sources: [{ uri: "http://127.0.0.1:9/debian", suite: "trixie", component: "main" }],
  arches: {
    amd64: [
      pkg("ca-certificates", "20250419", "all", "c"),
      pkg("libcudart12", "12.4.127~12.4.1-2", "amd64", "a"),
    ],
    arm64: [
      pkg("ca-certificates", "20250419", "all", "c"),
      pkg("libcudart12", "12.4.127~12.4.1-2", "arm64", "b"),
    ],
  },
};
