// `diagnostics: true` end to end: a real build (signed apt repository on
// 127.0.0.1, packages by dpkg-deb) puts the static cudaseal-entry wrapper
// in front of the entrypoint, and `cudaseal run` runs the image: the hints
// appear on stderr, then the real program runs with its arguments unchanged.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { build } from "../../src/build/build.ts";
import { parseOutput } from "../../src/build/output.ts";
import { DIAGNOSTICS_PATH } from "../../src/contents/diagnostics.ts";
import { runtimeConfig } from "../../src/image/runtime-config.ts";
import { openImage } from "../../src/source/image-source.ts";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { ARCH, cudasealRun, makeDriverTree, unavailable } from "./fixture.ts";

const PROBE = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++) printf("arg%d=%s\n", i, argv[i]);
  return argc > 2 && strcmp(argv[1], "exit") == 0 ? atoi(argv[2]) : 0;
}
`;

test("diagnostics: true puts the wrapper in front of the spec's entrypoint", () => {
  const config = runtimeConfig({
    spec: { entrypoint: ["/usr/bin/app", "--serve"], diagnostics: true },
    created: new Date(0),
    reference: "x",
  });
  assert.deepEqual(config.Entrypoint, [DIAGNOSTICS_PATH, "/usr/bin/app", "--serve"]);
  const plain = runtimeConfig({
    spec: { entrypoint: ["/usr/bin/app"] },
    created: new Date(0),
    reference: "x",
  });
  assert.deepEqual(plain.Entrypoint, ["/usr/bin/app"]);
});

describe("an image built with diagnostics: true", { skip: await unavailable("dpkg-deb") }, () => {
  let work: string;
  let repo: AptRepo;
  let ref: string;
  let cacheDir: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "cudaseal-diag-"));
    const src = join(work, "probe.c");
    writeFileSync(src, PROBE);
    const probe = join(work, "probe");
    const cc = spawnSync("gcc", ["-static", "-O2", "-o", probe, src], { encoding: "utf8" });
    assert.equal(cc.status, 0, cc.stderr);
    repo = await startAptRepo({
      components: ["main"],
      arches: [ARCH],
      packages: [
        {
          name: "base-files",
          version: "13.8",
          arch: "all",
          files: { "usr/lib/os-release": "ID=debian\n", "etc/debian_version": "13.8\n" },
        },
      ],
    });
    cacheDir = join(work, "cache");
    const out = join(work, "out");
    await build({
      spec: {
        name: "diag",
        packages: ["base-files"],
        contents: [{ source: probe, destination: "/usr/local/bin/probe", mode: "0755" }],
        paths: [{ type: "directory", path: "/workspace" }],
        entrypoint: ["/usr/local/bin/probe"],
        cmd: ["from-cmd", "two words"],
        diagnostics: true,
      },
      archs: [ARCH],
      sources: [
        {
          uri: repo.url,
          suites: [repo.suite],
          components: ["main"],
          keyring: [repo.publicKeyPath],
          priority: 500,
        },
      ],
      cacheDir,
      output: parseOutput(`oci:${out}:v1`, "diag"),
      compression: { algorithm: "gzip", level: 1 },
    });
    ref = `oci:${out}:v1`;
  });
  after(async () => {
    await repo?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  function cudaseal(args: string[]) {
    return cudasealRun(cacheDir, args);
  }

  test("the image holds the static wrapper and its Entrypoint starts with it", async () => {
    const image = await openImage(ref, { arch: ARCH });
    const config = image.config.config as { Entrypoint: string[]; Cmd: string[] };
    assert.deepEqual(config.Entrypoint, [DIAGNOSTICS_PATH, "/usr/local/bin/probe"]);
    assert.deepEqual(config.Cmd, ["from-cmd", "two words"]);
    const native = join(cacheDir, "native");
    const entry = join(native, readdirSync(native).find((n) => n.startsWith("cudaseal-entry-")) ?? "");
    assert.equal(readFileSync(entry).subarray(1, 4).toString(), "ELF");
    const readelf = spawnSync("readelf", ["-l", entry], { encoding: "utf8" });
    assert.doesNotMatch(readelf.stdout, /INTERP/, "the wrapper is not static");
  });

  test("without a GPU the hints come first on stderr, then the program runs with its arguments unchanged", () => {
    const r = cudaseal([ref]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /cudaseal-entry: hint: no GPU in this container.*--gpus all/);
    assert.match(r.stderr, /\/dev\/shm is only 64 MiB.*--shm-size=1g/);
    assert.match(r.stderr, /\/workspace is empty/);
    assert.deepEqual(
      [r.facts.arg0, r.facts.arg1, r.facts.arg2, r.facts.arg3],
      ["/usr/local/bin/probe", "from-cmd", "two words", undefined],
    );
  });

  test("a GPU, a large /dev/shm and a mounted cache silence the hints; the exit code comes through", () => {
    const driver = makeDriverTree(join(work, "driver"), "550.54.15");
    const r = cudaseal([
      "--gpus",
      "all",
      "--driver-root",
      driver,
      "--shm-size",
      "1g",
      "-e",
      "HF_HOME=/tmp",
      ref,
      "--",
      "exit",
      "7",
    ]);
    assert.equal(r.status, 7);
    assert.doesNotMatch(r.stderr, /no GPU|\/dev\/shm|HF_HOME|model cache/);
    assert.deepEqual([r.facts.arg1, r.facts.arg2], ["exit", "7"]);
  });

  test("a model cache that is not a mount point is named", () => {
    const r = cudaseal(["-e", "HF_HOME=/usr", ref]);
    assert.match(r.stderr, /the model cache \/usr is not a mounted volume/);
  });

  test("a missing target exits 127 with a message", () => {
    const r = cudaseal(["--entrypoint", DIAGNOSTICS_PATH, ref, "--", "/no/such/program"]);
    assert.equal(r.status, 127);
    assert.match(r.stderr, /cudaseal-entry: cannot run \/no\/such\/program/);
  });
});
