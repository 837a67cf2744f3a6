// Temporary files in the cache: a build killed (SIGKILL) while it writes a
// layer leaves half a layer behind; the next build removes it, and leaves
// alone the temporary of a build running at the same moment (stopped with
// SIGSTOP, so that it is surely mid-write), which then finishes.
// Temporaries whose writer cannot be checked (another machine or container)
// go only after an hour without a write.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { FOREIGN_TEMP_STALE_MS, tempOwner } from "../../src/cache/content-store.ts";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { aptRepoSpec, runCli } from "../helpers/cli.ts";
import { buildDeb } from "../helpers/debs.ts";
import { checkLayout } from "../oci/layout-check.ts";
import { buildArgs } from "./build-args.ts";

const BIN = join(import.meta.dirname, "../../bin/cudaseal.js");

let work: string;
let repo: AptRepo;
let spec: string;
let cache: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-stale-temps-"));
  // 24 MB of random bytes: a layer that takes long enough to write to be caught half-way.
  const deb = await buildDeb(
    {
      name: "big-data",
      version: "1.0",
      arch: "all",
      files: { "usr/share/big/blob": randomBytes(24 * 1024 * 1024) },
      compression: "gzip",
      level: 1,
    },
    work,
  );
  repo = await startAptRepo({ debs: [deb] });
  spec = join(work, "spec.yaml");
  writeFileSync(spec, aptRepoSpec(repo, "big", ["big-data"]));
  cache = join(work, "cache");
});

after(async () => {
  await repo?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Start `cudaseal build` into `oci:<work>/<out>`, with the shared cache. */
function startBuild(out: string): ChildProcess {
  return spawn(
    process.execPath,
    [BIN, "build", spec, "--arch", "amd64", "--cache-dir", cache, "-o", `oci:${join(work, out)}`],
    { stdio: "ignore" },
  );
}

/** Layer temporaries in the content store now: `<key>.<writer>.<random>.tmp`, not a download's `….tmp.<random>.tmp`. */
function layerTemps(): string[] {
  const root = join(cache, "sha256");
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((shard) =>
    readdirSync(join(root, shard))
      .filter((name) => name.endsWith(".tmp") && !name.includes(".tmp."))
      .map((name) => join(root, shard, name))
      // The package layer's, past its first megabyte: the skeleton's and the system layer's are done in a moment.
      .filter((path) => (statSync(path, { throwIfNoEntry: false })?.size ?? 0) > 1024 * 1024),
  );
}

/** Wait until `child` writes a layer temporary that is not in `known`, then send it `signal`. */
async function catchWriting(
  child: ChildProcess,
  signal: NodeJS.Signals,
  known: string[] = [],
): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const fresh = layerTemps().find((path) => !known.includes(path));
    if (fresh !== undefined) {
      child.kill(signal);
      return fresh;
    }
    if (child.exitCode !== null)
      throw new Error(`the build ended (${child.exitCode}) before it wrote a layer`);
    if (Date.now() > deadline) throw new Error("no layer temporary appeared within 60 s");
    await sleep(2);
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

test("the next build removes what a killed build left in the cache, and not the temporary of a build running now", async () => {
  const killed = startBuild("killed");
  const left = await catchWriting(killed, "SIGKILL");
  await exited(killed);
  assert.ok(existsSync(left), "the killed build left half a layer");

  const running = startBuild("running");
  const writing = await catchWriting(running, "SIGSTOP", [left]);
  let status: number | null;
  try {
    // Temporaries of writers this machine cannot see: one silent for longer than the limit, one just written.
    const shard = join(cache, "sha256", "00");
    mkdirSync(shard, { recursive: true });
    const other = (age: number) => {
      const path = join(shard, `${"0".repeat(64)}.1234-abcdef12.${randomBytes(6).toString("hex")}.tmp`);
      writeFileSync(path, "half");
      const when = (Date.now() - age) / 1000;
      utimesSync(path, when, when);
      return path;
    };
    const otherOld = other(FOREIGN_TEMP_STALE_MS + 60_000);
    const otherFresh = other(0);
    // A layer record's temporary from a dead process of this machine.
    mkdirSync(join(cache, "layers"), { recursive: true });
    const record = join(cache, "layers", `${"1".repeat(64)}.json.${tempOwner(2 ** 30)}.0a0b0c.tmp`);
    writeFileSync(record, "{");

    const next = await runCli(buildArgs(spec, cache, `oci:${join(work, "next")}`));
    assert.equal(next.status, 0, next.stderr);
    assert.equal(existsSync(left), false, "the killed build's half layer is gone");
    assert.equal(existsSync(otherOld), false);
    assert.equal(existsSync(record), false);
    assert.ok(existsSync(writing), "the running build's temporary is untouched");
    assert.ok(existsSync(otherFresh));
  } finally {
    running.kill("SIGCONT");
    status = await exited(running);
  }
  assert.equal(status, 0, "the build that was running finishes");
  checkLayout(join(work, "running"));
  assert.equal(existsSync(writing), false, "renamed into place");
});
