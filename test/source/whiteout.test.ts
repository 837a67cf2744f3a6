// The OCI whiteout rules every layer reader shares, on their own: how an
// entry's name reads, and what each kind of entry does to the paths that
// lower layers and its own layer wrote.

import assert from "node:assert/strict";
import { test } from "node:test";
import { childPath, LayeredPaths, parseEntryName } from "../../src/source/whiteout.ts";

test("entry names read as opaque markers, deletions or ordinary names, rooted or relative", () => {
  assert.deepEqual(parseEntryName("/opt/d/.wh..wh..opq"), { kind: "opaque", dir: "/opt/d", name: "" });
  assert.deepEqual(parseEntryName("/etc/.wh.gone"), { kind: "delete", dir: "/etc", name: "gone" });
  assert.deepEqual(parseEntryName("/.wh.etc"), { kind: "delete", dir: "/", name: "etc" });
  assert.deepEqual(parseEntryName("/etc/passwd"), { kind: "none", dir: "/etc", name: "passwd" });
  assert.deepEqual(parseEntryName("/"), { kind: "none", dir: "/", name: "" });
  assert.deepEqual(parseEntryName("etc/.wh.gone"), { kind: "delete", dir: "etc", name: "gone" });
  assert.deepEqual(parseEntryName(".wh..wh..opq"), { kind: "opaque", dir: "", name: "" });
  assert.deepEqual(parseEntryName("etc"), { kind: "none", dir: "", name: "etc" });
  // A deletion of a name that itself starts with .wh. deletes that name.
  assert.deepEqual(parseEntryName("/a/.wh..wh.plnk"), { kind: "delete", dir: "/a", name: ".wh.plnk" });
  assert.deepEqual(parseEntryName("/a/x.wh.y"), { kind: "none", dir: "/a", name: "x.wh.y" });
});

test("a whiteout's target keeps its directory's form; an empty name is the directory itself", () => {
  assert.equal(childPath("/etc", "gone"), "/etc/gone");
  assert.equal(childPath("/", "etc"), "/etc");
  assert.equal(childPath("etc", "gone"), "etc/gone");
  assert.equal(childPath("", "etc"), "etc");
  assert.equal(childPath("/etc", ""), "/etc");
});

/** Apply `layers` of entry paths (a trailing `/` marks a directory) and return the surviving paths with their layers. */
function merge(layers: string[][]): { paths: string[]; drops: string[] } {
  const drops: string[] = [];
  const fs = new LayeredPaths<number>(
    (layer) => layer,
    (path, layer, by) => drops.push(`${path}@${layer} by ${by}`),
  );
  for (const [i, entries] of layers.entries()) {
    for (const raw of entries) {
      const dir = raw.endsWith("/");
      const path = dir && raw !== "/" ? raw.slice(0, -1) : raw;
      const name = parseEntryName(path);
      if (name.kind === "none") fs.write(path, i, dir);
      else fs.whiteout(name, i);
    }
  }
  return { paths: [...fs.paths].map(([p, l]) => `${p}@${l}`).sort(), drops };
}

test(".wh.NAME deletes NAME and all under it from lower layers, and never appears itself", () => {
  const { paths, drops } = merge([
    ["/etc/", "/etc/a", "/etc/d/", "/etc/d/x", "/etc/keep"],
    ["/etc/.wh.a", "/etc/.wh.d"],
  ]);
  assert.deepEqual(paths, ["/etc/keep@0", "/etc@0"]);
  assert.deepEqual(drops.sort(), ["/etc/a@0 by 1", "/etc/d/x@0 by 1", "/etc/d@0 by 1"]);
});

test(".wh..wh..opq empties its directory of lower layers' entries but keeps the directory and its own layer's", () => {
  const before = merge([
    ["/opt/", "/opt/d/", "/opt/d/a", "/opt/d/sub/", "/opt/d/sub/b"],
    ["/opt/d/c", "/opt/d/.wh..wh..opq"],
  ]);
  assert.deepEqual(before.paths, ["/opt/d/c@1", "/opt/d@0", "/opt@0"]);
  const after = merge([
    ["/opt/", "/opt/d/", "/opt/d/a"],
    ["/opt/d/.wh..wh..opq", "/opt/d/c"],
  ]);
  assert.deepEqual(after.paths, before.paths);
});

test("entries of one layer never hide each other, whichever comes first", () => {
  const whiteoutFirst = merge([
    ["/etc/", "/etc/same"],
    ["/etc/.wh.same", "/etc/same"],
  ]);
  const whiteoutLast = merge([
    ["/etc/", "/etc/same"],
    ["/etc/same", "/etc/.wh.same"],
  ]);
  assert.deepEqual(whiteoutFirst.paths, ["/etc/same@1", "/etc@0"]);
  assert.deepEqual(whiteoutLast.paths, whiteoutFirst.paths);
  // A whiteout of a directory spares what its own layer wrote under it.
  assert.deepEqual(
    merge([
      ["/d/", "/d/old"],
      ["/d/new", "/.wh.d"],
    ]).paths,
    ["/d/new@1"],
  );
});

test("an entry that is not a directory hides what lower layers had under its path; a directory hides nothing", () => {
  const { paths, drops } = merge([
    ["/var/", "/var/x/", "/var/x/inside", "/var/y/", "/var/y/kept"],
    ["/var/x", "/var/y/"],
  ]);
  assert.deepEqual(paths, ["/var/x@1", "/var/y/kept@0", "/var/y@1", "/var@0"]);
  assert.deepEqual(drops.sort(), ["/var/x/inside@0 by 1", "/var/x@0 by 1", "/var/y@0 by 1"]);
});

test("a whiteout of a name no lower layer wrote changes nothing", () => {
  assert.deepEqual(
    merge([
      ["/etc/", "/etc/a"],
      ["/etc/.wh.b", "/nowhere/.wh..wh..opq"],
    ]),
    {
      paths: ["/etc/a@0", "/etc@0"],
      drops: [],
    },
  );
});
