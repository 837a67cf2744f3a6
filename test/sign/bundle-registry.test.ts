// Sigstore bundle referrers on a real registry (distribution 2.x, which has
// no referrers API: the `sha256-<hex>` fallback index is the real path
// here), cross-checked both ways with the real cosign 2.5 where it reads
// bundles, carried by copy and pull, and a referrer bomb refused with
// capped work.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { sha256Digest } from "../../src/oci/descriptor.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { OCI_INDEX, OCI_MANIFEST } from "../../src/oci/media-types.ts";
import { publicKeyHint } from "../../src/sign/bundle-signer.ts";
import { BUNDLE_ARTIFACT_TYPE, findBundles, readBundle } from "../../src/sign/bundle-store.ts";
import { openImageTarget } from "../../src/sign/image-target.ts";
import { readPublicKey } from "../../src/sign/keys.ts";
import { verifyImage } from "../../src/sign/verify-image.ts";
import { runCli } from "../helpers/cli.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { hasTool, makeFixture } from "../oci/fixture-image.ts";
import { cosign, cosignOk, needsCosign } from "./cosign-tool.ts";

const skip =
  (!hasTool("docker-registry") && "docker-registry is not installed (npm run setup-test-tools)") ||
  (!hasTool("skopeo") && "skopeo is not installed (npm run setup-test-tools)");
const root = mkdtempSync(join(tmpdir(), "cudaseal-bundle-registry-"));
const env = { COSIGN_PASSWORD: "bundle-pw" };
const trustedRoot = join(import.meta.dirname, "../../data/sigstore/public-good-trusted-root.json");
let registry: TestRegistry | undefined;

const cli = async (args: string[]) => {
  const r = await runCli(args, { cwd: root, env: { ...env, CUDASEAL_CACHE_DIR: join(root, "cache") } });
  assert.equal(r.status, 0, `cudaseal ${args.join(" ")}\n${r.stderr}`);
  return r.stdout;
};

describe("bundle referrers on a registry without the referrers API", { skip }, () => {
  let host = "";
  const push = (repo: string) =>
    execFileSync("skopeo", [
      "copy",
      "--dest-tls-verify=false",
      `oci:${join(root, "single")}:v1`,
      `docker://${host}/team/${repo}:v1`,
    ]);

  before(async () => {
    registry = await startRegistry();
    host = registry.host;
    await writeOciLayout(join(root, "single"), makeFixture(join(root, "fx")).single);
    for (const repo of ["ours", "theirs", "bomb"]) push(repo);
    await cli(["generate-key-pair"]);
  });

  after(async () => {
    await registry?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("signs and attests into the fallback index, and verifies from it", async () => {
    const ref = `${host}/team/ours:v1`;
    await cli(["sign", "--key", "cosign.key", "-a", "run=42", ref]);
    writeFileSync(join(root, "sbom.json"), JSON.stringify({ spdxVersion: "SPDX-2.3", name: "ours" }));
    await cli(["attest", "--key", "cosign.key", "--type", "spdxjson", "--predicate", "sbom.json", ref]);
    const target = await openImageTarget(ref);
    const tag = `sha256-${target.manifest.digest.slice(7)}`;
    const fallback = await target.store.getManifest(tag);
    assert.ok(fallback, "the fallback index is written where the registry has no referrers API");
    assert.equal(fallback.mediaType, OCI_INDEX);
    const listed = JSON.parse(fallback.bytes.toString("utf8")).manifests;
    assert.equal(listed.length, 2);
    for (const d of listed) assert.equal(d.artifactType, BUNDLE_ARTIFACT_TYPE);
    assert.deepEqual(
      listed
        .map(
          (d: { annotations: Record<string, string> }) => d.annotations["dev.sigstore.bundle.predicateType"],
        )
        .sort(),
      ["https://sigstore.dev/cosign/sign/v1", "https://spdx.dev/Document"],
    );
    const verified = JSON.parse(await cli(["verify", "--key", "cosign.pub", "-a", "run=42", "--json", ref]));
    assert.equal(verified.verified.length, 1);
    assert.equal(
      verified.verified[0].bundle.signer.hint,
      publicKeyHint(await readPublicKey(join(root, "cosign.pub"))),
    );
    const attested = await cli(["verify-attestation", "--key", "cosign.pub", "--type", "spdxjson", ref]);
    assert.equal(JSON.parse(attested.trim()).predicate.name, "ours");
  });

  it("cosign 2.5 verify-attestation --new-bundle-format accepts cudaseal's bundle attestation", {
    skip: needsCosign,
  }, async () => {
    const ref = `${host}/team/ours@${(await openImageTarget(`${host}/team/ours:v1`)).manifest.digest}`;
    const flags = ["--key", join(root, "cosign.pub"), "--insecure-ignore-tlog", "--allow-insecure-registry"];
    const r = cosign([
      "verify-attestation",
      "--new-bundle-format",
      "--trusted-root",
      trustedRoot,
      ...flags,
      "--type",
      "spdxjson",
      ref,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /"payloadType":"application\/vnd.in-toto\+json"/);
    // Another key: cosign refuses it too, so the check above is real.
    mkdirSync(join(root, "other"), { recursive: true });
    cosignOk(["generate-key-pair"], { env, cwd: join(root, "other") });
    const other = [
      "--key",
      join(root, "other", "cosign.pub"),
      "--insecure-ignore-tlog",
      "--allow-insecure-registry",
    ];
    assert.notEqual(
      cosign(["verify-attestation", "--new-bundle-format", "--trusted-root", trustedRoot, ...other, ref])
        .status,
      0,
    );
  });

  it("cudaseal verify-attestation accepts cosign 2.5's attest --new-bundle-format, and their key hints agree", {
    skip: needsCosign,
  }, async () => {
    const dir = join(root, "cosign-keys");
    mkdirSync(dir, { recursive: true });
    cosignOk(["generate-key-pair"], { env, cwd: dir });
    writeFileSync(join(dir, "pred.json"), JSON.stringify({ spdxVersion: "SPDX-2.3", name: "theirs" }));
    const target = await openImageTarget(`${host}/team/theirs:v1`);
    const ref = `${host}/team/theirs@${target.manifest.digest}`;
    const flags = ["--key", "cosign.key", "--tlog-upload=false", "--allow-insecure-registry", "-y"];
    cosignOk(
      ["attest", "--new-bundle-format", ...flags, "--type", "spdxjson", "--predicate", "pred.json", ref],
      { env, cwd: dir },
    );
    const r = await runCli(
      ["verify-attestation", "--key", join(dir, "cosign.pub"), "--type", "spdxjson", "--json", ref],
      { cwd: root },
    );
    assert.equal(r.status, 0, r.stderr);
    const [att] = JSON.parse(r.stdout).verified;
    assert.equal(att.statement.predicate.name, "theirs");
    assert.equal(att.bundle.signer.hint, publicKeyHint(await readPublicKey(join(dir, "cosign.pub"))));
    // With our key it does not verify.
    const wrong = await runCli(["verify-attestation", "--key", join(root, "cosign.pub"), ref], { cwd: root });
    assert.equal(wrong.status, 1);
  });

  it("cudaseal verify accepts cosign 2.5's experimental signature referrer (--registry-referrers-mode=oci-1-1)", {
    skip: needsCosign,
  }, async () => {
    push("referred");
    const dir = join(root, "cosign-keys-2");
    mkdirSync(dir, { recursive: true });
    cosignOk(["generate-key-pair"], { env, cwd: dir });
    const target = await openImageTarget(`${host}/team/referred:v1`);
    const ref = `${host}/team/referred@${target.manifest.digest}`;
    const flags = ["--key", "cosign.key", "--tlog-upload=false", "--allow-insecure-registry", "-y"];
    cosignOk(["sign", "--registry-referrers-mode=oci-1-1", ...flags, ref], {
      env: { ...env, COSIGN_EXPERIMENTAL: "1" },
      cwd: dir,
    });
    assert.equal(await target.store.getManifest(`sha256-${target.manifest.digest.slice(7)}.sig`), undefined);
    const r = await runCli(["verify", "--key", join(dir, "cosign.pub"), "--json", ref], { cwd: root });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).verified[0].digest, target.manifest.digest);
    const wrong = await runCli(["verify", "--key", join(root, "cosign.pub"), "--json", ref], { cwd: root });
    assert.equal(JSON.parse(wrong.stdout).error.code, "VERIFY_WRONG_KEY");
  });

  it("copy and pull carry bundle referrers; the pulled layout verifies offline", async () => {
    await cli(["copy", `${host}/team/ours:v1`, `${host}/team/copied:v1`]);
    await cli(["verify", "--key", "cosign.pub", `${host}/team/copied:v1`]);
    await cli(["verify-attestation", "--key", "cosign.pub", "--type", "spdxjson", `${host}/team/copied:v1`]);
    await cli(["pull", `${host}/team/copied:v1`, "oci:pulled"]);
    await cli(["verify", "--key", "cosign.pub", "oci:pulled"]);
    await cli(["verify-attestation", "--key", "cosign.pub", "--type", "spdxjson", "oci:pulled"]);
    // And back to the registry from the layout.
    await cli(["push", "oci:pulled", `${host}/team/repushed:v1`]);
    await cli(["verify", "--key", "cosign.pub", `${host}/team/repushed:v1`]);
  });

  it("refuses a referrer bomb of 10,000 listed referrers without fetching one", async () => {
    const target = await openImageTarget(`${host}/team/bomb:v1`);
    // Made cheaply: one fallback index naming 10,000 bundle manifests the registry does not even hold.
    const manifests = Array.from({ length: 10_000 }, (_, i) => ({
      mediaType: OCI_MANIFEST,
      digest: sha256Digest(Buffer.from(`bomb ${i}`)),
      size: 500,
      artifactType: BUNDLE_ARTIFACT_TYPE,
    }));
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
    // The registry refuses an index naming manifests it lacks, so it goes straight into its storage.
    plantTag(registry!.storage, "team/bomb", `sha256-${target.manifest.digest.slice(7)}`, index);
    await assert.rejects(findBundles(target.store, target.manifest.digest), (e: unknown) => {
      assert.ok(isCudasealError(e, "VERIFY_TOO_MANY_REFERRERS"), String(e));
      return true;
    });
    const r = await runCli(["verify", "--key", "cosign.pub", "--json", `${host}/team/bomb:v1`], {
      cwd: root,
    });
    assert.equal(r.status, 1);
    assert.equal(JSON.parse(r.stdout).error.code, "VERIFY_TOO_MANY_REFERRERS");
    await assert.rejects(
      verifyImage(target, undefined, {
        bundles: { publicKey: readFileSync(join(root, "cosign.pub"), "utf8"), ignoreTlog: true },
      }),
      (e: unknown) => isCudasealError(e, "VERIFY_TOO_MANY_REFERRERS"),
    );
    // A copy refuses to walk it too, after the one list read.
    const copy = await runCli(["copy", "--json", `${host}/team/bomb:v1`, `${host}/team/bomb-copy:v1`], {
      cwd: root,
    });
    assert.equal(copy.status, 1);
    assert.equal(JSON.parse(copy.stdout).error.code, "IMAGE_INVALID");
    assert.equal(JSON.parse(copy.stdout).error.details.referrers, 10_000);
    // A listed bundle that is not stored is that bundle's failure, not a crash.
    await assert.rejects(readBundle(target.store, manifests[0]), (e: unknown) =>
      isCudasealError(e, "VERIFY_BUNDLE_INVALID"),
    );
  });
});

/** Store `bytes` as a manifest tagged `tag` in distribution's filesystem storage, as a push would have. */
function plantTag(storage: string, repo: string, tag: string, bytes: Buffer): void {
  const digest = sha256Digest(bytes);
  const hex = digest.slice(7);
  const v2 = join(storage, "docker", "registry", "v2");
  const write = (path: string, data: string | Buffer) => {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, data);
  };
  write(join(v2, "blobs", "sha256", hex.slice(0, 2), hex, "data"), bytes);
  const manifests = join(v2, "repositories", repo, "_manifests");
  write(join(manifests, "revisions", "sha256", hex, "link"), digest);
  write(join(manifests, "tags", tag, "current", "link"), digest);
  write(join(manifests, "tags", tag, "index", "sha256", hex, "link"), digest);
}
