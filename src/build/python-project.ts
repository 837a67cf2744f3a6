// The application's own code, installed as `uv sync` installs a project:
// the source tree as-is at /app (the working directory), and, when
// pyproject.toml makes it a package, an editable install of it — a .pth file
// putting its import root (/app/src for a src layout, else /app) on sys.path,
// its .dist-info (so importlib.metadata and scanners see it), and its
// [project.scripts] as console scripts for the image's interpreter. Nothing
// of it is built: no build backend runs, so a project needing compiled
// extensions ships them as wheels in the lock.

import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { join, posix } from "node:path";
import { parse as parseToml } from "smol-toml";
import { CudasealError } from "../errors.ts";
import { fileEntry, type LayerEntry } from "../layer/entry.ts";
import { type EntryPoint, entryPointScript, tryParseVersion } from "../python/index.ts";
import { readRegularFile } from "../util/read-regular-file.ts";

/** Where the project's tree goes in the image. */
export const PROJECT_ROOT = "/app";

/** What of a local project tree stays out of the image: tools' state, caches and a local venv. */
const SKIPPED =
  /^(\.venv|venv|\.git|\.hg|\.svn|\.tox|\.nox|\.pytest_cache|\.mypy_cache|\.ruff_cache|__pycache__|node_modules)$|\.py[co]$/;

/** Whether `relative` (a path inside the project) is left out of the image. */
export function skipProjectPath(relative: string): boolean {
  return relative.split("/").some((part) => SKIPPED.test(part));
}

/** The project's pyproject.toml, as an installer needs it. */
export interface ProjectFacts {
  /** As written in [project] name. */
  name: string;
  version: string;
  /** [project.entry-points], with scripts and gui-scripts as console_scripts and gui_scripts. */
  entryPoints: Record<string, Record<string, string>>;
  /** Absolute import root in the image: /app/src for a src layout, else /app. */
  importRoot: string;
  requiresPython?: string;
}

/** Where installed Python files go, as absolute image paths. */
export interface InstallPaths {
  /** site-packages (purelib and platlib are one folder in both targets). */
  sitePackages: string;
  scripts: string;
  /** The interpreter console scripts name in their #! line. */
  interpreter: string;
}

const MAX_PYPROJECT = 1024 * 1024;

/** The project in `dir`; undefined when it is not a package (no [project], or `tool.uv.package = false`). */
export async function readProject(dir: string): Promise<ProjectFacts | undefined> {
  const file = join(dir, "pyproject.toml");
  if (!(await isFile(file))) return undefined;
  const text = (await readRegularFile(file, { what: "pyproject.toml", max: MAX_PYPROJECT })).toString("utf8");
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new CudasealError("PY_LOCK_INVALID", `${file} is not valid TOML`, { cause: err });
  }
  const project = table(doc.project);
  const uv = table(table(doc.tool)?.uv);
  if (!project || uv?.package === false) return undefined;
  const name = project.name;
  if (typeof name !== "string" || !/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name)) {
    throw new CudasealError("PY_LOCK_INVALID", `${file}: [project] name is missing or not a valid name`);
  }
  // The version names the .dist-info folder, so it must be PEP 440 (no `/`, no `..`).
  if (
    project.version !== undefined &&
    (typeof project.version !== "string" || !tryParseVersion(project.version))
  )
    throw new CudasealError("PY_LOCK_INVALID", `${file}: [project] version is not a PEP 440 version`, {
      hint: "write it as uv and pip take it: 1.2.3, 2.0rc1, 1.0.post1",
    });
  const entryPoints: Record<string, Record<string, string>> = {};
  for (const [group, value] of Object.entries(table(project["entry-points"]) ?? {}))
    entryPoints[group] = strings(value, file, `entry-points.${group}`);
  const scripts = strings(project.scripts, file, "scripts");
  const gui = strings(project["gui-scripts"], file, "gui-scripts");
  if (Object.keys(scripts).length) entryPoints.console_scripts = scripts;
  if (Object.keys(gui).length) entryPoints.gui_scripts = gui;
  return {
    name,
    // A dynamic version is decided by a build backend, which never runs here.
    version: typeof project.version === "string" ? project.version : "0",
    entryPoints,
    importRoot: (await isDir(join(dir, "src"))) ? `${PROJECT_ROOT}/src` : PROJECT_ROOT,
    requiresPython: typeof project["requires-python"] === "string" ? project["requires-python"] : undefined,
  };
}

/**
 * The files an editable install of `project` adds beside the tree: the .pth,
 * the .dist-info with a RECORD of them all, and the console scripts.
 */
export function projectInstallEntries(
  project: ProjectFacts,
  paths: InstallPaths,
  mtime: number,
): LayerEntry[] {
  const site = paths.sitePackages.replace(/^\//, "");
  const dist = `${project.name.replace(/[-_.]+/g, "_").toLowerCase()}-${project.version.replace(/-/g, "_")}`;
  const files: [string, string, number][] = [
    [`${site}/__editable__.${dist}.pth`, `${project.importRoot}\n`, 0o644],
  ];
  const info = `${site}/${dist}.dist-info`;
  const metadata = [
    "Metadata-Version: 2.1",
    `Name: ${project.name}`,
    `Version: ${project.version}`,
    ...(project.requiresPython ? [`Requires-Python: ${project.requiresPython}`] : []),
  ];
  files.push([`${info}/METADATA`, `${metadata.join("\n")}\n`, 0o644]);
  files.push([`${info}/INSTALLER`, "cudaseal\n", 0o644]);
  files.push([
    `${info}/direct_url.json`,
    `${JSON.stringify({ url: `file://${PROJECT_ROOT}`, dir_info: { editable: true } })}\n`,
    0o644,
  ]);
  const groups = Object.entries(project.entryPoints);
  if (groups.length) {
    const text = groups
      .map(
        ([group, eps]) =>
          `[${group}]\n${Object.entries(eps)
            .map(([k, v]) => `${k} = ${v}\n`)
            .join("")}`,
      )
      .join("\n");
    files.push([`${info}/entry_points.txt`, text, 0o644]);
  }
  for (const group of ["console_scripts", "gui_scripts"]) {
    for (const [name, target] of Object.entries(project.entryPoints[group] ?? {})) {
      if (!/^[A-Za-z0-9._-]+$/.test(name) || name === "." || name === "..")
        throw new CudasealError(
          "PY_LOCK_INVALID",
          `the script name '${name}' in pyproject.toml is not a file name`,
          { hint: "name scripts with letters, digits, '.', '_' and '-' (not '.' or '..')" },
        );
      const script = entryPointScript(entryPoint(name, target), paths.interpreter);
      files.push([`${paths.scripts.replace(/^\//, "")}/${name}`, script, 0o755]);
    }
  }
  const record = files.map(([path, text]) => {
    const digest = createHash("sha256").update(text).digest("base64url");
    return `${posix.relative(site, path)},sha256=${digest},${Buffer.byteLength(text)}`;
  });
  record.push(`${posix.relative(site, `${info}/RECORD`)},,`);
  files.push([`${info}/RECORD`, `${record.join("\n")}\n`, 0o644]);
  return files.map(([path, text, mode]) => fileEntry(path, text, mtime, mode));
}

/** `module:attr.path [extras]` as the entry point the installer writes launchers for. */
function entryPoint(name: string, target: string): EntryPoint {
  const m = /^\s*([\w.]+)\s*:\s*([\w.]+)\s*(\[.*\])?\s*$/.exec(target);
  if (!m)
    throw new CudasealError(
      "PY_LOCK_INVALID",
      `the entry point '${name} = ${target}' is not module:function`,
    );
  return { name, module: m[1], attr: m[2] };
}

function table(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function strings(value: unknown, file: string, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(table(value) ?? {})) {
    if (typeof v !== "string")
      throw new CudasealError("PY_LOCK_INVALID", `${file}: [project.${field}] ${k} is not a string`);
    out[k] = v;
  }
  return out;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}
