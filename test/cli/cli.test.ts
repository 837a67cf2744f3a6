// The command line as users meet it: help that teaches, exit codes, errors
// with a code and a hint, --json on stdout.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "cudaseal-cli-"));
  dirs.push(d);
  return d;
}

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
}

test("--help lists the commands, and each command has its own help", () => {
  const top = cli(["--help"]);
  assert.equal(top.status, 0);
  for (const c of ["build", "presets", "lock", "resolve"])
    assert.match(top.stdout, new RegExp(`^  ${c} `, "m"));
  const build = cli(["build", "--help"]);
  assert.equal(build.status, 0);
  assert.match(build.stdout, /Usage: cudaseal build/);
  assert.match(build.stdout, /Examples:/);
});

test("an unknown command or flag is a usage error (exit 2)", () => {
  const r = cli(["frobnicate"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error \[USAGE\]/);
  const flag = cli(["build", "--no-such-flag"]);
  assert.equal(flag.status, 2);
});

test("a bad spec fails with its code, and --json puts the error on stdout", () => {
  const dir = tempDir();
  const spec = join(dir, "bad.yaml");
  writeFileSync(spec, "name: x\npackages: [a]\nbogus: 1\n");
  const r = cli(["build", spec, "--json"]);
  assert.equal(r.status, 1);
  const out = JSON.parse(r.stdout);
  assert.equal(out.error.code, "SPEC_INVALID");
  assert.match(r.stderr, /bad\.yaml:3/);
});

test("presets --json lists every preset", () => {
  const r = cli(["presets", "--json"]);
  assert.equal(r.status, 0);
  const names = JSON.parse(r.stdout).map((p: { name: string }) => p.name);
  assert.ok(names.includes("cuda-base") && names.includes("cuda-runtime-dev"));
});

test("no mirror anywhere gives MIRROR_UNKNOWN with a hint", () => {
  const dir = tempDir();
  const r = spawnSync(process.execPath, [BIN, "resolve", "libc6", "--json", "--cache-dir", dir], {
    encoding: "utf8",
    env: { ...process.env, CUDASEAL_APT_ROOT: dir },
  });
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.stdout).error.code, "MIRROR_UNKNOWN");
  assert.match(r.stderr, /--mirror/);
});

test("the compile cache goes to the user's cache folder, and a folder that cannot be written costs nothing else", () => {
  const home = tempDir();
  const run = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [BIN, "presets", "--json"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, ...env },
    });
  const cached = run({ CUDASEAL_CACHE_DIR: join(home, "cache") });
  assert.equal(cached.status, 0, cached.stderr);
  // One folder per Node version and V8 flags, holding an entry per module loaded.
  const [version] = readdirSync(join(home, "cache", "node-compile-cache"));
  assert.ok(readdirSync(join(home, "cache", "node-compile-cache", version)).length > 20);
  // A file where the folder should be: nothing can be cached, the command still works.
  writeFileSync(join(home, "blocked"), "");
  const blocked = run({ CUDASEAL_CACHE_DIR: join(home, "blocked") });
  assert.equal(blocked.status, 0, blocked.stderr);
  assert.deepEqual(JSON.parse(blocked.stdout), JSON.parse(cached.stdout));
  assert.equal(blocked.stderr, "");
  // XDG_CACHE_HOME, as defaultCacheDir reads it.
  const xdg = run({ XDG_CACHE_HOME: join(home, "xdg"), HOME: home });
  assert.equal(xdg.status, 0, xdg.stderr);
  assert.ok(readdirSync(join(home, "xdg", "cudaseal", "node-compile-cache")).length > 0);
  // Warm, no module is compiled again, so Node's type stripper is never loaded.
  const warm = spawnSync(
    process.execPath,
    ["--cpu-prof", "--cpu-prof-dir", join(home, "prof"), BIN, "presets"],
    {
      encoding: "utf8",
      env: { PATH: process.env.PATH, CUDASEAL_CACHE_DIR: join(home, "cache") },
    },
  );
  assert.equal(warm.status, 0, warm.stderr);
  const [profile] = readdirSync(join(home, "prof"));
  const nodes = (
    JSON.parse(readFileSync(join(home, "prof", profile), "utf8")) as {
      nodes: { callFrame: { url: string } }[];
    }
  ).nodes;
  assert.ok(nodes.length > 0);
  assert.ok(!nodes.some((n) => n.callFrame.url.includes("amaro")), "the type stripper ran on a warm start");
  // NODE_COMPILE_CACHE names another folder.
  const named = run({ CUDASEAL_CACHE_DIR: join(home, "other"), NODE_COMPILE_CACHE: join(home, "named") });
  assert.equal(named.status, 0, named.stderr);
  assert.ok(readdirSync(join(home, "named")).length > 0);
});
