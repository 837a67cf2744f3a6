// Registry references with Docker's grammar, and the pieces of the auth and
// credential formats that are pure parsing.

import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { retryAfter } from "../../src/http/retry.ts";
import { parseChallenge } from "../../src/registry/auth.ts";
import { normalizeServer } from "../../src/registry/credentials.ts";
import { formatRegistryRef, manifestReference, parseRegistryRef } from "../../src/registry/reference.ts";
import { formatImageRef, parseImageRef } from "../../src/source/image-ref.ts";

const D = `sha256:${"a".repeat(64)}`;

test("parses host, repository, tag and digest as Docker does", () => {
  assert.deepEqual(parseRegistryRef("registry.example/team/cuda:12.8"), {
    registry: "registry.example",
    repository: "team/cuda",
    tag: "12.8",
  });
  assert.deepEqual(parseRegistryRef("127.0.0.1:5000/app"), { registry: "127.0.0.1:5000", repository: "app" });
  assert.deepEqual(parseRegistryRef(`localhost/a/b/c:v1@${D}`), {
    registry: "localhost",
    repository: "a/b/c",
    tag: "v1",
    digest: D,
  });
  assert.deepEqual(parseRegistryRef("docker://[::1]:5000/x_y.z__w-v"), {
    registry: "[::1]:5000",
    repository: "x_y.z__w-v",
  });
  assert.equal(manifestReference(parseRegistryRef("registry.example/a")), "latest");
  assert.equal(manifestReference(parseRegistryRef(`registry.example/a:t@${D}`)), D);
  assert.equal(formatRegistryRef(parseRegistryRef(`registry.example/a:t@${D}`)), `registry.example/a:t@${D}`);
});

test("refuses references without a host and malformed names, tags and digests", () => {
  for (const bad of [
    "debian:12",
    "team/app:1",
    "docker://app",
    "registry.example/Team/app",
    "registry.example/app:-bad",
    `registry.example/app:${"t".repeat(129)}`,
    "registry.example/app@sha256:abc",
    "registry.example/",
    "registry.example/a//b",
    "registry.example/a-/b",
    "bad_host.example/app",
  ])
    assert.throws(
      () => parseRegistryRef(bad),
      (err) => isCudasealError(err, "USAGE"),
      bad,
    );
});

test("image references: registry references sit beside the file transports", () => {
  assert.deepEqual(parseImageRef("registry.example/team/app:1"), {
    transport: "docker",
    registry: "registry.example",
    repository: "team/app",
    tag: "1",
  });
  assert.equal(parseImageRef("localhost:5000/app").transport, "docker");
  assert.equal(parseImageRef("oci:registry.example/app").transport, "oci");
  assert.equal(formatImageRef(parseImageRef("127.0.0.1:5000/app:v1")), "docker://127.0.0.1:5000/app:v1");
});

test("parses WWW-Authenticate challenges, quoted commas included", () => {
  assert.deepEqual(
    parseChallenge(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a:pull,push"',
    ),
    {
      scheme: "bearer",
      params: {
        realm: "https://auth.example/token",
        service: "registry.example",
        scope: "repository:a:pull,push",
      },
    },
  );
  assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), {
    scheme: "basic",
    params: { realm: "Registry Realm" },
  });
});

test("Retry-After in seconds or as a date, capped; server keys normalised", () => {
  assert.equal(retryAfter("2", 30_000), 2000);
  assert.equal(retryAfter("120", 30_000), 30_000);
  assert.equal(retryAfter(null, 30_000), undefined);
  const soon = new Date(Date.now() + 5000).toUTCString();
  assert.ok((retryAfter(soon, 30_000) ?? 0) > 3000);
  assert.equal(normalizeServer("https://registry.example:5000/v1/"), "registry.example:5000");
});
