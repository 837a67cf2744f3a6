// Which architectures `cudaseal build` makes: --arch, else the lock's, else
// the spec's; a docker-archive's one platform is the host's, by Debian's
// name, and a host no build can make is a usage error, not a silent amd64.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseOutput } from "../../src/build/output.ts";
import { archsFrom } from "../../src/cli/build-options.ts";
import { Output } from "../../src/cli/output.ts";
import { CudasealError } from "../../src/errors.ts";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { aptRepoSpec, runCli } from "../helpers/cli.ts";

let work: string;
let repo: AptRepo;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-build-archs-"));
  repo = await startAptRepo({
    packages: [
      { name: "hello-data", version: "1.0", arch: "all", files: { "usr/share/hello/greeting": "hello\n" } },
    ],
  });
});

after(async () => {
  await repo?.close();
  rmSync(work, { recursive: true, force: true });
});

const quiet = new Output({ json: false, quiet: true });
const code = (c: string) => (err: unknown) => err instanceof CudasealError && err.code === c;

test("a lock made for amd64 alone builds amd64 when no --arch is given, and --arch arm64 is LOCK_INVALID with a hint", async () => {
  const spec = join(work, "spec.yaml");
  writeFileSync(spec, aptRepoSpec(repo, "hello", ["hello-data"]));
  const cache = join(work, "cache");
  const lockFile = join(work, "x.lock.json");
  const locked = await runCli(["lock", spec, "--arch", "amd64", "--cache-dir", cache, "-o", lockFile]);
  assert.equal(locked.status, 0, locked.stderr);

  const out = join(work, "out");
  const built = await runCli(["build", spec, "--lock", lockFile, "--cache-dir", cache, "-o", `oci:${out}`]);
  assert.equal(built.status, 0, built.stderr);
  assert.match(built.stderr, /building the lock's architectures: amd64/);
  const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8"));
  const platforms = index.manifests
    .filter((d: { platform?: unknown }) => d.platform !== undefined)
    .map((d: { platform: { architecture: string } }) => d.platform.architecture);
  assert.deepEqual([...new Set(platforms)], ["amd64"]);

  const other = await runCli([
    "build",
    spec,
    "--lock",
    lockFile,
    "--arch",
    "arm64",
    "--cache-dir",
    cache,
    "--json",
  ]);
  assert.equal(other.status, 1, other.stderr);
  const error = JSON.parse(other.stdout).error;
  assert.equal(error.code, "LOCK_INVALID");
  assert.match(error.hint, /--arch amd64/);
});

test("without --arch or a lock, the spec's architectures are built, else both", () => {
  const oci = parseOutput("oci:out/x", "x");
  assert.deepEqual(archsFrom({}, undefined, oci, quiet), ["amd64", "arm64"]);
  assert.deepEqual(archsFrom({}, ["arm64"], oci, quiet), ["arm64"]);
  assert.deepEqual(archsFrom({}, ["amd64", "arm64"], oci, quiet, ["arm64"]), ["arm64"]);
  assert.deepEqual(archsFrom({ arch: ["amd64"] }, ["arm64"], oci, quiet, ["arm64"]), ["amd64"]);
});

test("a docker-archive without --arch builds the host's architecture by its Debian name", () => {
  const archive = parseOutput("docker-archive:app.tar", "app");
  assert.deepEqual(archsFrom({}, undefined, archive, quiet, undefined, "arm64"), ["arm64"]);
  assert.deepEqual(archsFrom({}, undefined, archive, quiet, undefined, "amd64"), ["amd64"]);
});

test("a docker-archive on a host no build can make (ppc64el) is a USAGE error naming the host, not an amd64 build", () => {
  const archive = parseOutput("docker-archive:app.tar", "app");
  assert.throws(
    () => archsFrom({}, undefined, archive, quiet, undefined, "ppc64el"),
    (err: unknown) =>
      code("USAGE")(err) &&
      /ppc64el/.test((err as Error).message) &&
      /--arch/.test((err as CudasealError).hint ?? ""),
  );
  assert.deepEqual(archsFrom({ arch: ["amd64"] }, undefined, archive, quiet, undefined, "ppc64el"), [
    "amd64",
  ]);
});

test("an --arch no build can make is a USAGE error", () => {
  assert.throws(
    () => archsFrom({ arch: ["ppc64el"] }, undefined, parseOutput(undefined, "x"), quiet),
    code("USAGE"),
  );
});

test("a lock that holds no architecture is a usage error, not an image of no platform", () => {
  const output = parseOutput(`oci:${join(work, "none")}`, "app");
  assert.throws(() => archsFrom({}, undefined, output, quiet, []), code("USAGE"));
  assert.deepEqual(archsFrom({ arch: ["amd64"] }, undefined, output, quiet, []), ["amd64"]);
});
