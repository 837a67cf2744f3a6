import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { formatImageRef, parseImageRef } from "../../src/source/image-ref.ts";

test("parses the three local transports", () => {
  assert.deepEqual(parseImageRef("oci:out/img:v1"), { transport: "oci", dir: "out/img", tag: "v1" });
  assert.deepEqual(parseImageRef("oci:out/img"), { transport: "oci", dir: "out/img" });
  assert.deepEqual(parseImageRef("oci-archive:img.tar:v2"), {
    transport: "oci-archive",
    file: "img.tar",
    tag: "v2",
  });
  assert.deepEqual(parseImageRef("docker-archive:img.tar:cuda:12.8"), {
    transport: "docker-archive",
    file: "img.tar",
    name: "cuda:12.8",
  });
  assert.deepEqual(parseImageRef("docker-archive:img.tar"), { transport: "docker-archive", file: "img.tar" });
});

test("writes a reference back as it was given", () => {
  for (const r of ["oci:a/b:v1", "oci:a/b", "oci-archive:x.tar:t", "docker-archive:x.tar:n:t"])
    assert.equal(formatImageRef(parseImageRef(r)), r);
});

test("refuses registry references without a host, and unknown transports, with USAGE", () => {
  for (const r of ["docker://debian:12", "debian:12", "debian"]) {
    assert.throws(
      () => parseImageRef(r),
      (err) => isCudasealError(err, "USAGE"),
      r,
    );
  }
  for (const r of ["oci:", "docker-archive:", "oci-archive:x:", "docker-archive:x:"])
    assert.throws(
      () => parseImageRef(r),
      (err) => isCudasealError(err, "USAGE"),
      r,
    );
});

test("one syntax for every transport: a path may hold colons, and a tag is what follows the last one when it holds no slash", () => {
  assert.deepEqual(parseImageRef("oci:/srv/a:b/layout"), { transport: "oci", dir: "/srv/a:b/layout" });
  assert.deepEqual(parseImageRef("oci:/srv/a:b/layout:v1"), {
    transport: "oci",
    dir: "/srv/a:b/layout",
    tag: "v1",
  });
  assert.deepEqual(parseImageRef("oci-archive:/srv/a:b/img.tar:v2"), {
    transport: "oci-archive",
    file: "/srv/a:b/img.tar",
    tag: "v2",
  });
  // A Docker archive's file ends at the first colon, as skopeo reads it: the rest is NAME:TAG, host and port included.
  assert.deepEqual(parseImageRef("docker-archive:out.tar:registry.example:5000/team/app:1.0"), {
    transport: "docker-archive",
    file: "out.tar",
    name: "registry.example:5000/team/app:1.0",
  });
  for (const r of ["oci:/srv/a:b/layout:v1", "docker-archive:out.tar:registry.example:5000/team/app:1.0"])
    assert.equal(formatImageRef(parseImageRef(r)), r);
});

test("a layout or an OCI archive names one manifest by digest after an @, written back the same; an @ before less than a digest is part of the path", () => {
  const digest = `sha256:${"ab".repeat(32)}`;
  assert.deepEqual(parseImageRef(`oci:/srv/a:b/layout@${digest}`), {
    transport: "oci",
    dir: "/srv/a:b/layout",
    digest,
  });
  assert.deepEqual(parseImageRef(`oci-archive:img.tar@${digest}`), {
    transport: "oci-archive",
    file: "img.tar",
    digest,
  });
  for (const r of [`oci:/srv/a:b/layout@${digest}`, `oci-archive:img.tar@${digest}`])
    assert.equal(formatImageRef(parseImageRef(r)), r);
  assert.deepEqual(parseImageRef("oci:/srv/me@host/layout:v1"), {
    transport: "oci",
    dir: "/srv/me@host/layout",
    tag: "v1",
  });
  assert.deepEqual(parseImageRef("oci:layout@sha256:abc"), {
    transport: "oci",
    dir: "layout@sha256",
    tag: "abc",
  });
});
