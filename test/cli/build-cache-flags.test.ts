// `build`'s cache registry flags: --cache-from (repeatable) and --cache-to
// name repositories, not images; --cache-strict means nothing without a
// repository to read; with --push to the same registry, push's registry
// options (its credentials) reach the cache too.

import assert from "node:assert/strict";
import { test } from "node:test";
import { registryCacheFrom } from "../../src/cli/build-options.ts";
import { isCudasealError } from "../../src/errors.ts";
import { parseImageRef } from "../../src/source/image-ref.ts";

const usage = (err: unknown) => isCudasealError(err, "USAGE");

test("no cache flag is no registry cache", () => {
  assert.equal(registryCacheFrom({}, undefined), undefined);
});

test("--cache-from in order and --cache-to are repositories on their registries, with --insecure", () => {
  const cache = registryCacheFrom(
    {
      "cache-from": ["registry.example/ci/cache", "127.0.0.1:5000/team/cache"],
      "cache-to": "registry.example/ci/cache",
      insecure: ["registry.example"],
      "cache-strict": true,
    },
    undefined,
  );
  assert.deepEqual(cache, {
    from: [
      { registry: "registry.example", repository: "ci/cache" },
      { registry: "127.0.0.1:5000", repository: "team/cache" },
    ],
    to: { registry: "registry.example", repository: "ci/cache" },
    registry: { insecure: ["registry.example"] },
    strict: true,
  });
});

test("a tag or a digest on a cache repository is a usage error", () => {
  assert.throws(
    () => registryCacheFrom({ "cache-from": ["registry.example/ci/cache:v1"] }, undefined),
    usage,
  );
  assert.throws(
    () => registryCacheFrom({ "cache-to": `registry.example/ci/cache@sha256:${"a".repeat(64)}` }, undefined),
    usage,
  );
  assert.throws(() => registryCacheFrom({ "cache-to": "cache" }, undefined), usage);
});

test("--cache-strict without --cache-from is a usage error", () => {
  assert.throws(() => registryCacheFrom({ "cache-strict": true }, undefined), usage);
  assert.throws(
    () => registryCacheFrom({ "cache-strict": true, "cache-to": "registry.example/ci/cache" }, undefined),
    usage,
  );
});

test("with --push, the cache uses push's registry options", () => {
  const to = parseImageRef("registry.example/team/app:1");
  const registry = { insecure: [], credentials: { explicit: { username: "u", password: "p" } } };
  const cache = registryCacheFrom({ "cache-from": ["registry.example/ci/cache"] }, { to, registry });
  assert.equal(cache?.registry, registry);
});
