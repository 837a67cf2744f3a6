// TLS by default: a registry serving HTTPS with a certificate nobody trusts
// is refused (and not retried over plain HTTP, even on loopback), and the
// same registry works once its certificate is trusted with
// NODE_EXTRA_CA_CERTS, which Node reads at start, hence the CLI here.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { copyImage } from "../../src/copy/copy-image.ts";
import { isCudasealError } from "../../src/errors.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { makeFixture } from "../oci/fixture-image.ts";

const BIN = join(import.meta.dirname, "../../bin/cudaseal.js");
let work: string;
let layout: string;
let registry: TestRegistry;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-tls-"));
  layout = join(work, "layout");
  await writeOciLayout(layout, makeFixture(join(work, "fx")).single);
  registry = await startRegistry({ tls: true });
});

after(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: "utf8", env }, (err, stdout, stderr) =>
      resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test("an untrusted certificate is REGISTRY_UNREACHABLE with a hint, never a fall back to HTTP", async () => {
  await assert.rejects(
    copyImage(`oci:${layout}:v1`, `${registry.host}/team/app:v1`, {
      registry: { retry: { attempts: 2, baseDelayMs: 1 } },
    }),
    (err) => isCudasealError(err, "REGISTRY_UNREACHABLE") && /NODE_EXTRA_CA_CERTS/.test(err.hint ?? ""),
  );
});

test("with its certificate trusted, push and pull go over HTTPS", async () => {
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: registry.caFile };
  const pushed = await cli(["push", `oci:${layout}:v1`, `${registry.host}/team/app:v1`, "--json"], env);
  assert.equal(pushed.status, 0, pushed.stderr);
  const pulled = await cli(
    ["pull", `${registry.host}/team/app:v1`, `oci:${join(work, "pulled")}`, "--json"],
    env,
  );
  assert.equal(pulled.status, 0, pulled.stderr);
  assert.equal(JSON.parse(pulled.stdout).digest, JSON.parse(pushed.stdout).digest);
});
