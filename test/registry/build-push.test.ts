// `cudaseal build --push`: the image written to the output, then pushed,
// built from a tiny signed apt repository served on 127.0.0.1; and --push
// refused before any work when it names no registry.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openImage } from "../../src/source/image-source.ts";
import { buildArgs } from "../build/build-args.ts";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { aptRepoSpec, runCli } from "../helpers/cli.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";

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

test("build --push writes the image, then pushes it to the registry", async () => {
  const spec = join(work, "spec.yaml");
  writeFileSync(spec, aptRepoSpec(repo, "hello", ["hello-data"]));
  const r = await runCli(
    buildArgs(
      spec,
      join(work, "cache"),
      `oci:${join(work, "out")}:v1`,
      "--push",
      `${registry.host}/team/hello:v1`,
      "--json",
    ),
  );
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.pushed.digest, summary.digest);
  assert.ok(summary.pushed.blobs > 0);
  const image = await openImage(`${registry.host}/team/hello:v1`, { arch: "amd64" });
  assert.equal(image.config.architecture, "amd64");
});

test("build --push with something other than a registry is a usage error before any work", async () => {
  const r = await runCli(["build", "--push", "oci:out/x", "--json"]);
  assert.equal(r.status, 2);
  assert.equal(JSON.parse(r.stdout).error.code, "USAGE");
});
