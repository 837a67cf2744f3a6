// Sonames an image holds twice, read from its tree: by the ELF's own
// DT_SONAME (a versioned file counts under its soname), regular files only,
// the largest first by what choosing one source would save.

import assert from "node:assert/strict";
import { test } from "node:test";
import { duplicateLibraries } from "../../src/build/duplicate-libraries.ts";
import type { ElfFacts, ImageTree, TreeNode } from "../../src/link/index.ts";

function lib(
  soname: string | undefined,
  size: number,
  owner: string,
  type: ElfFacts["type"] = "dyn",
): TreeNode {
  const elf: ElfFacts = { bits: 64, machine: 62, type, needed: [], rpath: [], runpath: [], soname };
  return { type: "file", mode: 0o644, size, owner, elf };
}

test("the same soname from a package and a wheel is reported with both copies and their sizes", () => {
  const site = "usr/local/lib/python3.13/dist-packages/nvidia/cublas/lib";
  const tree: ImageTree = {
    arch: "amd64",
    nodes: new Map<string, TreeNode>([
      ["usr/lib/x86_64-linux-gnu/libcublas.so.12.4.5.8", lib("libcublas.so.12", 100, "libcublas12")],
      ["usr/lib/x86_64-linux-gnu/libcublas.so.12", { type: "symlink", target: "libcublas.so.12.4.5.8" }],
      [`${site}/libcublas.so.12`, lib("libcublas.so.12", 120, "python:nvidia-cublas-cu12")],
      ["usr/lib/x86_64-linux-gnu/libz.so.1.3.1", lib("libz.so.1", 10, "zlib1g")],
      ["usr/local/lib/python3.13/dist-packages/x/libz.so.1", lib("libz.so.1", 12, "python:x")],
      ["usr/local/lib/python3.13/dist-packages/x/_ext.so", lib(undefined, 5, "python:x")],
      ["usr/bin/tool", lib("libz.so.1", 7, "tool", "exec")],
      ["usr/lib/x86_64-linux-gnu/libonly.so.1", lib("libonly.so.1", 3, "only")],
    ]),
  };
  assert.deepEqual(duplicateLibraries(tree), [
    {
      soname: "libcublas.so.12",
      copies: [
        { path: "/usr/lib/x86_64-linux-gnu/libcublas.so.12.4.5.8", size: 100, owner: "libcublas12" },
        { path: `/${site}/libcublas.so.12`, size: 120, owner: "python:nvidia-cublas-cu12" },
      ],
      extraBytes: 100,
    },
    {
      soname: "libz.so.1",
      copies: [
        { path: "/usr/lib/x86_64-linux-gnu/libz.so.1.3.1", size: 10, owner: "zlib1g" },
        { path: "/usr/local/lib/python3.13/dist-packages/x/libz.so.1", size: 12, owner: "python:x" },
      ],
      extraBytes: 10,
    },
  ]);
});

test("an image with each soname once reports nothing", () => {
  const tree: ImageTree = {
    arch: "amd64",
    nodes: new Map<string, TreeNode>([
      ["usr/lib/x86_64-linux-gnu/libz.so.1.3.1", lib("libz.so.1", 10, "zlib1g")],
    ]),
  };
  assert.deepEqual(duplicateLibraries(tree), []);
});
