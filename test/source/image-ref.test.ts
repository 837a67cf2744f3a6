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
