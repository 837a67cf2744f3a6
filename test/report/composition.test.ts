// The composition tree marks as CUDA exactly what compare lists: packages by
// source or by the libraries they ship, files by CUDA's library stems, so
// libnvidia-container (the container toolkit) and libcurl stay unmarked.

import assert from "node:assert/strict";
import { test } from "node:test";
import { imageStats } from "../../src/compare/index.ts";
import { composition } from "../../src/report/composition.ts";
import type { TreeNode } from "../../src/report/index.ts";
import type { FileInfo, ImageFilesystem } from "../../src/source/filesystem.ts";
import type { OpenedImage } from "../../src/source/image-source.ts";
import { installedPackages } from "../../src/source/packages.ts";

const PACKAGES: Record<string, { source?: string; files: string[] }> = {
  "libnvidia-container1": { files: ["/usr/lib/x86_64-linux-gnu/libnvidia-container.so.1"] },
  libcurl4t64: { source: "curl", files: ["/usr/lib/x86_64-linux-gnu/libcurl.so.4"] },
  "libcublas-dev-12-4": { files: ["/usr/local/cuda-12.4/lib64/libcublas_static.a"] },
  "acme-runtime": { files: ["/opt/acme/lib/libcudnn.so.9"] },
};

function filesystem(): ImageFilesystem {
  const files = new Map<string, FileInfo>();
  const contents = new Map<string, Buffer>();
  const status: string[] = [];
  for (const [name, p] of Object.entries(PACKAGES)) {
    status.push(
      [
        `Package: ${name}`,
        "Status: install ok installed",
        "Version: 1.0-1",
        "Architecture: amd64",
        ...(p.source ? [`Source: ${p.source}`] : []),
      ].join("\n"),
    );
    contents.set(`/var/lib/dpkg/info/${name}.list`, Buffer.from(`${p.files.join("\n")}\n`));
    for (const f of p.files)
      files.set(f, { type: "file", mode: 0o644, uid: 0, gid: 0, size: 1000, layer: 0 });
  }
  contents.set("/var/lib/dpkg/status", Buffer.from(`${status.join("\n\n")}\n`));
  for (const path of contents.keys()) {
    files.set(path, { type: "file", mode: 0o644, uid: 0, gid: 0, size: 0, layer: 0 });
  }
  return { files, contents, tooLarge: new Set(), digests: new Map() };
}

function cudaNames(node: TreeNode): string[] {
  const own = node.cuda === true && (node.kind === "package" || node.kind === "file") ? [node.name] : [];
  return [...own, ...(node.children ?? []).flatMap(cudaNames)];
}

test("the tree marks compare's CUDA packages and CUDA's library files, not libnvidia-container or libcurl", () => {
  const fs = filesystem();
  const packages = installedPackages(fs);
  const image = { layers: [{ digest: "sha256:0", size: 1 }], config: {} } as unknown as OpenedImage;
  const stats = imageStats("oci:x", image, fs, packages, []);
  const { tree } = composition({
    fs,
    packages,
    python: [],
    layers: image.layers,
    config: {},
    name: "oci:x",
    cudaPackages: new Set(stats.cudaLibraries.map((l) => l.name)),
  });
  assert.deepEqual(cudaNames(tree).sort(), [
    "acme-runtime",
    "libcublas-dev-12-4",
    "libcublas_static.a",
    "libcudnn.so.9",
  ]);
});
