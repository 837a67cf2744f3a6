// Local files named on the command line or found in a layout, read through
// the real CLI: a device, a FIFO or a huge file is refused at once, by what
// it is or by its size, before a byte of it is read. Each command runs with
// a deadline, so a read that blocks or never ends fails the test instead of
// hanging it, and reports its peak memory (maxRSS, from a preload).

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import {
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { makeFixture } from "../oci/fixture-image.ts";

const BIN = join(import.meta.dirname, "../../bin/cudaseal.js");
const DEADLINE_MS = 20_000;
const MiB = 1024 * 1024;

const root = mkdtempSync(join(tmpdir(), "cudaseal-local-reads-"));
after(() => rmSync(root, { recursive: true, force: true }));

// Prints the process's peak resident memory as it exits, whatever way it exits.
const PRELOAD = join(root, "peak-rss.mjs");
writeFileSync(
  PRELOAD,
  'import { writeSync } from "node:fs";\n' +
    'process.on("exit", () => writeSync(2, "\\npeak-rss-kib=" + process.resourceUsage().maxRSS + "\\n"));\n',
);

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak resident memory in bytes; undefined when the process was killed. */
  peak?: number;
}

/** Run the CLI; past the deadline it is killed, which the caller's assertions then report. */
function cli(args: string[], stdin: "ignore" | number = "ignore"): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, ["--import", pathToFileURL(PRELOAD).href, BIN, ...args], {
    stdio: [stdin, "pipe", "pipe"],
    env: { ...process.env, COSIGN_PASSWORD: "test-password" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const kib = /peak-rss-kib=(\d+)/.exec(stderr)?.[1];
      resolve({
        code,
        signal,
        stdout,
        stderr,
        ms: Date.now() - started,
        peak: kib ? Number(kib) * 1024 : undefined,
      });
    });
  });
}

/** The run ended by itself, with exit 1 and `code`. */
function refused(r: Run, code: string): void {
  assert.equal(r.signal, null, `killed after ${r.ms} ms: the read blocked or never ended`);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`error \\[${code}\\]`), r.stderr);
}

function mkfifo(path: string): string {
  assert.equal(spawnSync("mkfifo", [path]).status, 0);
  return path;
}

let n = 0;
const fx = makeFixture(join(root, "fixture"));
async function layout(): Promise<string> {
  const dir = join(root, `layout-${n++}`);
  await writeOciLayout(dir, fx.single);
  return dir;
}

describe("a key file", () => {
  let image: string;
  let baseline: Run;
  before(async () => {
    image = `oci:${await layout()}:v1`;
    // The same command failing on a key that is not there: the memory any such run takes.
    baseline = await cli(["sign", "--key", join(root, "no-such.key"), image]);
    refused(baseline, "KEY_INVALID");
  });

  test("sign --key /dev/zero fails at once with INPUT_NOT_REGULAR, in no more memory than a missing key", async () => {
    const r = await cli(["sign", "--key", "/dev/zero", image]);
    refused(r, "INPUT_NOT_REGULAR");
    assert.ok(r.peak !== undefined && baseline.peak !== undefined);
    assert.ok(r.peak - baseline.peak < 64 * MiB, `peak ${r.peak} against ${baseline.peak}`);
  });

  test("a FIFO as --key fails at once with INPUT_NOT_REGULAR; nothing waits for a writer", async () => {
    const r = await cli(["sign", "--key", mkfifo(join(root, "key-fifo")), image]);
    refused(r, "INPUT_NOT_REGULAR");
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  });

  test("a 300 MB sparse key file is refused by its size, INPUT_TOO_LARGE, without being read", async () => {
    const big = join(root, "big.key");
    writeFileSync(big, "");
    truncateSync(big, 300 * 1000 * 1000);
    const r = await cli(["sign", "--key", big, image]);
    refused(r, "INPUT_TOO_LARGE");
    assert.ok(r.peak !== undefined && baseline.peak !== undefined);
    assert.ok(r.peak - baseline.peak < 64 * MiB, `peak ${r.peak} against ${baseline.peak}`);
  });
});

describe("a layout", () => {
  test("a layout whose index.json is a symlink to /dev/zero is refused, INPUT_NOT_REGULAR, by audit and sign", async () => {
    const dir = await layout();
    unlinkSync(join(dir, "index.json"));
    symlinkSync("/dev/zero", join(dir, "index.json"));
    refused(await cli(["audit", `oci:${dir}:v1`]), "INPUT_NOT_REGULAR");
    const key = join(root, "layout.key");
    writeFileSync(
      key,
      generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }),
    );
    refused(await cli(["sign", "--key", key, `oci:${dir}:v1`]), "INPUT_NOT_REGULAR");
  });

  test("a layout whose index.json is a FIFO is refused at once, INPUT_NOT_REGULAR, by audit and copy", async () => {
    const dir = await layout();
    unlinkSync(join(dir, "index.json"));
    mkfifo(join(dir, "index.json"));
    refused(await cli(["audit", `oci:${dir}:v1`]), "INPUT_NOT_REGULAR");
    refused(await cli(["copy", `oci:${dir}:v1`, `oci:${join(root, `copy-${n++}`)}:v1`]), "INPUT_NOT_REGULAR");
  });

  test("a layer blob that is a FIFO is refused at once, INPUT_NOT_REGULAR: audit reports the layer unreadable, copy fails", async () => {
    const dir = await layout();
    const layer = fx.single.platforms[0].layers[0].digest.slice("sha256:".length);
    unlinkSync(join(dir, "blobs", "sha256", layer));
    mkfifo(join(dir, "blobs", "sha256", layer));
    const audit = await cli(["audit", `oci:${dir}:v1`]);
    assert.equal(audit.signal, null, `killed after ${audit.ms} ms: the read blocked`);
    assert.match(audit.stdout, /CS-LAYER-UNREADABLE .*\[INPUT_NOT_REGULAR\]/);
    refused(await cli(["copy", `oci:${dir}:v1`, `oci:${join(root, `copy-${n++}`)}:v1`]), "INPUT_NOT_REGULAR");
  });
});

test("a FIFO named as any input file is refused at once: spec, lock, keyring, policy, public key, predicate, Dockerfile, VEX, ignore file, database", async () => {
  const fifo = mkfifo(join(root, "input-fifo"));
  const image = `oci:${await layout()}:v1`;
  const key = join(root, "attest.key");
  writeFileSync(
    key,
    generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }),
  );
  const commands = [
    ["lock", fifo],
    ["build", "--preset", "cc", "--lock", fifo],
    ["lock", "--preset", "cc", "--keyring", fifo],
    ["audit", image, "--policy", fifo],
    ["lint", fifo],
    ["policy", "kyverno", "--key", fifo, "--image", "example/*"],
    ["verify", "--key", fifo, image],
    ["attest", "--key", key, "--type", "custom", "--predicate", fifo, image],
    ["scan", image, "--release", "trixie", "--db", fifo],
    ["scan", image, "--release", "trixie", "--offline", "--vex", fifo],
    ["scan", image, "--release", "trixie", "--offline", "--ignore-file", fifo],
  ];
  for (const args of commands) {
    const r = await cli(args);
    assert.equal(r.signal, null, `cudaseal ${args.join(" ")} was killed after ${r.ms} ms`);
    assert.match(r.stderr, /error \[INPUT_NOT_REGULAR\]/, `cudaseal ${args.join(" ")}: ${r.stderr}`);
  }
});

test("--password-stdin fed /dev/zero stops at 64 KiB with INPUT_TOO_LARGE, before any registry is asked", async () => {
  const zero = openSync("/dev/zero", "r");
  try {
    const image = `oci:${await layout()}:v1`;
    const r = await cli(
      ["push", image, "127.0.0.1:9/team/app:v1", "--username", "u", "--password-stdin"],
      zero,
    );
    refused(r, "INPUT_TOO_LARGE");
  } finally {
    closeSync(zero);
  }
});
