// update-alternatives links made without running maintainer scripts: the ones
// postinst scripts declare, and NVIDIA's /usr/local/cuda links.

import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseAlternatives, cudaAlternatives, parseAlternatives } from "../../src/assemble/alternatives.ts";

const present =
  (...dirs: string[]) =>
  (path: string) =>
    dirs.includes(path);

test("/usr/local/cuda and /usr/local/cuda-X point at the newest toolkit folder installed", () => {
  const names = [
    "cuda-cudart-12-8",
    "cuda-toolkit-12-8-config-common",
    "cuda-toolkit-12-config-common",
    "cuda-toolkit-config-common",
    "libcublas-12-9",
    "cuda-cudart-13-0",
    "libnccl2",
    "bash",
  ];
  const links = chooseAlternatives(
    cudaAlternatives(names),
    present("usr/local/cuda-12.8", "usr/local/cuda-12.9", "usr/local/cuda-13.0"),
  );
  assert.deepEqual(
    links.map((a) => `${a.link} -> ${a.path}`),
    [
      "/usr/local/cuda -> /usr/local/cuda-13.0",
      "/usr/local/cuda-12 -> /usr/local/cuda-12.9",
      "/usr/local/cuda-13 -> /usr/local/cuda-13.0",
    ],
  );
  // The order packages come in does not matter.
  assert.deepEqual(
    chooseAlternatives(
      cudaAlternatives([...names].reverse()),
      present("usr/local/cuda-12.8", "usr/local/cuda-12.9", "usr/local/cuda-13.0"),
    ),
    links,
  );
});

test("a toolkit folder that is not in the image gets no link; no NVIDIA package, no links", () => {
  const links = chooseAlternatives(
    cudaAlternatives(["cuda-cudart-12-8", "cuda-cudart-13-0"]),
    present("usr/local/cuda-12.8"),
  );
  assert.deepEqual(
    links.map((a) => `${a.link} -> ${a.path}`),
    ["/usr/local/cuda -> /usr/local/cuda-12.8", "/usr/local/cuda-12 -> /usr/local/cuda-12.8"],
  );
  assert.deepEqual(cudaAlternatives(["libcudart12", "nvidia-cuda-toolkit", "libllvm-17", "bash"]), []);
});

test("they agree with the links NVIDIA's config package declares in its postinst", () => {
  const postinst = [
    "update-alternatives --install /usr/local/cuda cuda /usr/local/cuda-12.8 128",
    "update-alternatives --install /usr/local/cuda-12 cuda-12 /usr/local/cuda-12.8 128",
  ].join("\n");
  const fromScript = parseAlternatives(postinst, "x86_64-linux-gnu");
  const known = cudaAlternatives(["cuda-toolkit-12-8-config-common"]);
  assert.deepEqual(
    [...known].sort((a, b) => a.link.localeCompare(b.link)),
    [...fromScript].sort((a, b) => a.link.localeCompare(b.link)),
  );
});
