// Which packages compare lists as CUDA libraries: by source package or by the
// libraries a package ships, never by a name prefix, so libcurl4t64, libcups2
// and libnvme1 are not CUDA; and the table that lists them fits 100 columns.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { compareMarkdown, compareTable, type ImageStats } from "../../src/compare/index.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { makeLayer, platformImage } from "../oci/fixture-image.ts";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "cudaseal-compare-cuda-"));
const ENV = {
  ...process.env,
  CUDASEAL_CACHE_DIR: join(dir, "cache"),
  CUDASEAL_DB_URL: "http://127.0.0.1:9/json",
};

/** A status.d record and its md5sums, as cudaseal and distroless keep them. */
function record(name: string, version: string, source: string | undefined, files: Record<string, string>) {
  const control = [
    `Package: ${name}`,
    ...(source ? [`Source: ${source}`] : []),
    `Version: ${version}`,
    "Architecture: amd64",
    "",
  ];
  const sums = Object.entries(files).map(
    ([p, body]) => `${createHash("md5").update(body).digest("hex")}  ${p}\n`,
  );
  return {
    [`var/lib/dpkg/status.d/${name}`]: control.join("\n"),
    [`var/lib/dpkg/status.d/${name}.md5sums`]: sums.join(""),
    ...files,
  };
}

const LOOKALIKES = {
  // Names that start like CUDA's, and the libraries they really ship.
  ...record("libcurl4t64", "8.14.1-2", "curl", { "usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0": "curl" }),
  ...record("libcups2", "2.4.2-3+deb12u8", "cups", { "usr/lib/x86_64-linux-gnu/libcups.so.2": "cups" }),
  ...record("libnvme1", "1.3-1", "libnvme", { "usr/lib/x86_64-linux-gnu/libnvme.so.1.3.0": "nvme" }),
  ...record("libcurand-lookalike", "1.0", undefined, { "usr/lib/x86_64-linux-gnu/libcurandom.so.1": "x" }),
};
const CUDA = {
  // Debian's: the source names it.
  ...record("libcudart12", "12.4.127~12.4.1-2", "nvidia-cuda-toolkit (12.4.1-2)", {
    "usr/lib/x86_64-linux-gnu/libcudart.so.12.4.127": "cudart",
  }),
  // NVIDIA's repository: no Source field, its name is its source.
  ...record("libcublas-12-8", "12.8.4.1-1", undefined, {
    "usr/local/cuda-12.8/targets/x86_64-linux/lib/libcublas.so.12.8.4.1": "cublas",
  }),
  ...record("libnccl2", "2.25.1-1+cuda12.8", undefined, {}),
  // A vendor's package of no CUDA source that bundles cuDNN: found by what it ships.
  ...record("acme-inference", "3.1-1", "acme", { "opt/acme/lib/libcudnn_ops.so.9.8.0": "ops" }),
};
const plain = `oci:${join(dir, "plain")}`;
const cuda = `oci:${join(dir, "cuda")}`;
const cudaOnly = `oci:${join(dir, "cuda-only")}`;

before(async () => {
  const os = { "etc/os-release": 'ID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n' };
  await writeOciLayout(join(dir, "plain"), {
    platforms: [platformImage("amd64", [makeLayer(dir, "plain", { ...os, ...LOOKALIKES })])],
    tag: "v1",
  });
  await writeOciLayout(join(dir, "cuda"), {
    platforms: [platformImage("amd64", [makeLayer(dir, "cuda", { ...os, ...LOOKALIKES, ...CUDA })])],
    tag: "v1",
  });
  await writeOciLayout(join(dir, "cuda-only"), {
    platforms: [platformImage("amd64", [makeLayer(dir, "cuda-only", { ...os, ...CUDA })])],
    tag: "v1",
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function compareJson(a: string, b: string): ImageStats[] {
  const r = spawnSync(process.execPath, [BIN, "compare", a, b, "--no-cves", "--arch", "amd64", "--json"], {
    encoding: "utf8",
    env: ENV,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).images;
}

const CUDA_LIST = [
  { name: "acme-inference", version: "3.1-1" },
  { name: "libcublas-12-8", version: "12.8.4.1-1" },
  { name: "libcudart12", version: "12.4.127~12.4.1-2" },
  { name: "libnccl2", version: "2.25.1-1+cuda12.8" },
];

test("lookalike names are not CUDA libraries; sources and shipped sonames are, with the lookalikes present or absent", () => {
  const [lookalikes, both] = compareJson(plain, cuda);
  assert.equal(lookalikes.packages, 4);
  assert.deepEqual(
    lookalikes.cudaLibraries,
    [],
    "libcurl4t64, libcups2, libnvme1 and a libcurand lookalike are not CUDA",
  );
  assert.deepEqual(both.cudaLibraries, CUDA_LIST);
  const [withThem, without] = compareJson(cuda, cudaOnly);
  assert.equal(withThem.packages, without.packages + 4);
  assert.deepEqual(without.cudaLibraries, CUDA_LIST);
  assert.deepEqual(withThem.cudaLibraries, without.cudaLibraries);
});

/** An image's numbers as a CUDA runtime image and a hardened one have them. */
function stats(image: string, over: Partial<ImageStats>): ImageStats {
  return {
    image,
    compressedSize: 1_503_238_553,
    uncompressedSize: 3_758_096_384,
    layers: 11,
    packages: 141,
    pythonPackages: 0,
    files: 31_207,
    setuidFiles: [
      "/usr/bin/chfn",
      "/usr/bin/chsh",
      "/usr/bin/gpasswd",
      "/usr/bin/mount",
      "/usr/bin/newgrp",
      "/usr/bin/passwd",
      "/usr/bin/su",
      "/usr/bin/umount",
    ],
    shells: ["/bin/bash", "/bin/dash", "/bin/sh", "/usr/bin/bash", "/usr/bin/dash", "/usr/bin/sh"],
    packageManagers: ["apt", "dpkg"],
    user: "root",
    cves: { critical: 2, high: 31, medium: 118, low: 54, negligible: 211, unknown: 40 },
    cudaLibraries: [],
    ...over,
  };
}

// NVIDIA's cuda:12.8.1-cudnn-runtime-ubuntu24.04 library packages and versions (test/helpers/nvidia-packages.ts cites where they come from).
const NVIDIA_LIBS = [
  ["cuda-compat-12-8", "570.124.06-0ubuntu1"],
  ["cuda-cudart-12-8", "12.8.90-1"],
  ["cuda-libraries-12-8", "12.8.1-1"],
  ["cuda-nvrtc-12-8", "12.8.93-1"],
  ["cuda-nvtx-12-8", "12.8.90-1"],
  ["cuda-opencl-12-8", "12.8.90-1"],
  ["cuda-toolkit-12-8-config-common", "12.8.90-1"],
  ["cuda-toolkit-12-config-common", "12.8.90-1"],
  ["cuda-toolkit-config-common", "12.8.90-1"],
  ["libcublas-12-8", "12.8.4.1-1"],
  ["libcudnn9-cuda-12", "9.8.0.87-1"],
  ["libcufft-12-8", "11.3.3.83-1"],
  ["libcufile-12-8", "1.13.1.3-1"],
  ["libcurand-12-8", "10.3.9.90-1"],
  ["libcusolver-12-8", "11.7.3.90-1"],
  ["libcusparse-12-8", "12.5.8.93-1"],
  ["libnccl2", "2.25.1-1+cuda12.8"],
  ["libnpp-12-8", "12.3.3.100-1"],
  ["libnvfatbin-12-8", "12.8.90-1"],
  ["libnvjitlink-12-8", "12.8.93-1"],
  ["libnvjpeg-12-8", "12.3.5.92-1"],
].map(([name, version]) => ({ name, version }));

const REALISTIC = [
  stats("docker-archive:nvidia-cuda-12.8.1-cudnn-runtime-ubuntu24.04.tar", { cudaLibraries: NVIDIA_LIBS }),
  stats("oci:out/cuda-runtime", {
    compressedSize: 612_368_384,
    uncompressedSize: 1_395_864_371,
    layers: 6,
    packages: 23,
    files: 1_402,
    setuidFiles: [],
    shells: [],
    packageManagers: [],
    user: "65532:65532",
    cves: { critical: 0, high: 1, medium: 3, low: 2, negligible: 9, unknown: 1 },
    cudaLibraries: NVIDIA_LIBS.filter((l) => l.name.startsWith("lib")).map((l) => ({
      ...l,
      name: l.name.replace(/-12-8$/, "12"),
    })),
  }),
];

test("a realistic comparison fits 100 columns, and a narrow terminal, with every library listed once", () => {
  for (const width of [100, 72]) {
    const text = compareTable(REALISTIC, { width });
    const widest = Math.max(...text.split("\n").map((l) => l.length));
    assert.ok(widest <= width, `widest line ${widest} > ${width}:\n${text}`);
    const section = text.slice(text.indexOf("\nCUDA libraries\n"));
    for (const s of REALISTIC)
      for (const l of s.cudaLibraries) assert.match(section, new RegExp(`^${l.name}\\s`, "m"));
    assert.match(text, /^CUDA libraries\s+21\s+12$/m, "the main table counts them");
  }
  // The old inline list made one line of hundreds of characters.
  assert.ok(NVIDIA_LIBS.map((l) => `${l.name} ${l.version}`).join(", ").length > 500);
});

test("the Markdown has the libraries as a section of their own, one row each, and escapes image names", () => {
  const md = compareMarkdown([REALISTIC[0], { ...REALISTIC[1], image: "oci:out/<b>x</b>|y" }], {
    headingLevel: 3,
  });
  const lines = md.trimEnd().split("\n");
  assert.equal(
    lines[0],
    "### cudaseal compare: docker-archive:nvidia-cuda-12.8.1-cudnn-runtime-ubuntu24.04.tar vs oci:out/&lt;b&gt;x&lt;/b&gt;\\|y",
  );
  assert.ok(lines.includes("#### CUDA libraries"));
  assert.ok(lines.includes("| libcublas-12-8 | 12.8.4.1-1 | - |"));
  assert.ok(lines.includes("| libcublas12 | - | 12.8.4.1-1 |"));
  assert.ok(lines.includes("| CUDA libraries | 21 | 12 |"));
  assert.ok(!md.includes("<b>"));
});

test("however many libraries, the Markdown stays under 65,536 characters and says what it left out", () => {
  const many = Array.from({ length: 5_000 }, (_, i) => ({
    name: `libcublas-${i}|<i>`,
    version: `12.${i}-1`,
  }));
  const md = compareMarkdown([
    { ...REALISTIC[0], cudaLibraries: many },
    { ...REALISTIC[1], cudaLibraries: [] },
  ]);
  assert.ok(md.length < 65_536, `${md.length} characters`);
  const rows = md.split("\n").filter((l) => l.startsWith("| libcublas-"));
  assert.ok(rows.length > 50 && rows.length < 5_000, `${rows.length} rows`);
  assert.match(md, new RegExp(`\\n…and ${5_000 - rows.length} more; see the JSON/SARIF output\\n$`));
  assert.ok(!md.includes("<i>"));
});
