// The shape of src/, kept by a test: the folders form no cycle, and a folder
// that declares an index.ts is entered only through it. Today's tree breaks
// both rules in places; those places are listed below so that nothing new
// slips in, and the lists may only shrink: a listed violation that is gone
// fails the test until it is struck from the list.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import {
  againstKnown,
  describeCycle,
  describeReach,
  fileImports,
  folderCycles,
  indexReaches,
  readImportGraph,
} from "./helpers/import-graph.ts";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));
// Read once: several tests look at the same tree. A read that fails fails
// each test that awaits it, not the process before they start.
const srcGraph = readImportGraph(SRC);
srcGraph.catch(() => {});

// Folder loops in today's tree, each named from its alphabetically first
// folder. Every folder import that lies on a loop appears in the shortest
// loop it closes, so each line names imports that have to move.
const KNOWN_CYCLES: readonly string[] = [];

// Imports from another folder straight into a file of a folder that has an
// index.ts ("importer → imported", relative to src/), grouped by the index
// they pass by. Each is fixed by importing the index (exporting the name
// there if it is meant for others) or by moving the file.
const KNOWN_REACHES: readonly string[] = [];

test("the folders under src/ form no cycle other than the known ones, and each known one still exists", async () => {
  const cycles = folderCycles(await srcGraph);
  const { unexpected, gone } = againstKnown(
    cycles.map((c) => c.key),
    KNOWN_CYCLES,
  );
  const report = [
    ...cycles.filter((c) => unexpected.includes(c.key)).map((c) => `new cycle: ${describeCycle(c, "src/")}`),
    ...gone.map((key) => `no longer a cycle, strike it from KNOWN_CYCLES: ${key}`),
  ];
  if (report.length > 0) assert.fail(report.join("\n"));
});

test("no import reaches past a folder's index.ts other than the known ones, and each known one still exists", async () => {
  const reaches = indexReaches(await srcGraph);
  const { unexpected, gone } = againstKnown(
    reaches.map((r) => r.key),
    KNOWN_REACHES,
  );
  const report = [
    ...reaches.filter((r) => unexpected.includes(r.key)).map((r) => `new reach: ${describeReach(r, "src/")}`),
    ...gone.map((key) => `no longer occurs, strike it from KNOWN_REACHES: ${key}`),
  ];
  if (report.length > 0) assert.fail(report.join("\n"));
});

test("every dynamic import under src/ names its module, so the graph misses none", async () => {
  const { opaque } = await srcGraph;
  assert.deepEqual(
    opaque.map((o) => `src/${o.file}:${o.line}`),
    [],
  );
});

test("the imports read from every file under src/ are the ones TypeScript's preprocessor finds", async () => {
  const { files } = await srcGraph;
  for (const file of files) {
    const text = await readFile(join(SRC, file), "utf8");
    const ours = fileImports(file, text).sites.map((s) => s.specifier);
    const theirs = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
    assert.deepEqual(ours.sort(), theirs.sort(), file);
  }
});

/** Writes `files` (path → text) under a new temporary directory. */
async function plantTree(files: Record<string, string>): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), "cudaseal-import-graph-"));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

test("a planted a → b → a cycle and an import past b/index.ts are both reported, and a gone one is noticed", async () => {
  const tree = await plantTree({
    "errors.ts": "export class Oops extends Error {}\n",
    "a/one.ts":
      'import { two } from "../b/index.ts";\nimport { Oops } from "../errors.ts";\nexport const one = two + 1;\n',
    "b/index.ts": 'export { two } from "./two.ts";\n',
    "b/two.ts": 'import type { Shape } from "../a/shape.ts";\nexport const two: Shape = 2;\n',
    "a/shape.ts": "export type Shape = number;\n",
    "c/uses.ts": [
      '// import { one } from "../a/one.ts";',
      '/* export * from "../a/one.ts"; */',
      "const text = 'import \"../a/shape.ts\"';",
      'import { two } from "../b/two.ts";',
      'export const lazy = () => import("../b/index.ts");',
      "export const computed = (name: string) => import(name);",
      "",
    ].join("\n"),
  });
  try {
    const graph = await readImportGraph(tree.root);

    const cycles = folderCycles(graph);
    assert.deepEqual(
      cycles.map((c) => c.key),
      ["a → b → a"],
    );
    const shown = describeCycle(cycles[0]);
    assert.match(shown, /a → b: a\/one\.ts:1 imports \.\.\/b\/index\.ts/);
    assert.match(shown, /b → a: b\/two\.ts:1 imports \.\.\/a\/shape\.ts \[types only\]/);

    const reaches = indexReaches(graph);
    assert.deepEqual(
      reaches.map((r) => r.key),
      ["c/uses.ts → b/two.ts"],
    );
    assert.equal(describeReach(reaches[0]), "c/uses.ts:4 imports ../b/two.ts, past b/index.ts");

    // The comment and the string name a/ but are not imports.
    assert.deepEqual(
      graph.edges.filter((e) => e.from === "c/uses.ts").map((e) => e.to),
      ["b/two.ts", "b/index.ts"],
    );
    assert.deepEqual(graph.opaque, [{ file: "c/uses.ts", line: 6 }]);

    assert.deepEqual(againstKnown(["a → b → a"], []), { unexpected: ["a → b → a"], gone: [] });
    assert.deepEqual(againstKnown(["a → b → a"], ["a → b → a", "a → c → a"]), {
      unexpected: [],
      gone: ["a → c → a"],
    });
  } finally {
    await tree.remove();
  }
});

test("a loop through three folders is named from its first folder, with one import per step", async () => {
  const tree = await plantTree({
    "q/q.ts": 'import "../o/o.ts";\n',
    "o/o.ts": 'import "../p/p.ts";\n',
    "p/p.ts": 'import "../q/q.ts";\n',
    "r/r.ts": 'import "../o/o.ts";\n',
  });
  try {
    const cycles = folderCycles(await readImportGraph(tree.root));
    assert.deepEqual(
      cycles.map((c) => c.key),
      ["o → p → q → o"],
    );
    assert.deepEqual(
      cycles[0].steps.map((s) => `${s.example.from} → ${s.example.to}`),
      ["o/o.ts → p/p.ts", "p/p.ts → q/q.ts", "q/q.ts → o/o.ts"],
    );
  } finally {
    await tree.remove();
  }
});

test("a top-level file that imports a folder importing it closes a loop", async () => {
  const tree = await plantTree({
    "errors.ts": 'import { code } from "./a/codes.ts";\nexport const first = code;\n',
    "a/codes.ts":
      'import { first } from "../errors.ts";\nexport const code = "X";\nexport const again = first;\n',
  });
  try {
    assert.deepEqual(
      folderCycles(await readImportGraph(tree.root)).map((c) => c.key),
      ["a → errors.ts → a"],
    );
  } finally {
    await tree.remove();
  }
});
