// Real wheels for tests, built by Debian's own python3-pip, python3-wheel and
// python3-setuptools (`pip wheel` over a generated setup.py), and a PEP 503 /
// PEP 691 simple index on 127.0.0.1 serving a folder of them. The wheels are
// what a Python user's tools produce, so the installer and the index client
// are tested against the real formats rather than our own idea of them.
//
// Debian's interpreter is used by path (/usr/bin/python3): a python3 earlier
// on PATH (pyenv, a venv) may lack setuptools/wheel or be another version.
// CUDASEAL_TEST_PYTHON overrides it.

import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import * as zlib from "node:zlib";

const run = promisify(execFile);

/** Debian's python3, which has pip, wheel and setuptools from Debian packages. */
export const DEBIAN_PYTHON = process.env.CUDASEAL_TEST_PYTHON ?? "/usr/bin/python3";

/** Whether the wheel-building tools are there (tests skip with a reason if not). */
export function wheelToolsAvailable(): boolean {
  try {
    execFileSync(DEBIAN_PYTHON, ["-c", "import setuptools, wheel, pip"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Reproducible timestamps in the zip entries (bdist_wheel honours it). */
const SOURCE_DATE_EPOCH = "1700000000";

/** What a test wheel holds. Paths are relative, with forward slashes. */
export interface WheelSpec {
  /** Distribution name as written in setup.py (e.g. "demo-app"). */
  name: string;
  version: string;
  /**
   * Python packages: a map from a file path under the project root to its
   * text, e.g. { "demo/__init__.py": "..." }. Every folder holding an
   * __init__.py becomes a package. Default: one package named after the
   * distribution with an __init__.py defining main().
   */
  files?: Record<string, string>;
  /** Top-level single-file modules: { "helper.py": "..." } (py_modules). */
  modules?: Record<string, string>;
  /** console_scripts entry points: { "demo": "demo:main" }. */
  consoleScripts?: Record<string, string>;
  /** gui_scripts entry points. */
  guiScripts?: Record<string, string>;
  /** Files for {name}.data/scripts/: { "demo-tool": "#!/usr/bin/env python3\n..." } (mode 0755). */
  scripts?: Record<string, string>;
  /** Files for {name}.data/data/: { "share/demo/x.txt": "..." } — installed relative to the scheme's data root. */
  data?: Record<string, string>;
  /** Files for {name}.data/headers/: { "demo.h": "..." }. */
  headers?: Record<string, string>;
  /** Extra METADATA fields as setup() keyword arguments, e.g. { license: "MIT", classifiers: [...] }. */
  metadata?: Record<string, unknown>;
  /**
   * Replace the wheel's tags (python-abi-platform, e.g. "cp313-cp313-manylinux_2_17_x86_64");
   * the wheel is repacked by `wheel pack`, which renames it and rewrites RECORD.
   */
  tags?: string[];
}

/** A wheel file written by the real tools. */
export interface BuiltWheel {
  path: string;
  filename: string;
  name: string;
  version: string;
  /** Hex SHA-256 of the whole file, as a lock would pin it. */
  sha256: string;
  size: number;
}

/** The importable top-level package name derived from a distribution name. */
export function packageName(name: string): string {
  return name.toLowerCase().replace(/[-.]+/g, "_");
}

function defaultFiles(name: string): Record<string, string> {
  const pkg = packageName(name);
  return {
    [`${pkg}/__init__.py`]: `VERSION = "${name}"\n\n\ndef main():\n    print("hello from ${name}")\n    return 0\n`,
  };
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    const path = join(root, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
}

function setupPy(spec: WheelSpec, files: Record<string, string>, platform: boolean): string {
  const packages = Object.keys(files)
    .filter((p) => p.endsWith("/__init__.py"))
    .map((p) => p.slice(0, -"/__init__.py".length).replaceAll("/", "."));
  const packageData: Record<string, string[]> = {};
  // Non-Python files belong to the nearest package above them.
  for (const p of Object.keys(files)) {
    if (p.endsWith(".py")) continue;
    const segments = p.split("/");
    for (let i = segments.length - 1; i > 0; i--) {
      const pkg = segments.slice(0, i).join(".");
      if (!packages.includes(pkg)) continue;
      packageData[pkg] ??= [];
      packageData[pkg].push(segments.slice(i).join("/"));
      break;
    }
  }
  const entryPoints: Record<string, string[]> = {};
  if (spec.consoleScripts) {
    entryPoints.console_scripts = Object.entries(spec.consoleScripts).map(([k, v]) => `${k} = ${v}`);
  }
  if (spec.guiScripts)
    entryPoints.gui_scripts = Object.entries(spec.guiScripts).map(([k, v]) => `${k} = ${v}`);
  const dataFiles = new Map<string, string[]>();
  for (const rel of Object.keys(spec.data ?? {})) {
    const dir = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
    dataFiles.set(dir, [...(dataFiles.get(dir) ?? []), `_data/${rel}`]);
  }
  const args: Record<string, unknown> = {
    name: spec.name,
    version: spec.version,
    packages,
    package_data: packageData,
    py_modules: Object.keys(spec.modules ?? {}).map((m) => m.replace(/\.py$/, "")),
    entry_points: entryPoints,
    scripts: Object.keys(spec.scripts ?? {}).map((s) => `_scripts/${s}`),
    headers: Object.keys(spec.headers ?? {}).map((h) => `_headers/${h}`),
    data_files: [...dataFiles],
    zip_safe: false,
    ...spec.metadata,
  };
  const json = JSON.stringify(args);
  const dist = platform
    ? "from setuptools.dist import Distribution\n\nclass D(Distribution):\n    def has_ext_modules(self):\n        return True\n\n"
    : "";
  return `import json\nfrom setuptools import setup\n${dist}setup(**json.loads(${JSON.stringify(json)})${platform ? ", distclass=D" : ""})\n`;
}

/** Runs Debian's python3 with reproducible timestamps and no user site or pip config. */
async function py(args: string[], cwd: string): Promise<void> {
  await run(DEBIAN_PYTHON, args, {
    cwd,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: cwd,
      SOURCE_DATE_EPOCH,
      PYTHONNOUSERSITE: "1",
      PIP_CONFIG_FILE: "/dev/null",
      PIP_DISABLE_PIP_VERSION_CHECK: "1",
      PIP_NO_CACHE_DIR: "1",
    },
    maxBuffer: 64 * 1024 * 1024,
  });
}

async function describe(path: string, name: string, version: string): Promise<BuiltWheel> {
  const bytes = await readFile(path);
  return {
    path,
    filename: path.slice(path.lastIndexOf("/") + 1),
    name,
    version,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    size: bytes.length,
  };
}

/** Rewrites a built wheel's WHEEL tags and repacks it with `wheel pack` (new name, new RECORD). */
async function retag(wheelPath: string, tags: string[], outDir: string, work: string): Promise<string> {
  const unpacked = join(work, "unpacked");
  await py(["-m", "wheel", "unpack", "-d", unpacked, wheelPath], work);
  const [root] = await readdir(unpacked);
  const tree = join(unpacked, root as string);
  const distInfo = (await readdir(tree)).find((e) => e.endsWith(".dist-info")) as string;
  const wheelFile = join(tree, distInfo, "WHEEL");
  const lines = (await readFile(wheelFile, "utf8")).split("\n").filter((l) => l && !l.startsWith("Tag: "));
  await writeFile(wheelFile, `${[...lines, ...tags.map((t) => `Tag: ${t}`)].join("\n")}\n`);
  await rm(wheelPath);
  const before = new Set(await readdir(outDir));
  await py(["-m", "wheel", "pack", "-d", outDir, tree], work);
  const made = (await readdir(outDir)).find((f) => f.endsWith(".whl") && !before.has(f));
  if (!made) throw new Error("wheel pack wrote no wheel");
  return join(outDir, made);
}

async function buildIn(
  spec: WheelSpec,
  outDir: string,
  prepare?: (src: string) => Promise<void>,
): Promise<BuiltWheel> {
  await mkdir(outDir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), "cudaseal-wheel-"));
  try {
    const src = join(work, "src");
    const files = { ...(spec.files ?? (spec.modules ? {} : defaultFiles(spec.name))) };
    await writeTree(src, files);
    await writeTree(src, spec.modules ?? {});
    const prefixed = (prefix: string, m: Record<string, string> | undefined) =>
      Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [`${prefix}/${k}`, v]));
    await writeTree(src, prefixed("_scripts", spec.scripts));
    for (const s of Object.keys(spec.scripts ?? {})) await chmod(join(src, "_scripts", s), 0o755);
    await writeTree(src, prefixed("_data", spec.data));
    await writeTree(src, prefixed("_headers", spec.headers));
    if (prepare) await prepare(src);
    const platform = prepare !== undefined;
    await writeFile(join(src, "setup.py"), setupPy(spec, files, platform));
    const dist = join(work, "dist");
    await py(
      ["-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, src],
      work,
    );
    const [built] = (await readdir(dist)).filter((f) => f.endsWith(".whl"));
    if (!built) throw new Error(`pip wheel built no wheel for ${spec.name}`);
    let path = join(outDir, built);
    await rename(join(dist, built), path).catch(async () => {
      await writeFile(path, await readFile(join(dist, built)));
    });
    if (spec.tags) path = await retag(path, spec.tags, outDir, work);
    return await describe(path, spec.name, spec.version);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Builds a pure-Python wheel (py3-none-any unless `tags` says otherwise) into `outDir`. */
export function buildWheel(spec: WheelSpec, outDir: string): Promise<BuiltWheel> {
  return buildIn(spec, outDir);
}

/** The host's manylinux platform tag for the default fake native wheel. */
export function hostManylinuxTag(): string {
  const machine = execFileSync("uname", ["-m"], { encoding: "utf8" }).trim();
  return `manylinux_2_17_${machine}`;
}

/** The cpXY tag of Debian's python3 on this machine (e.g. "cp311"). */
export function hostCpythonTag(): string {
  return execFileSync(
    DEBIAN_PYTHON,
    ["-c", "import sys; print(f'cp{sys.version_info[0]}{sys.version_info[1]}')"],
    {
      encoding: "utf8",
    },
  ).trim();
}

/**
 * A fake manylinux wheel: a package holding a shared library compiled by gcc
 * (`<pkg>/_native.so`, exporting `int answer(void)` returning 42) loaded by
 * ctypes from __init__.py, so importing it runs real compiled code without
 * needing Python.h. Root-Is-Purelib is false (platlib), tagged
 * `<cpXY>-<cpXY>-manylinux_2_17_<machine>` for Debian's python3 here unless
 * `spec.tags` says otherwise.
 */
export async function buildNativeWheel(spec: WheelSpec, outDir: string): Promise<BuiltWheel> {
  const pkg = packageName(spec.name);
  const init =
    "import ctypes, os\n\n" +
    `_lib = ctypes.CDLL(os.path.join(os.path.dirname(__file__), "_native.so"))\n\n\n` +
    "def answer():\n    return _lib.answer()\n\n\n" +
    "def main():\n    print(answer())\n    return 0\n";
  const files = { [`${pkg}/__init__.py`]: init, [`${pkg}/_native.so`]: "", ...spec.files };
  const cp = hostCpythonTag();
  const tags = spec.tags ?? [`${cp}-${cp}-${hostManylinuxTag()}`];
  return buildIn({ ...spec, files, tags }, outDir, async (src) => {
    const c = join(src, "_native.c");
    await writeFile(c, "int answer(void) { return 42; }\n");
    await run("gcc", ["-shared", "-fPIC", "-O2", "-o", join(src, pkg, "_native.so"), c]);
    await rm(c);
  });
}

/** Installs wheels the way pip does, as the cross-check: `pip install --no-index --no-deps --target dir`. */
export async function pipInstallTarget(wheels: string[], target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), "cudaseal-pip-"));
  try {
    await py(
      [
        "-m",
        "pip",
        "install",
        "-q",
        "--no-index",
        "--no-deps",
        "--no-compile",
        "--target",
        target,
        ...wheels,
      ],
      work,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A PEP 503 simple index on 127.0.0.1. */
export interface WheelIndex {
  /** Base URL of the index, ending in /simple/ (what `index:` in a spec names). */
  url: string;
  /** Root URL of the server (files are under /files/). */
  origin: string;
  /** Paths requested so far, in order (for asserting what a client fetched). */
  requests: string[];
  close(): Promise<void>;
}

export interface WheelIndexOptions {
  /** Require HTTP basic auth with these credentials (401 otherwise). */
  auth?: { username: string; password: string };
  /** Leave out the #sha256= fragment from links (PEP 503 makes it optional). */
  noHashes?: boolean;
}

/** PEP 503 normalisation: lower case, runs of -_. as one -. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

function projectOf(filename: string): string | undefined {
  if (filename.endsWith(".whl")) return normalizeName(filename.split("-")[0] as string);
  const sdist = /^(.+)-[^-]+\.(tar\.gz|zip)$/.exec(filename);
  return sdist ? normalizeName(sdist[1] as string) : undefined;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/**
 * Serves the wheels (and sdists) in `dir` as a simple index: /simple/ lists
 * projects, /simple/<name>/ lists files with #sha256= fragments, HTML (PEP
 * 503) by default and JSON (PEP 691) when the Accept header asks for
 * application/vnd.pypi.simple.v1+json; /files/<filename> serves the bytes.
 * The folder is read on every request, so wheels added later are listed.
 */
export async function startWheelIndex(dir: string, options: WheelIndexOptions = {}): Promise<WheelIndex> {
  const requests: string[] = [];
  const listing = async () => {
    const byProject = new Map<string, { filename: string; sha256: string; size: number }[]>();
    for (const filename of (await readdir(dir)).sort()) {
      const project = projectOf(filename);
      if (!project) continue;
      const path = join(dir, filename);
      const entry = { filename, sha256: await sha256File(path), size: (await stat(path)).size };
      byProject.set(project, [...(byProject.get(project) ?? []), entry]);
    }
    return byProject;
  };
  const server: Server = createServer((req, res) => {
    const handle = async () => {
      const path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
      requests.push(path);
      if (options.auth) {
        const want = `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString("base64")}`;
        if (req.headers.authorization !== want) {
          res.writeHead(401, { "www-authenticate": 'Basic realm="test index"' }).end();
          return;
        }
      }
      const json = (req.headers.accept ?? "").includes("application/vnd.pypi.simple.v1+json");
      const byProject = await listing();
      if (path === "/simple/" || path === "/simple") {
        if (json) {
          const body = {
            meta: { "api-version": "1.0" },
            projects: [...byProject.keys()].map((name) => ({ name })),
          };
          res
            .writeHead(200, { "content-type": "application/vnd.pypi.simple.v1+json" })
            .end(JSON.stringify(body));
          return;
        }
        const links = [...byProject.keys()].map((p) => `<a href="/simple/${p}/">${p}</a>`).join("\n");
        res
          .writeHead(200, { "content-type": "text/html" })
          .end(`<!DOCTYPE html><html><body>\n${links}\n</body></html>`);
        return;
      }
      const project = /^\/simple\/([^/]+)\/?$/.exec(path);
      if (project) {
        const name = project[1] as string;
        const files = byProject.get(name);
        if (!files) {
          res.writeHead(404).end();
          return;
        }
        if (name !== normalizeName(name)) {
          res.writeHead(301, { location: `/simple/${normalizeName(name)}/` }).end();
          return;
        }
        if (json) {
          const body = {
            meta: { "api-version": "1.0" },
            name,
            files: files.map((f) => ({
              filename: f.filename,
              url: `../../files/${encodeURIComponent(f.filename)}`,
              hashes: options.noHashes ? {} : { sha256: f.sha256 },
              size: f.size,
            })),
          };
          res
            .writeHead(200, { "content-type": "application/vnd.pypi.simple.v1+json" })
            .end(JSON.stringify(body));
          return;
        }
        const links = files
          .map((f) => {
            const href = `../../files/${encodeURIComponent(f.filename)}${options.noHashes ? "" : `#sha256=${f.sha256}`}`;
            return `<a href="${escapeHtml(href)}">${escapeHtml(f.filename)}</a><br/>`;
          })
          .join("\n");
        res
          .writeHead(200, { "content-type": "text/html" })
          .end(`<!DOCTYPE html><html><body><h1>Links for ${name}</h1>\n${links}\n</body></html>`);
        return;
      }
      const file = /^\/files\/([^/]+)$/.exec(path);
      if (file && !(file[1] as string).startsWith(".")) {
        const full = join(dir, file[1] as string);
        const size = await stat(full).then(
          (s) => (s.isFile() ? s.size : -1),
          () => -1,
        );
        if (size < 0) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
        createReadStream(full).pipe(res);
        return;
      }
      res.writeHead(404).end();
    };
    handle().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/simple/`,
    origin,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One member of a zip written by `zipArchive`, with the knobs hostile-archive tests need. */
export interface ZipMember {
  name: string;
  data?: string | Uint8Array;
  /** Unix mode including the file type (default 0o100644); 0o120777 makes a symlink entry. */
  mode?: number;
  /** 0 stored, 8 deflate (default). */
  method?: 0 | 8;
  /** Sizes in the central directory, when the test wants them to lie. */
  declaredSize?: number;
  declaredCompressedSize?: number;
  /** Name in the local header, when it should disagree with the central directory. */
  localName?: string;
  /** The stored bytes to write instead of compressing `data` (e.g. a deflate stream with bytes after its end). */
  packed?: Uint8Array;
  /** Force the local data offset in the central directory (for overlapping-entry bombs). */
  offset?: number;
}

export interface ZipOptions {
  /** Write sizes in data descriptors (flag bit 3), zeros in the local headers. */
  dataDescriptors?: boolean;
  /** Write zip64 extra fields and the zip64 end records even though nothing needs them. */
  zip64?: boolean;
}

/**
 * The bytes of a zip archive, written here rather than by a tool so that a
 * test can make it exactly as malformed as it needs (and check zip64 and
 * data descriptors, which small archives from zipfile never use).
 */
export function zipArchive(members: ZipMember[], options: ZipOptions = {}): Buffer {
  const { crc32, deflateRawSync } = zlib;
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const data = typeof m.data === "string" ? Buffer.from(m.data) : Buffer.from(m.data ?? []);
    const method = m.method ?? 8;
    const packed = m.packed ? Buffer.from(m.packed) : method === 8 ? deflateRawSync(data) : data;
    const crc = crc32(data);
    const name = Buffer.from(m.name);
    const localName = Buffer.from(m.localName ?? m.name);
    const flags = 0x800 | (options.dataDescriptors ? 0x8 : 0);
    const z64 = options.zip64;
    const localExtra = z64 ? Buffer.alloc(20) : Buffer.alloc(0);
    if (z64) {
      localExtra.writeUInt16LE(1, 0);
      localExtra.writeUInt16LE(16, 2);
      localExtra.writeBigUInt64LE(BigInt(options.dataDescriptors ? 0 : data.length), 4);
      localExtra.writeBigUInt64LE(BigInt(options.dataDescriptors ? 0 : packed.length), 12);
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(z64 ? 45 : 20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(0x21, 10);
    local.writeUInt32LE(options.dataDescriptors ? 0 : crc, 14);
    local.writeUInt32LE(options.dataDescriptors ? 0 : z64 ? 0xffffffff : packed.length, 18);
    local.writeUInt32LE(options.dataDescriptors ? 0 : z64 ? 0xffffffff : data.length, 22);
    local.writeUInt16LE(localName.length, 26);
    local.writeUInt16LE(localExtra.length, 28);
    const at = m.offset ?? offset;
    parts.push(local, localName, localExtra, packed);
    offset += local.length + localName.length + localExtra.length + packed.length;
    if (options.dataDescriptors) {
      const dd = Buffer.alloc(z64 ? 24 : 16);
      dd.writeUInt32LE(0x08074b50, 0);
      dd.writeUInt32LE(crc, 4);
      if (z64) {
        dd.writeBigUInt64LE(BigInt(packed.length), 8);
        dd.writeBigUInt64LE(BigInt(data.length), 16);
      } else {
        dd.writeUInt32LE(packed.length, 8);
        dd.writeUInt32LE(data.length, 12);
      }
      parts.push(dd);
      offset += dd.length;
    }
    const size = m.declaredSize ?? data.length;
    const csize = m.declaredCompressedSize ?? packed.length;
    const extra = z64 ? Buffer.alloc(28) : Buffer.alloc(0);
    if (z64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(size), 4);
      extra.writeBigUInt64LE(BigInt(csize), 12);
      extra.writeBigUInt64LE(BigInt(at), 20);
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE((3 << 8) | 45, 4);
    c.writeUInt16LE(z64 ? 45 : 20, 6);
    c.writeUInt16LE(flags, 8);
    c.writeUInt16LE(method, 10);
    c.writeUInt32LE(0x21, 12);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(z64 ? 0xffffffff : csize, 20);
    c.writeUInt32LE(z64 ? 0xffffffff : size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(extra.length, 30);
    c.writeUInt32LE(((m.mode ?? 0o100644) << 16) >>> 0, 38);
    c.writeUInt32LE(z64 ? 0xffffffff : at, 42);
    central.push(c, name, extra);
  }
  const dir = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (options.zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(members.length), 24);
    rec.writeBigUInt64LE(BigInt(members.length), 32);
    rec.writeBigUInt64LE(BigInt(dir.length), 40);
    rec.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + dir.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(options.zip64 ? 0xffff : members.length, 8);
  eocd.writeUInt16LE(options.zip64 ? 0xffff : members.length, 10);
  eocd.writeUInt32LE(options.zip64 ? 0xffffffff : dir.length, 12);
  eocd.writeUInt32LE(options.zip64 ? 0xffffffff : offset, 16);
  return Buffer.concat([...parts, dir, ...tail, eocd]);
}

/** A RECORD line for `data` at `path`, as bdist_wheel writes it. */
export function recordLineFor(path: string, data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  return `${path},sha256=${createHash("sha256").update(bytes).digest("base64url")},${bytes.length}`;
}

/**
 * The members of a minimal valid wheel `name-version` holding `files`
 * (member name → text), with WHEEL, METADATA and a correct RECORD, for tests
 * to spoil one way at a time. `extraRecord` lines are appended to RECORD.
 */
export function wheelMembers(
  name: string,
  version: string,
  files: Record<string, string | Uint8Array>,
  options: { extraRecord?: string[]; record?: (lines: string[]) => string[] } = {},
): ZipMember[] {
  const distInfo = `${name}-${version}.dist-info`;
  // The test's files first, in zip order; they may replace METADATA or WHEEL.
  const all: Record<string, string | Uint8Array> = { ...files };
  all[`${distInfo}/METADATA`] ??= `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`;
  all[`${distInfo}/WHEEL`] ??=
    "Wheel-Version: 1.0\nGenerator: cudaseal-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
  let lines = Object.entries(all).map(([p, d]) => recordLineFor(p, d));
  lines.push(...(options.extraRecord ?? []), `${distInfo}/RECORD,,`);
  if (options.record) lines = options.record(lines);
  return [
    ...Object.entries(all).map(([n, data]) => ({ name: n, data })),
    { name: `${distInfo}/RECORD`, data: `${lines.join("\n")}\n` },
  ];
}
