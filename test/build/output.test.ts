// The build's --output is named as every other command names images: the
// same parser reads it, so what a build reports as written reads back as the
// same image (build --push copies from it), whatever colons its path holds.

import assert from "node:assert/strict";
import { resolve } from "node:path";
import { test } from "node:test";
import { parseOutput } from "../../src/build/output.ts";
import { isCudasealError } from "../../src/errors.ts";
import { formatImageRef, parseImageRef } from "../../src/source/image-ref.ts";

test("an output path may hold colons, as in every other command, and the written reference reads back the same", () => {
  const out = parseOutput("oci:/srv/a:b/out:v1", "img");
  assert.deepEqual([out.format, out.path, out.tag, out.reference], ["oci", "/srv/a:b/out", "v1", "img:v1"]);
  const untagged = parseOutput("oci:/srv/a:b/out", "img");
  assert.deepEqual([untagged.path, untagged.tag], ["/srv/a:b/out", "latest"]);
  for (const o of [out, untagged, parseOutput("oci-archive:/srv/a:b/img.tar", "img")])
    assert.deepEqual(parseImageRef(formatImageRef(o.ref)), o.ref);
});

test("a docker-archive output is named NAME[:TAG] as Docker names it: a registry port is no tag", () => {
  const named = parseOutput("docker-archive:app.tar:localhost:5000/team/app", "img");
  assert.deepEqual(
    [named.path, named.reference, named.tag],
    [resolve("app.tar"), "localhost:5000/team/app:latest", "latest"],
  );
  assert.equal(parseOutput("docker-archive:app.tar:myapp:1.0", "img").reference, "myapp:1.0");
  assert.equal(parseOutput("docker-archive:app.tar", "img").reference, "img:latest");
  const written = parseOutput("docker-archive:app.tar:myapp:1.0", "img");
  assert.deepEqual(parseImageRef(formatImageRef(written.ref)), written.ref);
});

test("a build cannot write to a registry or a reference without a transport: USAGE", () => {
  for (const spec of ["registry.example/team/app:1", "out/app", "oci:", "docker-archive:"])
    assert.throws(
      () => parseOutput(spec, "img"),
      (err) => isCudasealError(err, "USAGE"),
      spec,
    );
});

test("a build cannot write to a layout or an OCI archive named by digest: USAGE", () => {
  const digest = `sha256:${"ab".repeat(32)}`;
  for (const spec of [`oci:out/app@${digest}`, `oci-archive:app.tar@${digest}`])
    assert.throws(
      () => parseOutput(spec, "img"),
      (err) => isCudasealError(err, "USAGE"),
      spec,
    );
});
