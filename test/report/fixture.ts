// The images the report tests read, written by the project's own OCI
// writer: a small hardened Debian image (the source fixture's layers and an
// os-release), an nvidia/cuda-like one (Ubuntu's layout with a shell, apt,
// a setuid passwd, a dpkg database with its .list files, CUDA libraries and
// NVIDIA's environment), and a hostile one whose file names, layer history,
// Python licence and advisory texts carry markup and script.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildImageConfig } from "../../src/oci/image-config.ts";
import type { LayerBlob } from "../../src/oci/image-plan.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { composition } from "../../src/report/composition.ts";
import type { ImageReport, ReportData, VulnRow } from "../../src/report/index.ts";
import type { FileInfo, ImageFilesystem } from "../../src/source/filesystem.ts";
import { type LayerFiles, makeLayer } from "../oci/fixture-image.ts";
import { TRACKER } from "../scan/fixture.ts";
import { makeImages } from "../source/fixture.ts";

export interface ReportImages {
  hardened: string;
  cuda: string;
  hostile: string;
  /** A tracker JSON whose advisories match the hardened and hostile images. */
  tracker: string;
  hostileTracker: string;
}

/** A payload that, were it ever parsed as markup, sets `window.__pwned` or opens a dialog. */
export const PAYLOADS = [
  "<script>window.__pwned=1;alert(1)</script>",
  '<img src=x onerror="window.__pwned=2;alert(2)">',
  "</script><script>window.__pwned=3</script>",
  "\u2028<svg onload=window.__pwned=4>",
];

const CREATED = new Date("2025-01-02T03:04:05Z");

function layout(
  dir: string,
  name: string,
  layers: LayerBlob[],
  extra: { user?: string; env?: string[]; history?: string[] } = {},
) {
  return writeOciLayout(join(dir, name), {
    platforms: [
      {
        config: buildImageConfig({
          arch: "amd64",
          created: CREATED,
          ...(extra.user === undefined ? {} : { user: extra.user }),
          ...(extra.env === undefined ? {} : { env: extra.env }),
          layers: layers.map((l, i) => ({
            diffId: l.diffId,
            createdBy: extra.history?.[i] ?? `${name} layer ${i}`,
          })),
        }),
        layers,
      },
    ],
    tag: "v1",
  });
}

/** dpkg status paragraphs and .list files for `packages` (name → [version, source?, files]). */
function dpkg(
  packages: Record<string, [string, string | undefined, string[]]>,
  description = "a package",
): LayerFiles {
  const files: LayerFiles = {};
  const status: string[] = [];
  for (const [name, [version, source, paths]] of Object.entries(packages)) {
    status.push(
      [
        `Package: ${name}`,
        "Status: install ok installed",
        `Version: ${version}`,
        "Architecture: amd64",
        ...(source ? [`Source: ${source}`] : []),
        `Description: ${description}`,
      ].join("\n"),
    );
    files[`var/lib/dpkg/info/${name}.list`] = `${paths.map((p) => `/${p}`).join("\n")}\n`;
  }
  files["var/lib/dpkg/status"] = `${status.join("\n\n")}\n`;
  return files;
}

/** A machine-readable Debian copyright file declaring `license`. */
function copyright(license: string): string {
  return `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: someone\nLicense: ${license}\n`;
}

/** Write the three images and the trackers under `dir`. */
export async function makeReportImages(dir: string): Promise<ReportImages> {
  const { single } = makeImages(dir);
  const [base, top] = single.platforms[0].layers;
  const os = makeLayer(dir, "hardened-os", { "etc/os-release": 'ID=debian\nVERSION_ID="12"\n' });
  await layout(dir, "cuda-runtime", [base, top, os], { user: "1000:1000" });

  const big = (n: number) => "x".repeat(n);
  const ubuntu = makeLayer(
    dir,
    "ubuntu",
    {
      "etc/os-release": 'ID=ubuntu\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n',
      "usr/bin/bash": big(120_000),
      "bin/sh": "#!dash\n",
      "usr/bin/apt-get": big(30_000),
      "usr/bin/dpkg": big(40_000),
      "usr/bin/passwd": big(5_000),
      "usr/lib/x86_64-linux-gnu/libc.so.6": big(200_000),
      "usr/share/doc/bash/copyright": copyright("GPL-3+"),
      "usr/share/doc/libc6/copyright": copyright("LGPL-2.1+"),
      "usr/share/doc/dpkg/copyright": copyright("GPL-2+"),
      // Debian's way for a family of packages: one doc folder, the others linking to it.
      "usr/share/doc/cuda-cudart-12-4/copyright": copyright("MIT"),
      "usr/share/doc/libcublas-12-4": { symlink: "cuda-cudart-12-4" },
      ...dpkg({
        bash: ["5.1-6ubuntu1", undefined, ["usr/bin/bash"]],
        apt: ["2.4.12", undefined, ["usr/bin/apt-get"]],
        dpkg: ["1.21.1ubuntu2", undefined, ["usr/bin/dpkg"]],
        passwd: ["1:4.8.1-2ubuntu2", "shadow", ["usr/bin/passwd"]],
        libc6: ["2.35-0ubuntu3.8", "glibc", ["usr/lib/x86_64-linux-gnu/libc.so.6"]],
        "libcublas-12-4": ["12.4.5.8-1", undefined, ["usr/local/cuda-12.4/lib64/libcublas.so.12"]],
        "cuda-cudart-12-4": ["12.4.127-1", undefined, ["usr/local/cuda-12.4/lib64/libcudart.so.12"]],
      }),
    },
    { "usr/bin/passwd": 0o4755 },
  );
  const cudaLibs = makeLayer(dir, "cuda-libs", {
    "usr/local/cuda-12.4/lib64/libcublas.so.12": big(600_000),
    "usr/local/cuda-12.4/lib64/libcudart.so.12": big(150_000),
  });
  await layout(dir, "nvidia-cuda", [ubuntu, cudaLibs], {
    env: ["PATH=/usr/local/cuda/bin:/usr/bin:/bin", "CUDA_VERSION=12.4.1", "NVIDIA_REQUIRE_CUDA=cuda>=12.4"],
    history: ["/bin/sh -c #(nop) ADD file:ubuntu in /", "RUN apt-get install -y cuda-libraries-12-4"],
  });

  const hostile = makeLayer(dir, "hostile", {
    "etc/os-release": 'ID=debian\nVERSION_ID="12"\n',
    [`opt/${PAYLOADS[0]}/x`]: "a\n",
    [`opt/${PAYLOADS[1]}.so`]: "b\n",
    [`opt/${PAYLOADS[3]}`]: "c\n",
    "usr/lib/python3/dist-packages/evil-1.0.dist-info/METADATA": `Metadata-Version: 2.1\nName: evil\nVersion: 1.0\nLicense: ${PAYLOADS[1]}\n`,
    ...dpkg({ libc6: ["2.36-9+deb12u4", "glibc", ["opt/x"]] }, PAYLOADS[0]),
  });
  await layout(dir, "hostile", [hostile], { history: [`RUN echo '${PAYLOADS[2]}'`] });

  const tracker = join(dir, "tracker.json");
  writeFileSync(tracker, JSON.stringify(TRACKER));
  const hostileTracker = join(dir, "hostile-tracker.json");
  // Every advisory text the tracker has, as the payloads.
  const evil = JSON.stringify(TRACKER).replace(
    /"description":"[^"]*"/g,
    `"description":${JSON.stringify(PAYLOADS.join(" "))}`,
  );
  writeFileSync(hostileTracker, evil);
  return {
    hardened: `oci:${join(dir, "cuda-runtime")}`,
    cuda: `oci:${join(dir, "nvidia-cuda")}`,
    hostile: `oci:${join(dir, "hostile")}`,
    tracker,
    hostileTracker,
  };
}

/** A report of `packages` packages of 30 files each over two layers, with `findings`, made by composition(). */
export function syntheticReport(packages: number, findings: VulnRow[]): ReportData {
  const files = new Map<string, FileInfo>();
  const contents = new Map<string, Buffer>();
  const lists: string[] = [];
  for (let p = 0; p < packages; p++) {
    const paths: string[] = [];
    for (let f = 0; f < 30; f++) {
      const path = `/usr/lib/pkg-${p}/sub-${f % 6}/file-${f}.so`;
      paths.push(path);
      files.set(path, { type: "file", mode: 0o644, uid: 0, gid: 0, size: 1000 + f * 37 + p, layer: p % 2 });
    }
    contents.set(`/var/lib/dpkg/info/pkg-${p}.list`, Buffer.from(paths.join("\n")));
    lists.push(`Package: pkg-${p}\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n`);
  }
  const fs: ImageFilesystem = { files, contents, tooLarge: new Set(), digests: new Map() };
  const installed = Array.from({ length: packages }, (_, p) => ({
    name: `pkg-${p}`,
    version: "1.0-1",
    arch: "amd64",
    manager: "dpkg" as const,
  }));
  const { tree, layers } = composition({
    fs,
    packages: installed,
    python: [],
    layers: [
      { digest: "sha256:aa", size: 1 },
      { digest: "sha256:bb", size: 2 },
    ],
    config: {},
    cudaPackages: new Set(),
    name: "synthetic",
  });
  const total = [...files.values()].reduce((n, f) => n + f.size, 0);
  const counts = { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 };
  const vulnCounts = Object.fromEntries(
    Object.keys(counts).map((k) => [k, { fixed: 0, open: 0 }]),
  ) as ImageReport["vulnerabilities"]["counts"];
  for (const f of findings) vulnCounts[f.severity][f.status === "fixed" ? "fixed" : "open"]++;
  const image: ImageReport = {
    ref: "oci:synthetic",
    digest: "sha256:cc",
    platform: "linux/amd64",
    stats: {
      image: "oci:synthetic",
      compressedSize: 3,
      uncompressedSize: total,
      layers: 2,
      packages,
      pythonPackages: 0,
      files: files.size,
      setuidFiles: [],
      shells: [],
      packageManagers: [],
      user: "65532",
      cudaLibraries: [],
    },
    cuda: {},
    tree,
    layers,
    vulnerabilities: { scanned: true, release: "trixie", findings, counts: vulnCounts, suppressed: 0 },
    audit: { findings: [], counts: { critical: 0, high: 0, medium: 0, low: 0, info: 0 } },
    licenses: [{ license: "unknown", packages, size: total }],
    signatures: { checked: true, signatures: 1, attestations: 0, referrers: 0 },
  };
  return { schemaVersion: 1, generated: "2026-01-01T00:00:00.000Z", images: [image], warnings: [] };
}
