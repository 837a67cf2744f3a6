import assert from "node:assert/strict";
import { test } from "node:test";
import type { FileInfo, ImageFilesystem } from "../../src/source/filesystem.ts";
import { installedPackages, isPackageDb } from "../../src/source/packages.ts";
import { BASE, TOP } from "./fixture.ts";

/** A final file system holding `files`, as readFilesystem would give it. */
function fsOf(files: Record<string, string>): ImageFilesystem {
  const fs: ImageFilesystem = {
    files: new Map(),
    contents: new Map(),
    tooLarge: new Set(),
    digests: new Map(),
  };
  for (const [p, body] of Object.entries(files)) {
    const path = `/${p}`;
    const info: FileInfo = { type: "file", mode: 0o644, uid: 0, gid: 0, size: body.length, layer: 0 };
    fs.files.set(path, info);
    if (isPackageDb(path)) fs.contents.set(path, Buffer.from(body));
  }
  return fs;
}

test("reads dpkg status, status.d and apk's db, sorted, installed only", () => {
  const { "etc/.wh.gone": _, ...top } = TOP;
  assert.deepEqual(installedPackages(fsOf({ ...BASE, ...top })), [
    { name: "base-files", version: "12.4+deb12u5", arch: "amd64", manager: "dpkg" },
    {
      name: "busybox",
      version: "1.36.1-r29",
      arch: "x86_64",
      license: "GPL-2.0-only",
      source: "busybox",
      sourceVersion: "1.36.1-r29",
      manager: "apk",
    },
    {
      name: "libc6",
      version: "2.36-9+deb12u4+b1",
      arch: "amd64",
      source: "glibc",
      sourceVersion: "2.36-9+deb12u4",
      manager: "dpkg",
    },
    {
      name: "musl",
      version: "1.2.5-r0",
      arch: "x86_64",
      license: "MIT",
      source: "musl",
      sourceVersion: "1.2.5-r0",
      manager: "apk",
    },
    {
      name: "tzdata",
      version: "2024a-0+deb12u1",
      arch: "all",
      source: "tzdata-src",
      sourceVersion: "2024a-0+deb12u1",
      manager: "dpkg",
    },
  ]);
});

test("md5sums and nested files of status.d are not package records", () => {
  assert.equal(isPackageDb("/var/lib/dpkg/status.d/base-files.md5sums"), false);
  assert.equal(isPackageDb("/var/lib/dpkg/status.d/x/y"), false);
  assert.equal(isPackageDb("/var/lib/dpkg/status.d/base-files"), true);
});

test("an image with no package database has no packages", () => {
  assert.deepEqual(installedPackages(fsOf({ "etc/hello": "hi\n" })), []);
});
