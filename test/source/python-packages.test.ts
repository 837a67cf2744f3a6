// Python distributions read from a final file system: where metadata counts,
// how RECORD and core metadata parse, and hostile metadata skipped, never
// thrown on.

import assert from "node:assert/strict";
import { test } from "node:test";
import { isOwnershipDb } from "../../src/source/file-owners.ts";
import type { FileInfo, ImageFilesystem } from "../../src/source/filesystem.ts";
import { isPackageDb } from "../../src/source/packages.ts";
import { isPythonMetadata, parseMetadata, pythonPackages } from "../../src/source/python-packages.ts";

const SITE = "/usr/local/lib/python3.13/dist-packages";

/** A final file system as readFilesystem gives it: bodies only for the wanted files. */
function fsOf(files: Record<string, string | FileInfo["type"]>, tooLarge: string[] = []): ImageFilesystem {
  const fs: ImageFilesystem = {
    files: new Map(),
    contents: new Map(),
    tooLarge: new Set(),
    digests: new Map(),
  };
  for (const [path, body] of Object.entries(files)) {
    const type =
      typeof body === "string" && !["symlink", "hardlink", "directory"].includes(body) ? "file" : body;
    fs.files.set(path, { type: type as FileInfo["type"], mode: 0o644, uid: 0, gid: 0, size: 0, layer: 0 });
    const wanted = isPythonMetadata(path) || isPackageDb(path) || isOwnershipDb(path);
    if (type === "file" && wanted && !tooLarge.includes(path)) fs.contents.set(path, Buffer.from(body));
    if (tooLarge.includes(path)) fs.tooLarge.add(path);
  }
  return fs;
}

test("metadata counts directly in a site-packages or dist-packages folder, nowhere else", () => {
  for (const yes of [
    `${SITE}/a-1.dist-info/METADATA`,
    `${SITE}/a-1.dist-info/RECORD`,
    `${SITE}/a-1.dist-info/INSTALLER`,
    "/opt/venv/lib/python3.13/site-packages/b-2.egg-info/PKG-INFO",
    "/opt/venv/lib/python3.13/site-packages/c-3-py3.13.egg-info",
  ])
    assert.ok(isPythonMetadata(yes), yes);
  for (const no of [
    `${SITE}/a-1.dist-info/WHEEL`,
    `${SITE}/pip/_vendor/x-1.dist-info/METADATA`,
    "/app/lib/a-1.dist-info/METADATA",
  ])
    assert.ok(!isPythonMetadata(no), no);
});

test("core metadata: headers to the first blank line, continuation lines, the first Name and Version, UNKNOWN licence dropped", () => {
  assert.deepEqual(
    parseMetadata(
      "\uFEFFMetadata-Version: 2.1\r\nName: Foo_Bar\r\nVersion: 1.0.post1\r\nLicense: UNKNOWN\r\nClassifier: Topic :: X\r\nClassifier: License :: OSI Approved :: MIT License\r\n\r\nName: other\r\n",
    ),
    { name: "Foo_Bar", version: "1.0.post1", licenseClassifiers: ["License :: OSI Approved :: MIT License"] },
  );
  assert.equal(
    parseMetadata("Name: a\nLicense: Copyright X\n        line two\nVersion: 1\n")?.license,
    "Copyright X\nline two",
  );
  for (const bad of [
    "",
    "Version: 1\n",
    "Name: a\n",
    "Name: a\nVersion: 1 2\n",
    "Name: -a\nVersion: 1\n",
    `Name: ${"a".repeat(300)}\nVersion: 1\n`,
  ])
    assert.equal(parseMetadata(bad), undefined, JSON.stringify(bad.slice(0, 20)));
});

test("RECORD: quoted paths, CRLF, paths outside site-packages resolved, absolute ones kept", () => {
  const fs = fsOf({
    [`${SITE}/a-1.dist-info/METADATA`]: "Name: a\nVersion: 1\n",
    [`${SITE}/a-1.dist-info/RECORD`]:
      'a/__init__.py,sha256=x,1\r\n"a/x,""y"".py",,\r\n../../../bin/a,sha256=y,2\r\n/etc/a.conf,,\r\n,,\r\n',
  });
  assert.deepEqual(pythonPackages(fs)[0].files, [
    `${SITE}/a/__init__.py`,
    `${SITE}/a/x,"y".py`,
    "/usr/local/bin/a",
    "/etc/a.conf",
  ]);
});

test("hostile or unreadable metadata is skipped: links, bodies over the cap, bad names; OS-owned metadata is the OS package's", () => {
  const fs = fsOf(
    {
      [`${SITE}/link-1.dist-info/METADATA`]: "symlink",
      [`${SITE}/hard-1.dist-info/METADATA`]: "hardlink",
      [`${SITE}/big-1.dist-info/METADATA`]: "Name: big\nVersion: 1\n",
      [`${SITE}/bad-1.dist-info/METADATA`]: "Name: ../../etc\nVersion: 1\n",
      [`${SITE}/ok-1.dist-info/METADATA`]: "Name: ok\nVersion: 1\n",
      [`${SITE}/ok-1.dist-info/INSTALLER`]: `${"x".repeat(100)}\n`,
      "/usr/lib/python3/dist-packages/deb-1.egg-info": "Name: deb\nVersion: 1\n",
      "/lib": "symlink",
      "/var/lib/dpkg/info/python3-deb.list": "/lib/python3/dist-packages/deb-1.egg-info\n",
      "/var/lib/dpkg/status": "Package: python3-deb\nStatus: install ok installed\nVersion: 1\n",
    },
    [`${SITE}/big-1.dist-info/METADATA`],
  );
  (fs.files.get("/lib") as FileInfo).linkname = "usr/lib";
  assert.deepEqual(
    pythonPackages(fs).map((p) => [p.name, p.installer]),
    [["ok", undefined]],
  );
});
