// `cudaseal build --push`: the image written to the output, then pushed,
// built from a tiny signed apt repository served on 127.0.0.1; and --push
// refused before any work when it names no registry.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openImage } from "../../src/source/image-source.ts";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";

const BIN = join(import.meta.dirname, "../../bin/cudaseal.js");
let work: string;
let repo: AptRepo;
let registry: TestRegistry;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-build-push-"));
  [repo, registry] = await Promise.all([
    startAptRepo({
      packages: [
        {
          name: "hello-data",
          version: "1.0",
          arch: "all",
          files: { "usr/share/hello/greeting": "hello\n" },
        },
      ],
    }),
    startRegistry(),
  ]);
});

after(async () => {
  await Promise.all([repo?.close(), registry?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

/** Run the CLI without blocking: the apt repository is served from this process. */
function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: "utf8" }, (err, stdout, stderr) =>
      resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test("build --push writes the image, then pushes it to the registry", async () => {
  const spec = join(work, "spec.yaml");
  writeFileSync(
    spec,
    `name: hello\npackages: [hello-data]\nsources:\n  - uri: ${repo.url}\n    suites: [${repo.suite}]\n` +
      `    components: [main]\n    keyring: [${repo.publicKeyPath}]\n`,
  );
  const r = await cli([
    "build",
    spec,
    "--arch",
    "amd64",
    "--cache-dir",
    join(work, "cache"),
    "-o",
    `oci:${join(work, "out")}:v1`,
    "--push",
    `${registry.host}/team/hello:v1`,
    "--json",
  ]);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.pushed.digest, summary.digest);
  assert.ok(summary.pushed.blobs > 0);
  const image = await openImage(`${registry.host}/team/hello:v1`, { arch: "amd64" });
  assert.equal(image.config.architecture, "amd64");
});

test("build --push with something other than a registry is a usage error before any work", async () => {
  const r = await cli(["build", "--push", "oci:out/x", "--json"]);
  assert.equal(r.status, 2);
  assert.equal(JSON.parse(r.stdout).error.code, "USAGE");
});
