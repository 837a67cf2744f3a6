// Ctrl-C in the middle of writing an output: the process ends by the signal
// (130 in a shell) and the half-written temporary beside the output is gone,
// even while a read is stuck in one of Node's worker threads.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const ATOMIC = new URL("../../src/oci/atomic-output.ts", import.meta.url).href;
const CLEANUP = new URL("../../src/util/interrupt-cleanup.ts", import.meta.url).href;

// A writer that fills the temporary, says so, and never finishes; given a
// FIFO, it first starts an open of it that no writer will ever complete.
const CHILD = `
import { open } from "node:fs/promises";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { withTempDir } from ${JSON.stringify(ATOMIC)};
import { cleanUpOnInterrupt } from ${JSON.stringify(CLEANUP)};
cleanUpOnInterrupt();
if (process.argv[3]) open(process.argv[3], "r");
await withTempDir(process.argv[2], async (tmp) => {
  writeFileSync(join(tmp, "half-written"), "x".repeat(1 << 20));
  process.stdout.write("ready\\n");
  await new Promise(() => setInterval(() => {}, 1000));
});
`;

/** Start the writer, wait until its temporary is there, send `signal`; how it ended and what it said. */
async function interrupt(dir: string, signal: NodeJS.Signals, fifo?: string) {
  const script = join(dir, "writer.mts");
  writeFileSync(script, CHILD);
  const out = join(dir, "out");
  const child = spawn(process.execPath, [script, join(out, "image"), ...(fifo ? [fifo] : [])], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    child.on("exit", () => reject(new Error(`the writer ended early: ${stderr}`)));
  });
  assert.equal(readdirSync(out).length, 1, "the temporary exists while writing");
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  child.kill(signal);
  // Bounded, so that a process that outlives the signal fails the test instead of hanging it.
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  const status = await ended;
  clearTimeout(timer);
  return { ...status, stderr, left: readdirSync(out) };
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`${signal} while an output is written leaves no temporary behind`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "cudaseal-interrupt-"));
    try {
      const r = await interrupt(dir, signal);
      assert.deepEqual({ code: r.code, signal: r.signal }, { code: null, signal });
      assert.deepEqual(r.left, []);
      assert.match(r.stderr, /temporary outputs removed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("SIGTERM ends the process at once though a worker thread is stuck opening a FIFO", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-interrupt-"));
  try {
    const fifo = join(dir, "fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    const r = await interrupt(dir, "SIGTERM", fifo);
    assert.equal(r.signal, "SIGTERM", `ended by ${r.signal ?? r.code}: ${r.stderr}`);
    assert.deepEqual(r.left, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
