// ld.so.conf read from in-memory trees: includes with globs in C order,
// relative includes, comments and hwcap lines, folders given twice, and
// the refusals: include loops and paths that leave the root.

import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { readLdConf, readLdConfDirectories } from "../../src/link/index.ts";
import type { ImageTree, TreeNode } from "../../src/link/types.ts";

/** A tree from path → text (a file), "->target" (a symlink) or "/" (a directory); parents are implied. */
function tree(spec: Record<string, string>): ImageTree {
  const nodes = new Map<string, TreeNode>();
  for (const [path, v] of Object.entries(spec)) {
    if (v === "/") nodes.set(path, { type: "directory", mode: 0o755 });
    else if (v.startsWith("->")) nodes.set(path, { type: "symlink", target: v.slice(2) });
    else nodes.set(path, { type: "file", mode: 0o644, size: v.length, text: v });
  }
  return { arch: "amd64", nodes };
}

const dirs = (...paths: string[]) => Object.fromEntries(paths.map((p) => [p, "/"]));

test("includes are read in C order, relative ones against the including file's folder, with comments and hwcap lines dropped", () => {
  const t = tree({
    ...dirs("usr/local/lib", "opt/a", "opt/b", "opt/B", "opt/c", "opt/rel", "opt/hidden"),
    "etc/ld.so.conf":
      "# top\ninclude /etc/ld.so.conf.d/*.conf\n  /opt/c/ # trailing slash and comment\nhwcap 0 nosegneg\n",
    "etc/ld.so.conf.d/b.conf": "/opt/b\n",
    "etc/ld.so.conf.d/a.conf": "/opt/a\ninclude sub/*.conf\n",
    "etc/ld.so.conf.d/B.conf": "/opt/B",
    "etc/ld.so.conf.d/.hidden.conf": "/opt/hidden\n",
    "etc/ld.so.conf.d/notes.txt": "/usr/local/lib\n",
    "etc/ld.so.conf.d/sub/x.conf": "/opt/rel\n",
  });
  assert.deepEqual(readLdConf(t), ["/opt/B", "/opt/a", "/opt/rel", "/opt/b", "/opt/c"]);
});

test("a folder named twice, or through a symlink to one already named, is kept once as first spelt", () => {
  const t = tree({
    ...dirs("usr/local/cuda-12.8/targets/x86_64-linux/lib"),
    "usr/local/cuda": "->cuda-12.8",
    "usr/local/cuda-12": "->/usr/local/cuda-12.8",
    "etc/ld.so.conf": "include /etc/ld.so.conf.d/*.conf\n",
    "etc/ld.so.conf.d/000_cuda.conf": "/usr/local/cuda/targets/x86_64-linux/lib\n",
    "etc/ld.so.conf.d/988_cuda-12.conf":
      "/usr/local/cuda-12/targets/x86_64-linux/lib\n/usr/local/cuda/targets/x86_64-linux/lib/\n",
  });
  const found = readLdConfDirectories(t);
  assert.deepEqual(
    found.map((d) => [d.path, d.canonical, d.from, d.line]),
    [
      [
        "/usr/local/cuda/targets/x86_64-linux/lib",
        "usr/local/cuda-12.8/targets/x86_64-linux/lib",
        "/etc/ld.so.conf.d/000_cuda.conf",
        1,
      ],
    ],
  );
});

test("folders that do not exist and missing include files are skipped, as ldconfig skips them", () => {
  const t = tree({
    "etc/ld.so.conf": "/nowhere\ninclude /etc/missing/*.conf /etc/none.conf\n",
    ...dirs("usr/lib"),
  });
  assert.deepEqual(readLdConf(t), []);
  assert.deepEqual(readLdConf(tree({})), []);
});

test("an include that leads back to a file being read is LDCONF_INCLUDE_LOOP", () => {
  const t = tree({
    "etc/ld.so.conf": "include /etc/ld.so.conf.d/*.conf\n",
    "etc/ld.so.conf.d/a.conf": "include ../ld.so.conf\n",
  });
  assert.throws(
    () => readLdConf(t),
    (err) => isCudasealError(err, "LDCONF_INCLUDE_LOOP") && /a\.conf/.test(err.message),
  );
  const self = tree({ "etc/ld.so.conf": "include ld.so.conf\n" });
  assert.throws(
    () => readLdConf(self),
    (err) => isCudasealError(err, "LDCONF_INCLUDE_LOOP"),
  );
});

test("the same file included twice side by side is no loop", () => {
  const t = tree({
    ...dirs("opt/a"),
    "etc/ld.so.conf": "include /etc/x.conf\ninclude /etc/x.conf\n",
    "etc/x.conf": "/opt/a\n",
  });
  assert.deepEqual(readLdConf(t), ["/opt/a"]);
});

test("a folder above the root, or a symlink out of it, is LDCONF_PATH_OUTSIDE", () => {
  const outside = (err: unknown) => isCudasealError(err, "LDCONF_PATH_OUTSIDE");
  assert.throws(() => readLdConf(tree({ "etc/ld.so.conf": "/../../host/lib\n" })), outside);
  assert.throws(
    () => readLdConf(tree({ "etc/ld.so.conf": "/opt/escape/lib\n", "opt/escape": "->../../../host" })),
    outside,
  );
  assert.throws(() => readLdConf(tree({ "etc/ld.so.conf": "include ../../../host/*.conf\n" })), outside);
  assert.throws(
    () =>
      readLdConf(
        tree({ "etc/ld.so.conf": "include /etc/ld.so.conf.d/*.conf\n", "etc/ld.so.conf.d": "->../../.." }),
      ),
    outside,
  );
  // An absolute symlink stays inside: it names the image's own root.
  const inside = tree({ "etc/ld.so.conf": "/opt/lib\n", "opt/lib": "->/usr/lib", ...dirs("usr/lib") });
  assert.deepEqual(readLdConf(inside), ["/opt/lib"]);
});

test("the configuration file itself reached through a symlink is read", () => {
  const t = tree({
    "etc/ld.so.conf": "->ld.so.conf.real",
    "etc/ld.so.conf.real": "/opt/a\n",
    ...dirs("opt/a"),
  });
  assert.deepEqual(readLdConf(t), ["/opt/a"]);
});

test("an include glob that multiplies through symlinks back to its own folder is refused, not expanded without end", () => {
  const links = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`etc/g/l${i}`, "->."]));
  const t = tree({
    ...links,
    "etc/ld.so.conf": "include /etc/g/*/*/*/*/*/*/*.conf\n",
  });
  assert.throws(
    () => readLdConf(t),
    (err: unknown) => isCudasealError(err) && err.code === "LDCONF_INCLUDE_LOOP" && err.hint !== undefined,
  );
});
