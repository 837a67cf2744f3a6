// The SBOM `cudaseal build --push` really attaches is the one a rescan reads:
// an image built from a tiny signed apt repository on 127.0.0.1 and pushed
// to a real registry is rescanned from its referrer (no layer read), and the
// OCI layout the build wrote is rescanned from the SBOM artifact stored in it.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { rescan } from "../../src/rescan/index.ts";
import { buildArgs } from "../build/build-args.ts";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { aptRepoSpec, runCli } from "../helpers/cli.ts";
import { type RecordingProxy, startRecordingProxy } from "../helpers/recording-proxy.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";

let work: string;
let repo: AptRepo;
let registry: TestRegistry;
let proxy: RecordingProxy;
let db: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-rescan-built-"));
  [repo, registry] = await Promise.all([
    startAptRepo({
      packages: [
        { name: "hello-data", version: "1.0", arch: "all", files: { "usr/share/hello/greeting": "hello\n" } },
      ],
    }),
    startRegistry(),
  ]);
  proxy = await startRecordingProxy(registry.host);
  db = join(work, "tracker.json");
  writeFileSync(
    db,
    JSON.stringify({
      "hello-data": {
        "CVE-2026-1234": {
          description: "hello-data: greets too loudly",
          scope: "local",
          releases: {
            trixie: {
              status: "resolved",
              fixed_version: "1.1",
              urgency: "medium",
              repositories: { trixie: "1.1" },
            },
          },
        },
      },
    }),
  );
  const spec = join(work, "spec.yaml");
  writeFileSync(spec, aptRepoSpec(repo, "hello", ["hello-data"]));
  const r = await runCli(
    buildArgs(
      spec,
      join(work, "cache"),
      `oci:${join(work, "out")}:v1`,
      "--push",
      `${registry.host}/team/hello:v1`,
    ),
  );
  assert.equal(r.status, 0, r.stderr);
});

after(async () => {
  await Promise.all([repo?.close(), proxy?.close()]);
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

test("an image build --push made is rescanned from the SBOM it attached, without reading a layer", async () => {
  const r = await rescan([`${proxy.host}/team/hello:v1`], { db });
  const [image] = r.images;
  assert.equal(image.error, undefined, image.error?.message);
  assert.equal(image.via, "sbom");
  assert.equal(image.release, "trixie");
  assert.equal(image.packages, 1);
  assert.deepEqual(
    image.findings.map((f) => [f.id, f.package, f.installed, f.fixedVersion]),
    [["CVE-2026-1234", "hello-data", "1.0", "1.1"]],
  );
  // Blobs read: the SBOM document alone.
  assert.equal(proxy.blobGets().length, 1);
});

test("the OCI layout the build wrote is rescanned from the SBOM artifact stored beside the image", async () => {
  const r = await rescan([`oci:${join(work, "out")}:v1`], { db });
  const [image] = r.images;
  assert.equal(image.error, undefined, image.error?.message);
  assert.equal(image.via, "sbom");
  assert.deepEqual(
    image.findings.map((f) => f.id),
    ["CVE-2026-1234"],
  );
});
