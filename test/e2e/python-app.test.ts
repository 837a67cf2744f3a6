// Live: the example Python application (examples/python-app) built as a user
// builds it, from Debian's real python3 and locked wheels, then run under
// `cudaseal run` as the image's user. The wheels its uv.lock pins are built
// here by the real tools (test/helpers/wheels.ts) and served by a simple
// index on 127.0.0.1, and the lock is rewritten to point there with their
// real hashes; a second wheel ships a library Debian's zlib1g also ships, so
// the build must report that soname twice. Skips without a Debian mirror in
// this machine's apt sources, or without the wheel-building tools; the run
// half skips without root or user namespaces.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readSystemMirrors } from "../../src/apt/system-sources.ts";
import { runCli } from "../helpers/cli.ts";
import {
  type BuiltWheel,
  buildWheel,
  DEBIAN_PYTHON,
  hostManylinuxTag,
  startWheelIndex,
  wheelToolsAvailable,
} from "../helpers/wheels.ts";
import { ARCH, cudasealRun, unavailable } from "../run/fixture.ts";

const EXAMPLE = join(import.meta.dirname, "../../examples/python-app");

// What the application calls of tabulate, and no more: the test's stand-in for the PyPI wheel.
const TABULATE = `def tabulate(rows, headers=()):
    lines = [" | ".join(str(c) for c in row) for row in [headers, *rows]]
    return "\\n".join(lines)
`;

/**
 * A platform wheel holding fake_libs/lib/libz.so.1, a shared object gcc built
 * with that soname, packed by the real `wheel pack` (which writes RECORD).
 */
async function libraryWheel(work: string, outDir: string): Promise<BuiltWheel> {
  const tree = join(work, "fake-libs", "fake_libs-1.0");
  await mkdir(join(tree, "fake_libs/lib"), { recursive: true });
  await mkdir(join(tree, "fake_libs-1.0.dist-info"), { recursive: true });
  await writeFile(join(tree, "fake_libs/__init__.py"), "");
  const c = join(work, "fake-libs", "z.c");
  await writeFile(c, "int zlibVersionFake(void) { return 1; }\n");
  execFileSync("gcc", [
    "-shared",
    "-fPIC",
    "-Wl,-soname,libz.so.1",
    "-o",
    join(tree, "fake_libs/lib/libz.so.1"),
    c,
  ]);
  await writeFile(
    join(tree, "fake_libs-1.0.dist-info/METADATA"),
    "Metadata-Version: 2.1\nName: fake-libs\nVersion: 1.0\n",
  );
  await writeFile(
    join(tree, "fake_libs-1.0.dist-info/WHEEL"),
    `Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: false\nTag: py3-none-${hostManylinuxTag()}\n`,
  );
  await mkdir(outDir, { recursive: true });
  execFileSync(DEBIAN_PYTHON, ["-m", "wheel", "pack", "-d", outDir, tree], { stdio: "pipe" });
  const filename = `fake_libs-1.0-py3-none-${hostManylinuxTag()}.whl`;
  const bytes = await readFile(join(outDir, filename));
  return {
    path: join(outDir, filename),
    filename,
    name: "fake-libs",
    version: "1.0",
    sha256: createHash("sha256").update(bytes).digest("hex"),
    size: bytes.length,
  };
}

function skipReason(): string | false {
  if (!readSystemMirrors().debian) return "this machine's apt sources name no Debian mirror";
  if (!wheelToolsAvailable()) return "Debian's python3 with pip, wheel and setuptools is not installed";
  return false;
}

/** The example's uv.lock, its tabulate wheel served here, and fake-libs added as a second dependency. */
function lockFor(index: string, tabulate: BuiltWheel, libs: BuiltWheel): string {
  const wheel = (w: BuiltWheel) =>
    `wheels = [\n    { url = "${index}/files/${w.filename}", hash = "sha256:${w.sha256}", size = ${w.size} },\n]\n`;
  return `version = 1
revision = 2
requires-python = ">=3.11"

[[package]]
name = "fake-libs"
version = "1.0"
source = { registry = "${index}/simple" }
${wheel(libs)}
[[package]]
name = "python-app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "fake-libs" },
    { name = "tabulate" },
]

[[package]]
name = "tabulate"
version = "0.9.0"
source = { registry = "${index}/simple" }
${wheel(tabulate)}`;
}

interface Summary {
  platforms: {
    layers: { name: string; cached: boolean }[];
    python?: { interpreter: string; packages: { name: string; sha256: string }[] };
    duplicateLibraries?: { soname: string; copies: { path: string; owner?: string; size: number }[] }[];
  }[];
}

test("the example Python application builds from Debian's python3 and its locked wheels, runs as 65532, and a change to it rebuilds one layer", {
  timeout: 900_000,
  skip: skipReason(),
}, async (t) => {
  const work = await mkdtemp(join(tmpdir(), "cudaseal-python-app-"));
  t.after(() => rm(work, { recursive: true, force: true }));
  const served = join(work, "served");
  const tabulate = await buildWheel(
    { name: "tabulate", version: "0.9.0", modules: { "tabulate.py": TABULATE } },
    served,
  );
  // A shared object whose DT_SONAME is zlib1g's: the build must report libz.so.1 twice.
  const libs = await libraryWheel(work, served);
  const index = await startWheelIndex(served);
  t.after(() => index.close());

  const app = join(work, "app");
  await cp(EXAMPLE, app, { recursive: true });
  await writeFile(join(app, "uv.lock"), lockFor(index.origin, tabulate, libs));
  const pyproject = await readFile(join(app, "pyproject.toml"), "utf8");
  await writeFile(
    join(app, "pyproject.toml"),
    pyproject.replace(
      'dependencies = ["tabulate==0.9.0"]',
      'dependencies = ["tabulate==0.9.0", "fake-libs==1.0"]',
    ),
  );
  // The example's spec on a smaller base: python3 and the CUDA runtime, not the whole cuda-python preset.
  const spec = join(app, "cudaseal.yaml");
  const text = await readFile(spec, "utf8");
  await writeFile(
    spec,
    text.replace("include: preset:cuda-python", "include: preset:cuda-base\npackages: [python3]"),
  );

  const cache = join(work, "cache");
  const image = `oci:${join(work, "img")}:latest`;
  const provenance = join(work, "provenance.json");
  const build = async () => {
    const args = ["build", spec, "--arch", ARCH, "--json", "-o", image, "--cache-dir", cache];
    const r = await runCli([...args, "--provenance", provenance]);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as Summary;
  };

  const first = (await build()).platforms[0];
  const names = first.layers.map((l) => l.name);
  assert.deepEqual(names.slice(-2), ["python", "python-app"]);
  assert.match(first.python?.interpreter ?? "", /^3\.\d+$/);
  assert.deepEqual(first.python?.packages.map((p) => [p.name, p.sha256]).sort(), [
    ["fake-libs", libs.sha256],
    ["tabulate", tabulate.sha256],
  ]);
  const libz = first.duplicateLibraries?.find((d) => d.soname === "libz.so.1");
  assert.ok(libz, `libz.so.1 is not reported twice: ${JSON.stringify(first.duplicateLibraries)}`);
  assert.deepEqual(libz.copies.map((c) => c.owner).sort(), ["python:fake-libs", "zlib1g"]);
  const copy = libz.copies.find((c) => c.owner === "python:fake-libs");
  assert.match(
    copy?.path ?? "",
    /^\/usr\/local\/lib\/python3\.\d+\/dist-packages\/fake_libs\/lib\/libz\.so\.1$/,
  );
  assert.ok((copy?.size ?? 0) > 0);

  // The wheels are in the SBOM and the provenance as the .debs are: by purl and SHA-256.
  const spdx = await readFile(join(work, `img.${ARCH}.spdx.json`), "utf8");
  assert.ok(spdx.includes("pkg:pypi/tabulate@0.9.0"), "tabulate is not in the SPDX SBOM");
  assert.ok(spdx.includes(tabulate.sha256), "the wheel's SHA-256 is not in the SPDX SBOM");
  const dependencies = JSON.parse(await readFile(provenance, "utf8")).buildDefinition
    .resolvedDependencies as {
    uri: string;
    digest: { sha256: string };
  }[];
  assert.ok(
    dependencies.some((d) => d.uri === "pkg:pypi/tabulate@0.9.0" && d.digest.sha256 === tabulate.sha256),
  );
  assert.ok(dependencies.some((d) => d.uri.startsWith("pkg:deb/debian/python3")));

  const bundle = join(work, "bundle");
  execFileSync("umoci", ["unpack", "--rootless", "--image", image.slice("oci:".length), bundle], {
    stdio: "pipe",
  });
  const rootfs = join(bundle, "rootfs");
  const files = execFileSync("find", [rootfs, "-printf", "%P\n"], { encoding: "utf8" }).split("\n");
  assert.ok(files.includes("usr/local/bin/python-app"), "the console script is missing");
  assert.ok(files.includes("app/src/python_app/main.py"), "the project is not at /app");
  assert.ok(!files.some((f) => /^usr\/s?bin\/(sh|bash|dash)$/.test(f)), "a shell is in the image");
  assert.ok(!files.some((f) => /(^|\/)pip3?$|\/pip\/__init__\.py$/.test(f)), "pip is in the image");
  assert.ok(!files.some((f) => f.endsWith(".pyc")), "bytecode was written");

  const cannotRun = await unavailable();
  if (cannotRun === false) {
    const run = cudasealRun(cache, [image]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^uid \| 65532$/m);
    assert.match(run.stdout, /^cuda runtime \| 12\.\d+$/m);
    const where = cudasealRun(cache, [
      image,
      "--entrypoint",
      "/usr/bin/python3",
      "--",
      "-c",
      "import tabulate, python_app; print(tabulate.__file__); print(python_app.__file__)",
    ]);
    assert.equal(where.status, 0, where.stderr);
    assert.match(where.stdout, /^\/usr\/local\/lib\/python3\.\d+\/dist-packages\/tabulate\.py$/m);
    assert.match(where.stdout, /^\/app\/src\/python_app\/__init__\.py$/m);
  } else {
    t.diagnostic(`the run half is skipped: ${cannotRun}`);
  }

  // Only the application changes: only its layer is written again.
  const main = join(app, "src/python_app/main.py");
  await writeFile(main, `${await readFile(main, "utf8")}\n# changed\n`);
  const second = (await build()).platforms[0];
  assert.deepEqual(
    second.layers.filter((l) => !l.cached).map((l) => l.name),
    ["python-app"],
  );

  // The same application in a venv: its own site-packages and bin, first on PATH.
  await writeFile(
    spec,
    (await readFile(spec, "utf8")).replace("python:\n", "python:\n  target: venv:/opt/venv\n"),
  );
  const venv = (await build()).platforms[0];
  assert.equal(venv.python?.packages.length, 2);
  if (cannotRun === false) {
    const run = cudasealRun(cache, [image, "--entrypoint", "/opt/venv/bin/python-app"]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^executable \| \/opt\/venv\/bin\/python$/m);
    const where = cudasealRun(cache, [
      image,
      "--entrypoint",
      "/opt/venv/bin/python",
      "--",
      "-c",
      "import sys, tabulate; print(tabulate.__file__); print(sys.prefix)",
    ]);
    assert.equal(where.status, 0, where.stderr);
    assert.match(where.stdout, /^\/opt\/venv\/lib\/python3\.\d+\/site-packages\/tabulate\.py\n\/opt\/venv$/m);
  }
});
