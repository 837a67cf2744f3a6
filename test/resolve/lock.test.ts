import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { type Lock, parseLock, resolve, serializeLock, toLock } from "../../src/resolve/index.ts";
import { MAIN, packages } from "./helpers.ts";

const VENDOR = {
  uri: "http://127.0.0.1:9/cuda/repos/debian12/x86_64",
  suite: "./",
  component: "./",
  priority: 600,
};

const INDEX = [
  ...packages(`
Package: app
Source: app-src (2.0-1)
Depends: libfoo2 (>= 3), libcudnn9-cuda-12

Package: libfoo2
Version: 3.1-1
Installed-Size: 2048
Depends: libc6

Package: libc6
Version: 2.41-12
`),
  ...packages(
    `
Package: libcudnn9-cuda-12
Version: 9.1.0.70-1
Filename: ./libcudnn9-cuda-12_9.1.0.70-1_amd64.deb
`,
    VENDOR,
  ),
];

const REQUEST = { packages: ["app"], arches: ["amd64"] };

function makeLock(): Lock {
  return toLock([resolve(INDEX, { packages: ["app"], arch: "amd64" })], REQUEST);
}

test("a lock pins every package with its URL, hash and resolved edges", () => {
  const lock = makeLock();
  assert.equal(lock.lockfileVersion, 1);
  assert.deepEqual(
    lock.arches.amd64.map((p) => p.name),
    ["app", "libc6", "libcudnn9-cuda-12", "libfoo2"],
  );
  const app = lock.arches.amd64[0];
  assert.equal(app.source, "app-src");
  assert.equal(app.sourceVersion, "2.0-1");
  assert.deepEqual(app.dependsOn, ["libcudnn9-cuda-12", "libfoo2"]);
  assert.equal(app.url, `${MAIN.uri}/${app.filename}`);
  assert.equal(app.installedSize, undefined);
  assert.equal(lock.arches.amd64[3].installedSize, 2048);
  // A flat repository's files sit next to its Packages index.
  assert.equal(lock.arches.amd64[2].url, `${VENDOR.uri}/libcudnn9-cuda-12_9.1.0.70-1_amd64.deb`);
  assert.deepEqual(lock.sources, [
    { uri: VENDOR.uri, suite: "./", component: "./" },
    { uri: MAIN.uri, suite: "trixie", component: "main" },
  ]);
});

test("serialize → parse round-trips, and the text is deterministic", () => {
  const text = serializeLock(makeLock());
  assert.ok(text.endsWith("}\n"));
  assert.ok(text.startsWith('{\n  "arches": {\n    "amd64": [\n      {\n        "arch": "amd64",'));
  const parsed = parseLock(text);
  assert.deepEqual(parsed, makeLock());
  assert.equal(serializeLock(parsed), text);
  // Resolving from a shuffled index gives the same bytes.
  const shuffled = toLock([resolve([...INDEX].reverse(), { packages: ["app"], arch: "amd64" })], REQUEST);
  assert.equal(serializeLock(shuffled), text);
});

test("bad locks are refused with LOCK_INVALID", () => {
  const good = JSON.parse(serializeLock(makeLock()));
  // biome-ignore lint/suspicious/noExplicitAny: each mutation pokes at the raw JSON on purpose
  const mutations: [string, (lock: any) => void][] = [
    ["version", (l) => (l.lockfileVersion = 2)],
    ["unknown top-level field", (l) => (l.extra = true)],
    ["sha256 too short", (l) => (l.arches.amd64[0].sha256 = "abc")],
    ["sha256 upper case", (l) => (l.arches.amd64[0].sha256 = l.arches.amd64[0].sha256.toUpperCase())],
    ["bad name", (l) => (l.arches.amd64[0].name = "App Name")],
    ["bad version", (l) => (l.arches.amd64[0].version = "1.0-")],
    ["ftp url", (l) => (l.arches.amd64[0].url = l.arches.amd64[0].url.replace("http:", "ftp:"))],
    [
      "url with ..",
      (l) => (l.arches.amd64[1].url = `${MAIN.uri}/pool/../../etc/${l.arches.amd64[1].filename}`),
    ],
    [
      "url credentials",
      (l) => (l.arches.amd64[1].url = l.arches.amd64[1].url.replace("http://", "http://u:p@")),
    ],
    ["filename with ..", (l) => (l.arches.amd64[0].filename = "../../etc/passwd")],
    ["absolute filename", (l) => (l.arches.amd64[0].filename = "/etc/passwd")],
    ["url not ending with filename", (l) => (l.arches.amd64[0].filename = "pool/other.deb")],
    ["negative size", (l) => (l.arches.amd64[0].size = -1)],
    ["fractional size", (l) => (l.arches.amd64[0].size = 1.5)],
    ["size as string", (l) => (l.arches.amd64[0].size = "1024")],
    ["negative installed size", (l) => (l.arches.amd64[3].installedSize = -5)],
    ["unknown package field", (l) => (l.arches.amd64[0].script = "rm -rf /")],
    ["missing field", (l) => delete l.arches.amd64[0].sha256],
    ["dependsOn unknown package", (l) => l.arches.amd64[0].dependsOn.push("ghost")],
    ["duplicate package", (l) => l.arches.amd64.push(l.arches.amd64[0])],
    ["wrong arch list", (l) => (l.arches.amd64[0].arch = "arm64")],
    ["bad arch key", (l) => (l.arches["AMD 64"] = [])],
    ["request arch without packages", (l) => l.request.arches.push("arm64")],
    ["bad request spec", (l) => (l.request.packages = ["bad spec here"])],
    ["bad source uri", (l) => (l.sources[0].uri = "file:///srv/debian")],
    ["arches not an object", (l) => (l.arches = [])],
  ];
  for (const [label, mutate] of mutations) {
    const lock = structuredClone(good);
    mutate(lock);
    assert.throws(
      () => parseLock(JSON.stringify(lock)),
      (err) => isCudasealError(err, "LOCK_INVALID"),
      label,
    );
  }
  for (const text of ["", "not json", "[]", "null", '{"lockfileVersion": 1}']) {
    assert.throws(
      () => parseLock(text),
      (err) => isCudasealError(err, "LOCK_INVALID"),
      text,
    );
  }
});
