// The flow the README shows, on real tools: build a layout, sign it and
// attest its SBOM in place (as Sigstore bundle referrers, the default), push
// it by its untagged `oci:DIR` reference to a real registry (distribution
// 2.x: no referrers API, so the fallback tag), then verify it there with
// cudaseal and with cosign. The layout's index.json then holds the image,
// each platform under TAG-<arch>, two SBOMs per platform, a signature and an
// attestation: the push must still find the one image. A single-platform build is tagged as a
// multi-platform one is, so `umoci unpack --image DIR:latest-amd64` works
// for both.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { aptRepoSpec, runCli } from "../helpers/cli.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { cosign, needsCosign } from "../sign/cosign-tool.ts";

let work: string;
let repo: AptRepo;
let registry: TestRegistry;
const env = { COSIGN_PASSWORD: "correct horse" };
const noUmoci = spawnSync("umoci", ["--version"]).error === undefined ? false : "umoci is not installed";

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-sign-push-"));
  repo = await startAptRepo({
    arches: ["amd64", "arm64"],
    packages: [
      { name: "hello-data", version: "1.0", arch: "all", files: { "usr/share/hello/greeting": "hello\n" } },
    ],
  });
  registry = await startRegistry();
  writeFileSync(join(work, "spec.yaml"), aptRepoSpec(repo, "hello", ["hello-data"]));
  const keys = await runCli(["generate-key-pair"], { cwd: work, env });
  assert.equal(keys.status, 0, keys.stderr);
});

after(async () => {
  await registry?.stop();
  await repo?.close();
  rmSync(work, { recursive: true, force: true });
});

const cli = (args: string[]) =>
  runCli([...args], { cwd: work, env: { ...env, CUDASEAL_CACHE_DIR: join(work, "cache") } });

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  assert.equal(r.status, 0, `cudaseal ${args.join(" ")}\n${r.stderr}`);
  return r.stderr;
}

const refNames = (dir: string): string[] =>
  JSON.parse(readFileSync(join(work, dir, "index.json"), "utf8"))
    .manifests.map(
      (d: { annotations?: Record<string, string> }) => d.annotations?.["org.opencontainers.image.ref.name"],
    )
    .filter((t: string | undefined) => t !== undefined);

test("build, sign and attest a two-platform layout, push it untagged, and verify it at the registry with cudaseal and cosign", async () => {
  await ok(["build", "spec.yaml", "-o", "oci:out/hello"]);
  await ok(["sign", "--key", "cosign.key", "oci:out/hello"]);
  await ok([
    "attest",
    "--key",
    "cosign.key",
    "--type",
    "spdxjson",
    "--predicate",
    "out/hello.amd64.spdx.json",
    "oci:out/hello",
  ]);
  const latest = JSON.parse(readFileSync(join(work, "out/hello/index.json"), "utf8")).manifests.find(
    (d: { annotations?: Record<string, string> }) =>
      d.annotations?.["org.opencontainers.image.ref.name"] === "latest",
  ).digest;

  const ref = `${registry.host}/team/hello:1.0`;
  const pushed = await ok(["push", "oci:out/hello", ref]);
  // The layout's signature names its folder, not the registry repository: push says so.
  assert.match(
    pushed,
    /warning: the signature bundle sha256:[0-9a-f]{64} names hello, not 127\.0\.0\.1:\d+\/team\/hello/,
  );
  // The bundles went along, listed in the fallback index of the image's digest.
  const fallback = JSON.parse(
    execFileSync(
      "skopeo",
      [
        "inspect",
        "--tls-verify=false",
        "--raw",
        `docker://${registry.host}/team/hello:sha256-${latest.slice(7)}`,
      ],
      { encoding: "utf8" },
    ),
  );
  assert.equal(
    fallback.manifests.filter(
      (d: { artifactType?: string }) => d.artifactType === "application/vnd.dev.sigstore.bundle.v0.3+json",
    ).length,
    2,
  );

  const raw = execFileSync("skopeo", ["inspect", "--tls-verify=false", "--raw", `docker://${ref}`], {
    encoding: "utf8",
  });
  assert.equal(JSON.parse(raw).manifests.length, 2, "the image index of both platforms, not an SBOM");
  const inspected = JSON.parse(
    execFileSync("skopeo", ["inspect", "--tls-verify=false", "--override-arch", "arm64", `docker://${ref}`], {
      encoding: "utf8",
    }),
  );
  assert.equal(inspected.Architecture, "arm64");
  const digest = execFileSync(
    "skopeo",
    ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", `docker://${ref}`],
    {
      encoding: "utf8",
    },
  ).trim();
  assert.equal(digest, latest);

  // cosign checks the digest and not the claimed repository; so does cudaseal, unless asked.
  await ok(["verify", "--key", "cosign.pub", ref]);
  const asked = await cli([
    "verify",
    "--key",
    "cosign.pub",
    "--reference",
    `${registry.host}/team/hello`,
    ref,
    "--json",
  ]);
  assert.equal(asked.status, 1);
  assert.equal(JSON.parse(asked.stdout).error.code, "VERIFY_REFERENCE_MISMATCH");
  await ok(["verify-attestation", "--key", "cosign.pub", "--type", "spdxjson", ref]);
});

test("cosign verify accepts the pushed image and its attestation", { skip: needsCosign }, async () => {
  const ref = `${registry.host}/team/hello:1.0`;
  const flags = ["--key", join(work, "cosign.pub"), "--insecure-ignore-tlog", "--allow-insecure-registry"];
  // cosign 2.5 reads bundle attestations (with a trusted root, which a key check does not use) …
  const trustedRoot = join(import.meta.dirname, "../../data/sigstore/public-good-trusted-root.json");
  const bundled = ["--new-bundle-format", "--trusted-root", trustedRoot];
  const att = cosign(["verify-attestation", ...flags, ...bundled, "--type", "spdxjson", ref]);
  assert.equal(att.status, 0, att.stderr);
  // … but not bundle signatures: for it, sign in cosign 2's format too.
  assert.notEqual(cosign(["verify", ...flags, ref]).status, 0);
  await ok(["sign", "--key", "cosign.key", "--new-bundle-format=false", ref]);
  const sig = cosign(["verify", ...flags, ref]);
  assert.equal(sig.status, 0, sig.stderr);
});

test("a layout signed with --reference NAME pushes to NAME without a warning", async () => {
  const ref = `${registry.host}/team/named:1.0`;
  await ok(["build", "spec.yaml", "--arch", "amd64", "-o", "oci:out/named"]);
  await ok(["sign", "--key", "cosign.key", "--reference", `${registry.host}/team/named`, "oci:out/named"]);
  const pushed = await ok(["push", "oci:out/named", ref]);
  assert.doesNotMatch(pushed, /warning/);
  await ok(["verify", "--key", "cosign.pub", "--reference", `${registry.host}/team/named`, ref]);
});

test("single- and multi-platform builds are both tagged TAG and TAG-<arch>, and umoci unpacks TAG-amd64 of each", {
  skip: noUmoci,
}, async () => {
  await ok(["build", "spec.yaml", "--arch", "amd64", "-o", "oci:out/one"]);
  assert.deepEqual(refNames("out/one"), ["latest", "latest-amd64"]);
  assert.deepEqual(refNames("out/hello").slice(0, 3), ["latest", "latest-amd64", "latest-arm64"]);
  for (const dir of ["out/one", "out/hello"]) {
    const bundle = join(work, `${dir.replace("/", "-")}-bundle`);
    execFileSync("umoci", ["unpack", "--rootless", "--image", `${join(work, dir)}:latest-amd64`, bundle]);
    assert.equal(readFileSync(join(bundle, "rootfs/usr/share/hello/greeting"), "utf8"), "hello\n");
  }
});
