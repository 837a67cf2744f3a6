// The image config read as deploy and doctor read it: hostile values are
// left out, users parsed as Kubernetes must see them, writable paths
// deduplicated without losing a model cache.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseImageUser, runtimeFacts, WRITABLE_LABEL } from "../../src/image/runtime-facts.ts";

test("users: numeric, named, root", () => {
  assert.deepEqual(parseImageUser("65532:65532"), {
    raw: "65532:65532",
    root: false,
    numeric: true,
    uid: 65532,
    gid: 65532,
  });
  assert.deepEqual(parseImageUser("1000"), { raw: "1000", root: false, numeric: true, uid: 1000, gid: 1000 });
  assert.equal(parseImageUser("").root, true);
  assert.equal(parseImageUser("root").root, true);
  assert.equal(parseImageUser("0:1000").root, true);
  assert.equal(parseImageUser("app").numeric, false);
  assert.equal(parseImageUser("1000:app").numeric, false);
});

test("hostile config values are dropped, not trusted", () => {
  const facts = runtimeFacts({
    config: {
      User: 7,
      Env: [
        "HOME=/home/app",
        42,
        "NOEQUALS",
        "HF_HOME=relative/path",
        "XDG_CACHE_HOME=/home/app/.cache",
        "TRANSFORMERS_CACHE=/home/app/.cache/hf",
      ],
      ExposedPorts: { "8000/tcp": {}, "99999/tcp": {}, "53/udp": {}, junk: {} },
      Volumes: { "/data/": {}, relative: {}, "/data/../etc": {} },
      WorkingDir: "/srv",
      Labels: { [WRITABLE_LABEL]: "/var/lib/app, ../escape ,/run/app", other: 3 },
    },
  });
  assert.equal(facts.user.root, true, "a non-string User is no user: root");
  assert.deepEqual(facts.ports, [
    { port: 53, protocol: "UDP" },
    { port: 8000, protocol: "TCP" },
  ]);
  assert.deepEqual(facts.volumes, ["/data", "/etc"]);
  assert.deepEqual(
    facts.writable.map((w) => `${w.path}:${w.reason}`),
    [
      "/data:volume",
      "/etc:volume",
      "/home/app:home",
      // Inside HOME: the XDG cache goes, the model cache stays (it may become a volume).
      "/home/app/.cache/hf:model-cache",
      "/run/app:label",
      "/srv:workdir",
      "/tmp:tmp",
      "/var/lib/app:label",
    ],
  );
  assert.equal(facts.gpu, false);
});
