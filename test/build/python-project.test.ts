// The application's editable install, checked by Python itself: the
// example project's pyproject.toml read, its .pth, .dist-info and console
// script written as entries, laid out in a folder, and then importlib.metadata
// and the script run by the machine's python3 see what `uv sync` would give.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { projectInstallEntries, readProject, skipProjectPath } from "../../src/build/python-project.ts";
import { isCudasealError } from "../../src/errors.ts";

const EXAMPLE = join(import.meta.dirname, "../../examples/python-app");

test("the example project is a package with a src layout and one console script", async () => {
  assert.deepEqual(await readProject(EXAMPLE), {
    name: "python-app",
    version: "0.1.0",
    entryPoints: { console_scripts: { "python-app": "python_app.main:main" } },
    importRoot: "/app/src",
    requiresPython: ">=3.11",
  });
});

test("a project uv does not install (no [project], or tool.uv.package = false) is no package", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "cudaseal-project-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.equal(await readProject(dir), undefined);
  await writeFile(
    join(dir, "pyproject.toml"),
    '[project]\nname = "x"\nversion = "1"\n[tool.uv]\npackage = false\n',
  );
  assert.equal(await readProject(dir), undefined);
  await writeFile(join(dir, "pyproject.toml"), '[project]\nname = "x"\n[project.scripts]\nx = 3\n');
  await assert.rejects(readProject(dir), (err) => isCudasealError(err, "PY_LOCK_INVALID"));
});

test("a version or script name that would climb out of site-packages or bin is refused", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "cudaseal-project-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "pyproject.toml"), '[project]\nname = "x"\nversion = "1/../../../../etc"\n');
  await assert.rejects(readProject(dir), (err) => isCudasealError(err, "PY_LOCK_INVALID"));
  const paths = {
    sitePackages: "/usr/local/lib/python3.13/dist-packages",
    scripts: "/usr/local/bin",
    interpreter: "/usr/bin/python3",
  };
  for (const name of ["..", "."]) {
    const project = {
      name: "x",
      version: "1",
      entryPoints: { console_scripts: { [name]: "x:main" } },
      importRoot: "/app",
    };
    assert.throws(
      () => projectInstallEntries(project, paths, 0),
      (err) => isCudasealError(err, "PY_LOCK_INVALID"),
      name,
    );
  }
});

test("a local venv, VCS folders and bytecode stay out of the image", () => {
  for (const p of [".venv", ".venv/bin/python", ".git/HEAD", "src/a/__pycache__/m.cpython-313.pyc", "x.pyc"])
    assert.ok(skipProjectPath(p), p);
  for (const p of ["src/python_app/main.py", "venvs.md", "data/model.bin"]) assert.ok(!skipProjectPath(p), p);
});

test("python3 finds the editable install's metadata, imports the project and runs its script", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "cudaseal-editable-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  // The image's /app and site-packages, under `root`; the .pth names the image's path, so it is rewritten here.
  await cp(join(EXAMPLE, "src"), join(root, "app/src"), { recursive: true });
  await mkdir(join(root, "app/src/tabulate"), { recursive: true });
  await writeFile(
    join(root, "app/src/tabulate/__init__.py"),
    "def tabulate(rows, headers=()):\n    return 'table'\n",
  );
  const project = await readProject(EXAMPLE);
  assert.ok(project);
  const paths = { sitePackages: "/site", scripts: "/bin", interpreter: "/usr/bin/python3" };
  for (const e of projectInstallEntries(project, paths, 0)) {
    const path = join(root, e.path);
    await mkdir(dirname(path), { recursive: true });
    const body = Buffer.from(e.body as Uint8Array).toString("utf8");
    await writeFile(path, e.path.endsWith(".pth") ? body.replace("/app", join(root, "app")) : body);
    await chmod(path, e.mode);
  }
  const py = (code: string) =>
    execFileSync(
      "python3",
      ["-c", `import site; site.addsitedir(${JSON.stringify(join(root, "site"))})\n${code}`],
      {
        encoding: "utf8",
        env: { PATH: process.env.PATH, PYTHONNOUSERSITE: "1" },
      },
    );
  const meta = JSON.parse(
    py(
      "import importlib.metadata as m, json\nd = m.distribution('python-app')\n" +
        "print(json.dumps([d.version, d.read_text('INSTALLER'), [(e.name, e.value, e.group) for e in d.entry_points], [str(f) for f in d.files]]))",
    ),
  );
  assert.equal(meta[0], "0.1.0");
  assert.equal(meta[1], "cudaseal\n");
  assert.deepEqual(meta[2], [["python-app", "python_app.main:main", "console_scripts"]]);
  assert.ok(meta[3].includes("../bin/python-app"), meta[3].join(" "));
  const script = await readFile(join(root, "bin/python-app"), "utf8");
  assert.match(script, /^#!\/usr\/bin\/python3\n/);
  // The script's body, run by this python3 with the site folder added: the app's main runs.
  const out = py(script.split("\n").slice(1).join("\n"));
  assert.equal(out, "table\n");
});
