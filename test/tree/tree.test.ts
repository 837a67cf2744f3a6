// The image tree as the build learns it: each layer entry's node recorded as
// its body streams past (ELF facts from gcc's output, `#!` lines, the
// loader's configuration text, hard links), and layers merged by the OCI
// whiteout rules.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { dirEntry, fileEntry, type LayerEntry, symlinkEntry } from "../../src/layer/entry.ts";
import { parseShebang, TreeCollector, TreeMerger, treeNodes } from "../../src/tree/index.ts";

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function drain(entries: AsyncIterable<LayerEntry>): Promise<Buffer[]> {
  const bodies: Buffer[] = [];
  for await (const e of entries) {
    if (e.body instanceof Uint8Array) bodies.push(Buffer.from(e.body));
    else if (e.body) {
      const parts: Buffer[] = [];
      for await (const c of e.body) parts.push(Buffer.from(c));
      bodies.push(Buffer.concat(parts));
    }
  }
  return bodies;
}

test("a streamed ELF body passes unchanged and its node has the loader's facts; scripts and ld.so.conf too", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-tree-"));
  writeFileSync(join(dir, "app.c"), "int main(void){return 0;}\n");
  execFileSync("gcc", ["-o", join(dir, "app"), join(dir, "app.c")]);
  const app = readFileSync(join(dir, "app"));
  const conf = "/usr/local/cuda/lib64\n";
  const entries: LayerEntry[] = [
    dirEntry("usr", 0),
    {
      path: "usr/bin/app",
      type: "file",
      mode: 0o755,
      uid: 0,
      gid: 0,
      mtime: 0,
      size: app.length,
      body: chunks(app, 1000),
    },
    {
      path: "usr/bin/app2",
      type: "hardlink",
      mode: 0o755,
      uid: 0,
      gid: 0,
      mtime: 0,
      linkname: "usr/bin/app",
    },
    fileEntry("usr/bin/tool", "#!/usr/bin/env  python3 -u\nprint(1)\n", 0, 0o755),
    fileEntry("etc/ld.so.conf.d/cuda.conf", conf, 0),
    fileEntry("etc/other.conf", conf, 0),
    symlinkEntry("usr/bin/sh", "dash", 0),
  ];
  const collector = new TreeCollector();
  const bodies = await drain(collector.watch(entries, "pkg"));
  assert.ok(bodies[0].equals(app), "the ELF body changed on its way");
  const nodes = new Map(collector.nodes());
  const node = nodes.get("usr/bin/app");
  assert.ok(node?.type === "file" && node.elf);
  assert.equal(node.owner, "pkg");
  assert.ok(node.elf.needed.includes("libc.so.6"));
  assert.match(node.elf.interpreter ?? "", /ld-linux/);
  assert.equal(nodes.get("usr/bin/app2"), node, "a hard link is its target's node");
  const tool = nodes.get("usr/bin/tool");
  assert.ok(tool?.type === "file");
  assert.deepEqual(tool.shebang, { interpreter: "/usr/bin/env", argument: "python3 -u" });
  const ldconf = nodes.get("etc/ld.so.conf.d/cuda.conf");
  assert.ok(ldconf?.type === "file" && ldconf.text === conf);
  const other = nodes.get("etc/other.conf");
  assert.ok(
    other?.type === "file" && other.text === undefined,
    "only the loader's configuration is kept as text",
  );
  assert.deepEqual(nodes.get("usr/bin/sh"), { type: "symlink", target: "dash", owner: "pkg" });
});

test("a #! line is split as the kernel splits it", () => {
  assert.deepEqual(parseShebang(Buffer.from("#!/bin/sh\n")), { interpreter: "/bin/sh" });
  assert.deepEqual(parseShebang(Buffer.from("#! /bin/sh -e \r\n")), {
    interpreter: "/bin/sh",
    argument: "-e",
  });
  assert.equal(parseShebang(Buffer.from("#!\n")), undefined);
  assert.equal(parseShebang(Buffer.from("echo\n")), undefined);
});

test("layers merge bottom first: later entries win, whiteouts delete, opaque directories empty, a file hides a directory", () => {
  const t = 0;
  const merged = new TreeMerger("amd64")
    .add(
      treeNodes([
        dirEntry("opt", t),
        dirEntry("opt/a", t),
        fileEntry("opt/a/x", "1", t),
        dirEntry("opt/b", t),
        fileEntry("opt/b/y", "1", t),
        fileEntry("opt/c", "1", t),
        dirEntry("opt/d", t),
        fileEntry("opt/d/z", "1", t),
      ]),
    )
    .add(
      treeNodes(
        [
          fileEntry("opt/a/.wh..wh..opq", "", t),
          fileEntry("opt/a/new", "", t),
          fileEntry("opt/.wh.b", "", t),
          fileEntry("opt/c", "2", t, 0o755),
          fileEntry("opt/d", "", t),
        ],
        "contents",
      ),
    )
    .tree();
  assert.deepEqual([...merged.nodes.keys()], ["opt", "opt/a", "opt/a/new", "opt/c", "opt/d"]);
  const c = merged.nodes.get("opt/c");
  assert.ok(c?.type === "file" && c.mode === 0o755 && c.owner === "contents");
});
