// The three lock readers on hand-written fixtures (test/fixtures/python,
// README.md there says where each format is described): what `uv sync
// --frozen` would install for the image, PEP 751's selection rules, and a
// hashed requirements file with includes; and the coded refusals.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CudasealError, type ErrorCode } from "../../src/errors.ts";
import {
  type InterpreterFacts,
  type PythonLock,
  planPython,
  readPythonLock,
} from "../../src/python/index.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/python");
const UV = join(FIXTURES, "uv-app/uv.lock");
const PYLOCK = join(FIXTURES, "pylock-app/pylock.toml");
const REQUIREMENTS = join(FIXTURES, "requirements-app/requirements.txt");

const AMD64: InterpreterFacts = {
  version: [3, 13],
  arch: "amd64",
  glibc: [2, 41],
  executable: "/usr/bin/python3",
};
const ARM64: InterpreterFacts = { ...AMD64, arch: "arm64" };

const scratch = await mkdtemp(join(tmpdir(), "cudaseal-pylock-"));
after(() => rm(scratch, { recursive: true, force: true }));

function pins(lock: PythonLock): string[] {
  return lock.packages.map((p) => `${p.name}==${p.version}`);
}

async function rejects(promise: Promise<unknown>, code: ErrorCode): Promise<CudasealError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof CudasealError && e.code === code) return e;
    throw e;
  }
  assert.fail(`expected ${code}`);
}

async function variant(dir: string, name: string, text: string): Promise<string> {
  const folder = join(scratch, dir);
  await mkdir(folder, { recursive: true });
  const path = join(folder, name);
  await writeFile(path, text);
  return path;
}

test("uv.lock: the project's dependencies for the image, its markers followed and the project itself left out", async () => {
  const lock = await readPythonLock(UV, { interpreter: AMD64 });
  assert.equal(lock.format, "uv.lock");
  assert.deepEqual(pins(lock), [
    "certifi==2024.8.30",
    "charset-normalizer==3.4.0",
    "idna==3.10",
    "numpy==2.1.3",
    "pysocks==1.7.1",
    "requests==2.32.3",
    "urllib3==2.2.3",
  ]);
  const numpy = lock.packages.find((p) => p.name === "numpy");
  assert.equal(numpy?.index, "https://pypi.example/simple");
  assert.equal(numpy?.files.filter((f) => f.kind === "wheel").length, 5);
  assert.ok(numpy?.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256) && f.url?.startsWith("https://")));
});

test("uv.lock: the older interpreter takes the other side of the python_full_version fork", async () => {
  const lock = await readPythonLock(UV, { interpreter: { ...AMD64, version: [3, 9], fullVersion: "3.9.2" } });
  assert.ok(pins(lock).includes("numpy==1.26.4"));
  assert.ok(!pins(lock).includes("numpy==2.1.3"));
});

test("uv.lock: groups and extras are installed when named, as uv sync --group/--extra, and only then", async () => {
  const lock = await readPythonLock(UV, { interpreter: AMD64, groups: ["dev"], extras: ["cli", "cu124"] });
  const p = pins(lock);
  for (const want of [
    "click==8.1.7",
    "pytest==8.3.3",
    "pluggy==1.5.0",
    "torch==2.5.1",
    "nvidia-cublas-cu12==12.4.5.8",
  ])
    assert.ok(p.includes(want), want);
  assert.ok(!p.includes("colorama==0.4.6"), "win32-only dependencies stay out");
  assert.ok(!p.includes("ruff==0.7.1"), "the lint group was not named");
  // On arm64 the same selection has no CUDA library: its marker asks for x86_64.
  const arm = await readPythonLock(UV, { interpreter: ARM64, groups: ["dev"], extras: ["cu124"] });
  assert.ok(pins(arm).includes("torch==2.5.1"));
  assert.ok(!pins(arm).includes("nvidia-cublas-cu12==12.4.5.8"));
});

test("uv.lock: conflicting extras choose between the two torch entries", async () => {
  const cpu = await readPythonLock(UV, { interpreter: AMD64, extras: ["cpu"] });
  const torch = cpu.packages.find((p) => p.name === "torch");
  assert.equal(torch?.version, "2.5.1+cpu");
  assert.equal(torch?.index, "https://torch.example/whl/cpu");
  // That index's x86_64 wheel has the plain linux tag: refused, with why.
  const err = await rejects(planPython(cpu, AMD64), "PY_NO_WHEEL");
  assert.match(err.hint ?? "", /auditwheel/);
  const chosen = await planPython(await readPythonLock(UV, { interpreter: ARM64, extras: ["cpu"] }), ARM64);
  assert.equal(
    chosen.find((c) => c.name === "torch")?.filename,
    "torch-2.5.1+cpu-cp313-cp313-manylinux_2_28_aarch64.whl",
  );
});

test("uv.lock: planPython takes the best wheel of each package, with its URL and hash, per architecture", async () => {
  const lock = await readPythonLock(UV, { interpreter: AMD64, extras: ["cu124"] });
  const amd = await planPython(lock, AMD64);
  const byName = new Map(amd.map((c) => [c.name, c]));
  assert.equal(
    byName.get("numpy")?.filename,
    "numpy-2.1.3-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
  );
  assert.equal(
    byName.get("charset-normalizer")?.filename,
    "charset_normalizer-3.4.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
  );
  assert.equal(byName.get("torch")?.filename, "torch-2.5.1-cp313-cp313-manylinux1_x86_64.whl");
  assert.match(byName.get("numpy")?.url ?? "", /^https:\/\/files\.pypi\.example\//);
  assert.match(byName.get("numpy")?.sha256 ?? "", /^[0-9a-f]{64}$/);
  const arm = await planPython(await readPythonLock(UV, { interpreter: ARM64, extras: ["cu124"] }), ARM64);
  assert.equal(
    arm.find((c) => c.name === "torch")?.filename,
    "torch-2.5.1-cp313-cp313-manylinux2014_aarch64.whl",
  );
});

test("uv.lock: an unknown group or extra, a missing hash, a source tree and an unknown lock version are refused", async () => {
  await rejects(readPythonLock(UV, { interpreter: AMD64, groups: ["docs"] }), "PY_LOCK_INVALID");
  await rejects(readPythonLock(UV, { interpreter: AMD64, extras: ["gpu"] }), "PY_LOCK_INVALID");
  const text = await readFile(UV, "utf8");
  const unhashed = await variant(
    "unhashed",
    "uv.lock",
    text.replace(/(urllib3-2\.2\.3-py3-none-any\.whl"), hash = "sha256:[0-9a-f]+"/, "$1"),
  );
  assert.notEqual(await readFile(unhashed, "utf8"), text);
  await rejects(readPythonLock(unhashed, { interpreter: AMD64 }), "PY_UNHASHED");
  const tree = await variant(
    "tree",
    "uv.lock",
    text.replace(
      'name = "idna"\nversion = "3.10"\nsource = { registry = "https://pypi.example/simple" }',
      'name = "idna"\nversion = "3.10"\nsource = { directory = "vendor/idna" }',
    ),
  );
  const err = await rejects(readPythonLock(tree, { interpreter: AMD64 }), "PY_NO_WHEEL");
  assert.match(err.hint ?? "", /runs no code/);
  // A git source's URL is named without the token it may carry.
  const git = await variant(
    "git",
    "uv.lock",
    text.replace(
      'name = "idna"\nversion = "3.10"\nsource = { registry = "https://pypi.example/simple" }',
      'name = "idna"\nversion = "3.10"\nsource = { git = "https://ci:s3cret@git.example/idna.git?rev=v3.10" }',
    ),
  );
  const gitErr = await rejects(readPythonLock(git, { interpreter: AMD64 }), "PY_NO_WHEEL");
  assert.match(gitErr.message, /git\.example/);
  assert.doesNotMatch(gitErr.message, /s3cret/);
  await rejects(
    readPythonLock(await variant("v2", "uv.lock", text.replace("version = 1\n", "version = 2\n")), {
      interpreter: AMD64,
    }),
    "PY_LOCK_INVALID",
  );
  await rejects(
    readPythonLock(await variant("toml", "uv.lock", "version = 1\n[[package]\n"), { interpreter: AMD64 }),
    "PY_LOCK_INVALID",
  );
  await rejects(
    readPythonLock(
      await variant("py", "uv.lock", text.replace('requires-python = ">=3.9"', 'requires-python = ">=3.14"')),
      { interpreter: AMD64 },
    ),
    "PY_LOCK_INVALID",
  );
});

test("pylock.toml: the default groups, the extras asked for, and the entry whose marker holds", async () => {
  const lock = await readPythonLock(PYLOCK, { interpreter: AMD64 });
  assert.equal(lock.format, "pylock.toml");
  assert.deepEqual(pins(lock), ["iniconfig==2.0.0", "local-tool==0.1.0", "numpy==2.1.3"]);
  const local = lock.packages.find((p) => p.name === "local-tool");
  assert.equal(
    local?.files[0]?.url,
    new URL("wheels/local_tool-0.1.0-py3-none-any.whl", `file://${join(FIXTURES, "pylock-app")}/`).href,
  );
  const more = await readPythonLock(PYLOCK, { interpreter: AMD64, extras: ["cli", "gpu"], groups: ["docs"] });
  assert.deepEqual(pins(more), [
    "click==8.1.7",
    "local-tool==0.1.0",
    "numpy==2.1.3",
    "nvidia-cublas-cu12==12.4.5.8",
    "sphinx==8.1.3",
  ]);
  const numpy = (await planPython(lock, ARM64)).find((c) => c.name === "numpy");
  assert.equal(numpy?.filename, "numpy-2.1.3-cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64.whl");
});

test("pylock.toml: an image outside the lock's environments, an unknown extra, or two entries that both apply are refused", async () => {
  const text = await readFile(PYLOCK, "utf8");
  await rejects(readPythonLock(PYLOCK, { interpreter: AMD64, extras: ["nope"] }), "PY_LOCK_INVALID");
  const envs = await variant(
    "envs",
    "pylock.toml",
    text.replace(
      `environments = ["sys_platform == 'linux'", "sys_platform == 'darwin'"]`,
      `environments = ["sys_platform == 'win32'"]`,
    ),
  );
  await rejects(readPythonLock(envs, { interpreter: AMD64 }), "PY_LOCK_INVALID");
  const twice = await variant(
    "twice",
    "pylock.toml",
    text.replace(`marker = "sys_platform == 'darwin'"`, `marker = "os_name == 'posix'"`),
  );
  await rejects(readPythonLock(twice, { interpreter: AMD64 }), "PY_LOCK_INVALID");
  const v2 = await variant("v2", "pylock.toml", text.replace('lock-version = "1.0"', 'lock-version = "2.0"'));
  await rejects(readPythonLock(v2, { interpreter: AMD64 }), "PY_LOCK_INVALID");
  const vcs = await variant(
    "vcs",
    "pylock.toml",
    `${text}\n[[packages]]\nname = "from-git"\nvcs = { type = "git", url = "https://git.example/x.git", commit-id = "${"a".repeat(40)}" }\n`,
  );
  await rejects(readPythonLock(vcs, { interpreter: AMD64 }), "PY_NO_WHEEL");
  const sdistOnly = await variant(
    "sdist",
    "pylock.toml",
    `${text}\n[[packages]]\nname = "pycuda"\nversion = "2024.1"\nsdist = { url = "https://files.pypi.example/pycuda-2024.1.tar.gz", hashes = { sha256 = "${"b".repeat(64)}" } }\n`,
  );
  const err = await rejects(
    planPython(await readPythonLock(sdistOnly, { interpreter: AMD64 }), AMD64),
    "PY_NO_WHEEL",
  );
  assert.match(err.hint ?? "", /runs no code/);
  const md5 = await variant(
    "md5",
    "pylock.toml",
    `${text}\n[[packages]]\nname = "weak"\nversion = "1.0"\nwheels = [{ url = "https://files.pypi.example/weak-1.0-py3-none-any.whl", hashes = { md5 = "${"c".repeat(32)}" } }]\n`,
  );
  await rejects(readPythonLock(md5, { interpreter: AMD64 }), "PY_UNHASHED");
});

test("requirements.txt: pins and hashes through -r includes, markers evaluated for the image", async () => {
  const lock = await readPythonLock(REQUIREMENTS, { interpreter: AMD64 });
  assert.equal(lock.format, "requirements.txt");
  assert.deepEqual(pins(lock), [
    "certifi==2024.8.30",
    "idna==3.10",
    "numpy==2.1.3",
    "requests==2.32.3",
    "urllib3==2.2.3",
  ]);
  assert.deepEqual(lock.indexes, ["https://pypi.example/simple"]);
  assert.equal(lock.packages.find((p) => p.name === "numpy")?.hashes?.length, 2);
  assert.equal(lock.packages.find((p) => p.name === "numpy")?.files.length, 0);
});

test("requirements.txt: an unpinned or unhashed line, an include loop and an include leaving the folder are refused", async () => {
  const h = `--hash=sha256:${"d".repeat(64)}`;
  await rejects(
    readPythonLock(await variant("r1", "requirements.txt", `requests>=2 ${h}\n`), { interpreter: AMD64 }),
    "PY_UNPINNED",
  );
  await rejects(
    readPythonLock(await variant("r2", "requirements.txt", `requests==2.*  ${h}\n`), { interpreter: AMD64 }),
    "PY_UNPINNED",
  );
  await rejects(
    readPythonLock(await variant("r3", "requirements.txt", "requests==2.32.3\n"), { interpreter: AMD64 }),
    "PY_UNHASHED",
  );
  await rejects(
    readPythonLock(await variant("r4", "requirements.txt", `-e ./src ${h}\n`), { interpreter: AMD64 }),
    "PY_UNPINNED",
  );
  await rejects(
    readPythonLock(
      await variant("r5", "requirements.txt", `requests==2.32.3 --hash=md5:${"e".repeat(32)}\n`),
      { interpreter: AMD64 },
    ),
    "PY_UNHASHED",
  );
  // An unhashed line whose marker excludes the image is not installed, so not refused.
  const skipped = await readPythonLock(
    await variant("r6", "requirements.txt", "pywin32==308 ; sys_platform == 'win32'\n"),
    { interpreter: AMD64 },
  );
  assert.deepEqual(skipped.packages, []);
  const a = await variant("loop", "a.txt", "-r b.txt\n");
  await variant("loop", "b.txt", "-r ./a.txt\n");
  await rejects(readPythonLock(a, { interpreter: AMD64 }), "PY_LOCK_INVALID");
  await variant("outside", "secret.txt", `idna==3.10 ${h}\n`);
  const leaving = await variant("escape/app", "requirements.txt", "-r ../../outside/secret.txt\n");
  await rejects(readPythonLock(leaving, { interpreter: AMD64 }), "PY_LOCK_INVALID");
  const linked = await variant("linked/app", "requirements.txt", "-r inner.txt\n");
  await symlink(join(scratch, "outside/secret.txt"), join(scratch, "linked/app/inner.txt"));
  await rejects(readPythonLock(linked, { interpreter: AMD64 }), "PY_LOCK_INVALID");
  await rejects(
    readPythonLock(await variant("r7", "requirements.txt", "-r https://evil.example/r.txt\n"), {
      interpreter: AMD64,
    }),
    "PY_LOCK_INVALID",
  );
  await rejects(
    readPythonLock(await variant("r8", "Pipfile.lock", "{}"), { interpreter: AMD64 }),
    "PY_LOCK_INVALID",
  );
});

test("requirements.txt: a refused line's URL is shown without its credentials", async () => {
  const h = `--hash=sha256:${"a".repeat(64)}`;
  for (const [i, [line, code]] of [
    [`demo @ https://ci:s3cret@files.example/demo-1.0.tar.gz ${h}`, "PY_UNPINNED"],
    [`https://ci:s3cret@files.example/demo-1.0-py3-none-any.whl ${h}`, "PY_UNPINNED"],
    [`demo==1.0 ${h} https://ci:s3cret@files.example/x`, "PY_LOCK_INVALID"],
  ].entries()) {
    const err = await rejects(
      readPythonLock(await variant(`leak${i}`, "requirements.txt", `${line}\n`), { interpreter: AMD64 }),
      code as ErrorCode,
    );
    assert.doesNotMatch(JSON.stringify(err.toJSON?.() ?? err.message) + err.message, /s3cret/);
  }
});

test("requirements.txt: an environment variable in an index URL is expanded, as pip expands it", async () => {
  process.env.CUDASEAL_TEST_INDEX_TOKEN = "tok3n";
  try {
    const path = await variant(
      "env",
      "requirements.txt",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: pip's own ${NAME} syntax, written into the file
      "--extra-index-url https://ci:${CUDASEAL_TEST_INDEX_TOKEN}@pypi.example/simple\n",
    );
    const lock = await readPythonLock(path, { interpreter: AMD64 });
    assert.deepEqual(lock.indexes, ["https://ci:tok3n@pypi.example/simple"]);
  } finally {
    delete process.env.CUDASEAL_TEST_INDEX_TOKEN;
  }
});

test("uv.lock: a wheel locked by path, and a folder of wheels as a registry, become file URLs beside the lock", async () => {
  const text = await readFile(UV, "utf8");
  const idna = /name = "idna"\nversion = "3\.10"\nsource = [^\n]+\nsdist = [^\n]+\nwheels = \[\n[^\n]+\n\]\n/;
  const sha = "1".repeat(64);
  const byPath = text.replace(
    idna,
    `name = "idna"\nversion = "3.10"\nsource = { path = "dist/idna-3.10-py3-none-any.whl" }\nwheels = [\n    { filename = "idna-3.10-py3-none-any.whl", hash = "sha256:${sha}" },\n]\n`,
  );
  const byFolder = text.replace(
    idna,
    `name = "idna"\nversion = "3.10"\nsource = { registry = "vendor/wheels" }\nwheels = [\n    { path = "idna-3.10-py3-none-any.whl", hash = "sha256:${sha}" },\n]\n`,
  );
  for (const [dirName, lockText, expected] of [
    ["path", byPath, "dist/idna-3.10-py3-none-any.whl"],
    ["folder", byFolder, "vendor/wheels/idna-3.10-py3-none-any.whl"],
  ] as const) {
    assert.notEqual(lockText, text);
    const path = await variant(dirName, "uv.lock", lockText);
    const [chosen] = (await planPython(await readPythonLock(path, { interpreter: AMD64 }), AMD64)).filter(
      (c) => c.name === "idna",
    );
    assert.equal(chosen?.url, new URL(expected, `file://${join(scratch, dirName)}/`).href);
    assert.equal(chosen?.sha256, sha);
  }
});
