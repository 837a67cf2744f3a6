// Ctrl-C in the middle of writing an output: the process ends with 130 and
// the half-written temporary beside the output is gone.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const ATOMIC = new URL("../../src/oci/atomic-output.ts", import.meta.url).href;
const CLEANUP = new URL("../../src/util/interrupt-cleanup.ts", import.meta.url).href;

// A writer that fills the temporary, says so, and never finishes.
const CHILD = `
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { withTempDir } from ${JSON.stringify(ATOMIC)};
import { cleanUpOnInterrupt } from ${JSON.stringify(CLEANUP)};
cleanUpOnInterrupt();
await withTempDir(process.argv[2], async (tmp) => {
  writeFileSync(join(tmp, "half-written"), "x".repeat(1 << 20));
  process.stdout.write("ready\\n");
  await new Promise(() => setInterval(() => {}, 1000));
});
`;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`${signal} while an output is written leaves no temporary behind`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "cudaseal-interrupt-"));
    try {
      const script = join(dir, "writer.mts");
      writeFileSync(script, CHILD);
      const out = join(dir, "out");
      const child = spawn(process.execPath, [script, join(out, "image")], {
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
      child.kill(signal);
      const status = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      assert.equal(status, signal === "SIGINT" ? 130 : 143);
      assert.deepEqual(readdirSync(out), []);
      assert.match(stderr, /temporary outputs removed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
