import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { LIST_MERGE, loadSpec, mergeSpecs, parseSpecText } from "../../src/spec/load.ts";
import { listPresets } from "../../src/spec/presets.ts";
import type { Spec } from "../../src/spec/types.ts";

function specError(text: string): { message: string; line?: number } {
  try {
    parseSpecText(text, "app.yaml");
  } catch (err) {
    assert.ok(isCudasealError(err, "SPEC_INVALID"), `unexpected ${err}`);
    return { message: err.message };
  }
  assert.fail("the spec was accepted");
}

test("a valid spec loads", () => {
  const spec = parseSpecText(
    "name: app\npackages: [libcudart12, 'libc6 (>= 2.36)', python3=3.13.5-1]\narchs: [amd64]\n",
    "a.yaml",
  );
  assert.deepEqual(spec.archs, ["amd64"]);
});

test("errors name the file, the line and the field, and what is allowed", () => {
  const unknown = specError("name: app\npackages: [a]\nentrypoints: [/x]\n");
  assert.match(unknown.message, /^app\.yaml:3: unknown field 'entrypoints'/);
  const arch = specError("name: app\narchs:\n  - amd64\n  - s390x\n");
  assert.match(arch.message, /^app\.yaml:4: archs\.1: must be one of amd64, arm64/);
  const mode = specError("contents:\n  - source: x\n    destination: /x\n    mode: rwx\n");
  assert.match(mode.message, /app\.yaml:4: contents\.0\.mode/);
  const yaml = specError("name: [unclosed\n");
  assert.match(yaml.message, /^app\.yaml:\d+:/);
  const runAs = specError("accounts:\n  runAs: nonroot\n");
  assert.match(runAs.message, /accounts\.runAs/);
});

test("include extends another spec: lists append, maps merge, scalars override", () => {
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-spec-"));
  writeFileSync(join(dir, "base.yaml"), "name: base\npackages: [a, b]\nenv: {A: '1', B: '1'}\n");
  writeFileSync(join(dir, "app.yaml"), "include: base.yaml\nname: app\npackages: [b, c]\nenv: {B: '2'}\n");
  const { spec, files } = loadSpec(join(dir, "app.yaml"));
  assert.equal(spec.name, "app");
  assert.deepEqual(spec.packages, ["a", "b", "c"]);
  assert.deepEqual(spec.env, { A: "1", B: "2" });
  assert.equal(files.length, 2);
});

test("a contents image in a layout is found from the spec's folder, its tag or digest kept; other transports stay as written", () => {
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-spec-"));
  const digest = `sha256:${"ab".repeat(32)}`;
  const images = [
    "oci:layouts/base:v1",
    `oci:layouts/base@${digest}`,
    "oci:/srv/base",
    "oci-archive:base.tar:v1",
    "registry.example/team/base:v1",
  ];
  const contents = images.map((image) => ({ image, path: "/usr/lib", destination: "/usr/lib" }));
  writeFileSync(join(dir, "app.yaml"), JSON.stringify({ name: "app", packages: ["a"], contents }));
  const { spec } = loadSpec(join(dir, "app.yaml"));
  assert.deepEqual(
    spec.contents?.map((c) => c.image),
    [
      `oci:${join(dir, "layouts/base")}:v1`,
      `oci:${join(dir, "layouts/base")}@${digest}`,
      "oci:/srv/base",
      "oci-archive:base.tar:v1",
      "registry.example/team/base:v1",
    ],
  );
});

test("an include cycle is refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-spec-"));
  writeFileSync(join(dir, "a.yaml"), "include: b.yaml\n");
  writeFileSync(join(dir, "b.yaml"), "include: a.yaml\n");
  assert.throws(
    () => loadSpec(join(dir, "a.yaml")),
    (err) => isCudasealError(err, "SPEC_INVALID"),
  );
});

test("an include naming a FIFO or /dev/zero is INPUT_NOT_REGULAR at once; a spec past 4 MiB is INPUT_TOO_LARGE unread", () => {
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-spec-"));
  const fifo = join(dir, "fifo.yaml");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
  for (const target of [fifo, "/dev/zero"]) {
    writeFileSync(join(dir, "app.yaml"), `include: ${target}\nname: app\n`);
    assert.throws(
      () => loadSpec(join(dir, "app.yaml")),
      (err) => isCudasealError(err, "INPUT_NOT_REGULAR"),
    );
  }
  const big = join(dir, "big.yaml");
  writeFileSync(big, "");
  truncateSync(big, 300 * 1000 * 1000);
  assert.throws(
    () => loadSpec(big),
    (err) => isCudasealError(err, "INPUT_TOO_LARGE"),
  );
});

test("entrypoint and cmd are replaced, not appended", () => {
  const merged = mergeSpecs({ entrypoint: ["/a"], cmd: ["x"] }, { entrypoint: ["/b"] });
  assert.deepEqual(merged.entrypoint, ["/b"]);
  assert.deepEqual(merged.cmd, ["x"]);
});

test("a spec that includes a two-arch preset and names archs: [amd64] builds amd64 alone", () => {
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-spec-"));
  writeFileSync(join(dir, "app.yaml"), "include: preset:cuda-runtime\narchs: [amd64]\n");
  const { spec } = loadSpec(join(dir, "app.yaml"));
  assert.deepEqual(spec.archs, ["amd64"]);
  // The preset's packages are kept and the spec's added: packages append.
  assert.ok(spec.packages?.includes("libcublas12"));
});

test("every list field's include rule: each applied as LIST_MERGE says and stated in the schema", () => {
  const schema = JSON.parse(readFileSync(new URL("../../schema/spec.schema.json", import.meta.url), "utf8"));
  const lists = Object.entries(schema.properties as Record<string, { type?: string; description?: string }>)
    .filter(([, v]) => v.type === "array")
    .map(([k]) => k);
  assert.deepEqual(
    [...lists].sort(),
    Object.keys(LIST_MERGE).sort(),
    "a top-level list field without a rule",
  );
  for (const key of lists) {
    const rule = LIST_MERGE[key];
    const description = schema.properties[key].description ?? "";
    assert.match(description, rule === "replace" ? /With include: replaces/ : /With include: appended/, key);
    const merged = mergeSpecs({ [key]: ["a", "b"] } as Spec, { [key]: ["b", "c"] } as Spec) as Record<
      string,
      unknown
    >;
    assert.deepEqual(merged[key], rule === "replace" ? ["b", "c"] : ["a", "b", "c"], key);
  }
});

test("allow.unresolved appends the spec's waivers to the include's; python's and accounts' lists are replaced", () => {
  const merged = mergeSpecs(
    {
      allow: { shell: true, unresolved: ["libcuda.so.1"] },
      python: { lock: "/a/uv.lock", groups: ["dev"] },
      accounts: { users: [{ name: "a", uid: 1 }], runAs: "1:1" },
    },
    {
      allow: { unresolved: ["libfoo.so.2"] },
      python: { lock: "/b/uv.lock", groups: ["prod"] },
      accounts: { users: [{ name: "b", uid: 2 }] },
    },
  );
  assert.deepEqual(merged.allow, { shell: true, unresolved: ["libcuda.so.1", "libfoo.so.2"] });
  assert.deepEqual(merged.python, { lock: "/b/uv.lock", groups: ["prod"] });
  assert.deepEqual(merged.accounts, { users: [{ name: "b", uid: 2 }], runAs: "1:1" });
});

test("every preset is valid; production presets run as a numeric non-root user, -dev ones as root", () => {
  const presets = listPresets();
  for (const name of ["static", "cc", "cuda-base", "cuda-runtime", "cuda-python", "cuda-devel"]) {
    const p = presets.find((x) => x.name === name);
    assert.ok(p, name);
    assert.equal(p.spec.accounts?.runAs, "65532:65532");
    assert.deepEqual(p.archs, ["amd64", "arm64"]);
    const dev = presets.find((x) => x.name === `${name}-dev`);
    assert.equal(dev?.spec.accounts?.runAs, "0:0");
    assert.ok(dev?.spec.packages?.includes("bash"));
  }
  const runtime = presets.find((x) => x.name === "cuda-runtime")!;
  for (const lib of [
    "libcudart12",
    "libcublas12",
    "libcublaslt12",
    "libcufft11",
    "libcurand10",
    "libcusolver11",
    "libcusparse12",
    "libnvrtc12",
    "libnvjitlink12",
    "libnvtoolsext1",
  ]) {
    assert.ok(runtime.packages.includes(lib), lib);
  }
});
