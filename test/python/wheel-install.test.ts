// The wheel installer against real wheels built by Debian's pip/wheel/
// setuptools: the layer's tar, extracted by GNU tar, must hold what `pip
// install --no-index --no-deps --target` installs (files, bytes, modes), save
// pip's own INSTALLER/REQUESTED/direct_url.json, and the result must import
// and run.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, describe, test } from "node:test";
import type { LayerEntry } from "../../src/layer/entry.ts";
import { layerTar } from "../../src/layer/layer-tar.ts";
import {
  checkWheelConflicts,
  emptyWheelMeta,
  inspectWheel,
  type Scheme,
  schemeFor,
  venvEntries,
  type WheelFile,
  wheelLayerEntries,
} from "../../src/python/index.ts";
import {
  type BuiltWheel,
  buildNativeWheel,
  buildWheel,
  DEBIAN_PYTHON,
  pipInstallTarget,
  wheelToolsAvailable,
} from "../helpers/wheels.ts";

const skip = wheelToolsAvailable() ? false : "Debian's python3-pip/-wheel/-setuptools are not installed";
const MTIME = 1700000000;

/** Writes `entries` as a layer tar and extracts it with GNU tar into `dir`. */
async function extract(
  entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>,
  dir: string,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tarPath = `${dir}.tar`;
  await pipeline(Readable.from(layerTar(entries)), createWriteStream(tarPath));
  execFileSync("tar", ["-xpf", tarPath, "--numeric-owner", "-C", dir]);
  await rm(tarPath);
}

/** The entries with their bodies read as they come (a body must be read before the next entry is asked for). */
async function collect(entries: AsyncIterable<LayerEntry>): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  for await (const e of entries) {
    if (e.body && !(e.body instanceof Uint8Array)) {
      const chunks: Buffer[] = [];
      for await (const c of e.body) chunks.push(Buffer.from(c));
      out.push({ ...e, body: Buffer.concat(chunks) });
    } else out.push(e);
  }
  return out;
}

interface Node {
  type: "file" | "dir" | "symlink";
  mode: number;
  sha256?: string;
  link?: string;
}

async function walk(root: string, rel = "", out = new Map<string, Node>()): Promise<Map<string, Node>> {
  for (const name of await readdir(join(root, rel))) {
    const path = rel ? `${rel}/${name}` : name;
    const st = await lstat(join(root, path));
    if (st.isSymbolicLink())
      out.set(path, { type: "symlink", mode: 0, link: await readlink(join(root, path)) });
    else if (st.isDirectory()) {
      out.set(path, { type: "dir", mode: st.mode & 0o7777 });
      await walk(root, path, out);
    } else {
      const sha256 = createHash("sha256")
        .update(await readFile(join(root, path)))
        .digest("hex");
      out.set(path, { type: "file", mode: st.mode & 0o7777, sha256 });
    }
  }
  return out;
}

/** pip --target's layout, as a scheme rooted at `t`: pip installs with --home and moves lib/python's contents up. */
function pipTargetScheme(): Scheme {
  return {
    purelib: "t",
    platlib: "t",
    scripts: "t/bin",
    data: "t",
    headers: (name) => `t/include/python/${name}`,
    interpreter: DEBIAN_PYTHON,
  };
}

/** RECORD lines minus the installers' own files, as [path, hash, size] without the paths pip wrote from its --home. */
function recordSet(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.replace(/\r$/, ""))
    .filter((l) => l && !/\/(INSTALLER|REQUESTED|direct_url\.json|RECORD),/.test(l))
    .map((l) => l.replace(/^(\.\.\/)+/, ""))
    .sort();
}

describe("wheel installer", { skip }, () => {
  let work: string;
  let pure: BuiltWheel;
  let withData: BuiltWheel;
  let native: BuiltWheel;
  const files = (w: BuiltWheel[]): WheelFile[] => w.map((b) => ({ path: b.path, filename: b.filename }));

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "cudaseal-wheel-install-"));
    const out = join(work, "wheels");
    pure = await buildWheel(
      {
        name: "demo-app",
        version: "1.2.0",
        files: {
          "demo_app/__init__.py": "def main():\n    print('demo-app says hi')\n    return 0\n",
          "demo_app/cli/__init__.py": "def run():\n    print('cli run')\n",
          "demo_app/resources/table.json": '{"a": 1}\n',
        },
        consoleScripts: { "demo-app": "demo_app:main", "demo-cli": "demo_app.cli:run" },
        guiScripts: { "demo-gui": "demo_app:main" },
      },
      out,
    );
    withData = await buildWheel(
      {
        name: "data_pkg",
        version: "0.3",
        scripts: {
          "data-tool": "#!/usr/bin/env python3\nprint('tool')\n",
          "data-sh": "#!/bin/sh\necho sh\n",
        },
        data: { "share/data-pkg/config.toml": "x = 1\n", "share/man/man1/data-tool.1": ".TH DATA-TOOL 1\n" },
        headers: { "data_pkg.h": "#define DATA_PKG 1\n" },
      },
      out,
    );
    native = await buildNativeWheel({ name: "fastnum", version: "2.0.1" }, out);
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test("installs the same files, bytes and modes as pip install --target", async () => {
    const wheels = [pure, withData, native];
    await pipInstallTarget(
      wheels.map((w) => w.path),
      join(work, "pip"),
    );
    const meta = emptyWheelMeta();
    await extract(
      wheelLayerEntries(files(wheels), { scheme: pipTargetScheme(), mtime: MTIME }, meta),
      join(work, "ours"),
    );
    const theirs = await walk(join(work, "pip"));
    const ours = await walk(join(work, "ours", "t"));
    const pipOnly = /\.dist-info\/(INSTALLER|REQUESTED|direct_url\.json|RECORD)$/;
    const compared = [...theirs.keys()].filter((p) => !pipOnly.test(p)).sort();
    assert.deepEqual(
      [...ours.keys()].filter((p) => !pipOnly.test(p)).sort(),
      compared,
      "the same paths, save the installers' own dist-info files",
    );
    for (const path of compared) assert.deepEqual(ours.get(path), theirs.get(path), path);
    // Entry points and #!python scripts name the interpreter: Debian's python3 for both here, so no normalising.
    assert.match(
      await readFile(join(work, "ours", "t", "bin", "data-tool"), "utf8"),
      /^#!\/usr\/bin\/python3\n/,
    );
    for (const w of wheels) {
      const distInfo = (await readdir(join(work, "pip"))).find(
        (d) => d.startsWith(`${w.filename.split("-")[0]}-`) && d.endsWith(".dist-info"),
      ) as string;
      assert.equal(await readFile(join(work, "ours", "t", distInfo, "INSTALLER"), "utf8"), "cudaseal\n");
      assert.deepEqual(
        recordSet(await readFile(join(work, "ours", "t", distInfo, "RECORD"), "utf8")),
        recordSet(await readFile(join(work, "pip", distInfo, "RECORD"), "utf8")),
        `${distInfo}/RECORD lists the same files and hashes`,
      );
      assert.equal((await lstat(join(work, "ours", "t", distInfo, "INSTALLER"))).mode & 0o777, 0o644);
    }
    assert.deepEqual(
      meta.wheels.map((w) => [w.name, w.version]),
      [
        ["demo-app", "1.2.0"],
        ["data-pkg", "0.3"],
        ["fastnum", "2.0.1"],
      ],
    );
    assert.ok(![...ours.keys()].some((p) => p.endsWith(".pyc") || p.includes("__pycache__")), "no bytecode");
    // What was installed runs: the compiled library through ctypes, and an entry point.
    const env = { ...process.env, PYTHONPATH: join(work, "ours", "t") };
    assert.equal(
      execFileSync(DEBIAN_PYTHON, ["-c", "import fastnum; print(fastnum.answer())"], {
        env,
        encoding: "utf8",
      }),
      "42\n",
    );
    assert.equal(
      execFileSync(join(work, "ours", "t", "bin", "demo-cli"), { env, encoding: "utf8" }),
      "cli run\n",
    );
  });

  test("a system install goes where Debian's python3 looks for non-Debian packages", async () => {
    const scheme = schemeFor({ kind: "system" }, [3, 13], "/usr/bin/python3");
    const entries: LayerEntry[] = [];
    for await (const e of wheelLayerEntries(
      files([pure, withData]),
      { scheme, mtime: MTIME },
      emptyWheelMeta(),
    )) {
      entries.push(e);
      if (e.body && !(e.body instanceof Uint8Array)) for await (const _ of e.body);
    }
    const byPath = new Map(entries.map((e) => [e.path, e]));
    const site = "usr/local/lib/python3.13/dist-packages";
    assert.equal(byPath.get(`${site}/demo_app/__init__.py`)?.mode, 0o644);
    assert.equal(byPath.get("usr/local/bin/demo-app")?.mode, 0o755);
    assert.match(
      Buffer.from(byPath.get("usr/local/bin/demo-app")?.body as Uint8Array).toString(),
      /^#!\/usr\/bin\/python3\n[\s\S]*from demo_app import main\n[\s\S]*sys\.exit\(main\(\)\)\n$/,
    );
    assert.ok(byPath.has("usr/local/share/data-pkg/config.toml"));
    assert.ok(byPath.has("usr/local/include/python3.13/data-pkg/data_pkg.h"));
    assert.ok(byPath.has(`${site}/data_pkg-0.3.dist-info/INSTALLER`));
    const record = Buffer.from(
      byPath.get(`${site}/data_pkg-0.3.dist-info/RECORD`)?.body as Uint8Array,
    ).toString();
    assert.match(record, /^\.\.\/\.\.\/\.\.\/bin\/data-tool,sha256=[\w-]+,\d+$/m);
    assert.match(record, /^data_pkg-0\.3\.dist-info\/RECORD,,$/m);
    // Parents come before children, each once.
    const dirs = entries.filter((e) => e.type === "directory").map((e) => e.path);
    assert.equal(new Set(dirs).size, dirs.length);
    for (const e of entries) {
      const parent = e.path.slice(0, e.path.lastIndexOf("/"));
      if (parent) assert.ok(dirs.indexOf(parent) < entries.indexOf(e), `${parent} before ${e.path}`);
    }
  });

  test("a venv install runs from the venv with the image's interpreter", async () => {
    // The host's python3 stands for the image's, at the same path in both.
    const version = execFileSync(
      DEBIAN_PYTHON,
      ["-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
      {
        encoding: "utf8",
      },
    )
      .trim()
      .split(" ")
      .map(Number) as [number, number];
    const target = { kind: "venv" as const, path: "/opt/venv" };
    const scheme = schemeFor(target, version, DEBIAN_PYTHON);
    const root = join(work, "venv-root");
    async function* all() {
      yield* venvEntries(target, version, DEBIAN_PYTHON, MTIME);
      yield* wheelLayerEntries(files([pure, native]), { scheme, mtime: MTIME }, emptyWheelMeta());
    }
    // Two wheels and the skeleton share folders; the tar must still hold each once.
    const entries = await collect(all());
    const seen = new Map<string, string>();
    for (const e of entries) {
      if (e.type !== "directory") assert.ok(!seen.has(e.path), e.path);
      seen.set(e.path, e.type);
    }
    await extract(entries, root);
    const venv = join(root, "opt", "venv");
    assert.equal(await readlink(join(venv, "bin", "python")), DEBIAN_PYTHON);
    const cfg = await readFile(join(venv, "pyvenv.cfg"), "utf8");
    assert.match(cfg, /^home = \/usr\/bin$/m);
    assert.match(cfg, /^include-system-site-packages = false$/m);
    const script = await readFile(join(venv, "bin", "demo-app"), "utf8");
    assert.ok(script.startsWith("#!/opt/venv/bin/python\n"), script);
    // Run through the venv's own python (the image path /opt/venv is under `root` here).
    const out = execFileSync(
      join(venv, "bin", "python"),
      [
        "-c",
        "import sys, demo_app, fastnum; print(sys.prefix == sys.base_prefix, fastnum.answer()); demo_app.main()",
      ],
      { encoding: "utf8" },
    );
    assert.equal(out, "False 42\ndemo-app says hi\n");
  });

  test("inspecting a wheel plans its files before anything is installed", async () => {
    const scheme = schemeFor({ kind: "system" }, [3, 13], "/usr/bin/python3");
    const info = await inspectWheel({ path: pure.path, filename: pure.filename }, scheme);
    assert.equal(info.name, "demo-app");
    assert.equal(info.version, "1.2.0");
    assert.equal(info.purelib, true);
    assert.deepEqual(info.tags, ["py3-none-any"]);
    assert.deepEqual(
      info.entryPoints.map((e) => e.name),
      ["demo-app", "demo-cli", "demo-gui"],
    );
    assert.ok(
      info.files.some(
        (f) => f.path === "usr/local/lib/python3.13/dist-packages/demo_app/resources/table.json" && f.sha256,
      ),
    );
    const nativeInfo = await inspectWheel({ path: native.path, filename: native.filename }, scheme);
    assert.equal(nativeInfo.purelib, false);
    assert.doesNotThrow(() => checkWheelConflicts([info, nativeInfo]));
  });
});
