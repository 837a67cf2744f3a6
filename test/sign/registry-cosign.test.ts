// End to end against a real registry and the real cosign: what cudaseal
// signs and attests, cosign verifies, and the other way round.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { provenanceText } from "../../src/provenance/slsa-provenance.ts";
import { attestImage } from "../../src/sign/attest-image.ts";
import { openImageTarget } from "../../src/sign/image-target.ts";
import { generateKeyPair, readPrivateKey, readPublicKey, writeKeyPair } from "../../src/sign/keys.ts";
import { signImage } from "../../src/sign/sign-image.ts";
import { keySigner, keyVerifier } from "../../src/sign/signer.ts";
import { verifyAttestations } from "../../src/sign/verify-attestation.ts";
import { verifyImage } from "../../src/sign/verify-image.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { hasTool, makeFixture } from "../oci/fixture-image.ts";
import { LOCK } from "../provenance/fixture-lock.ts";
import { cosign, cosignOk, needsCosign } from "./cosign-tool.ts";

const hasRegistry = hasTool("docker-registry");
const skip =
  needsCosign ||
  (!hasRegistry && "docker-registry is not installed (npm run setup-test-tools)") ||
  (!hasTool("skopeo") && "skopeo is not installed (npm run setup-test-tools)");

const root = mkdtempSync(join(tmpdir(), "cudaseal-registry-cosign-"));
const env = { COSIGN_PASSWORD: "e2e-pw" };
let registry: TestRegistry | undefined;

describe("cudaseal and cosign on a real registry", { skip }, () => {
  const ours = join(root, "cudaseal");
  const theirs = join(root, "cosign");
  const sbom = join(root, "sbom.spdx.json");
  let single = "";
  let multi = "";

  before(async () => {
    registry = await startRegistry();
    const fx = makeFixture(root);
    await writeOciLayout(join(root, "single"), fx.single);
    await writeOciLayout(join(root, "multi"), fx.multi);
    for (const [name, repo] of [
      ["single", "team/single"],
      ["multi", "team/multi"],
    ]) {
      execFileSync("skopeo", [
        "copy",
        "--all",
        "--dest-tls-verify=false",
        `oci:${join(root, name)}:v1`,
        `docker://${registry.host}/${repo}:v1`,
      ]);
    }
    single = `${registry.host}/team/single`;
    multi = `${registry.host}/team/multi`;
    await writeKeyPair(await generateKeyPair(env.COSIGN_PASSWORD), ours);
    execFileSync("mkdir", ["-p", theirs]);
    cosignOk(["generate-key-pair"], { env, cwd: theirs });
    writeFileSync(
      sbom,
      JSON.stringify({ spdxVersion: "SPDX-2.3", SPDXID: "SPDXRef-DOCUMENT", name: "fixture" }),
    );
  });

  after(async () => {
    await registry?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const cosignVerify = (ref: string, pub: string, extra: string[] = []) =>
    cosign(["verify", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", ...extra, ref]);

  it("cosign verify accepts cudaseal sign", async () => {
    const target = await openImageTarget(`${single}:v1`);
    const signer = keySigner(await readPrivateKey(`${ours}.key`, async () => env.COSIGN_PASSWORD));
    await signImage(target, signer, { annotations: { pipeline: "e2e" } });
    const ref = `${single}@${target.manifest.digest}`;
    const ok = cosignVerify(ref, `${ours}.pub`, ["-a", "pipeline=e2e"]);
    assert.equal(ok.status, 0, ok.stderr);
    const [claim] = JSON.parse(ok.stdout);
    assert.equal(claim.critical.image["docker-manifest-digest"], target.manifest.digest);
    assert.equal(claim.critical.identity["docker-reference"], single);
    // cosign's key does not verify it: the check is real.
    assert.notEqual(cosignVerify(ref, join(theirs, "cosign.pub")).status, 0);
  });

  it("cudaseal verify accepts cosign sign, beside cudaseal's own signature", async () => {
    const target = await openImageTarget(`${single}:v1`);
    const ref = `${single}@${target.manifest.digest}`;
    cosignOk(["sign", "--key", "cosign.key", "--tlog-upload=false", "--allow-insecure-registry", "-y", ref], {
      env,
      cwd: theirs,
    });
    const verified = await verifyImage(target, keyVerifier(await readPublicKey(join(theirs, "cosign.pub"))));
    assert.equal(verified.length, 1);
    assert.equal(verified[0].dockerReference, single);
    assert.equal((await verifyImage(target, keyVerifier(await readPublicKey(`${ours}.pub`)))).length, 1);
    // And through the command line, by tag.
    const bin = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
    const cli = spawnSync(
      process.execPath,
      [bin, "verify", "--key", join(theirs, "cosign.pub"), "--json", `${single}:v1`],
      {
        encoding: "utf8",
      },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).verified.length, 1);
  });

  it("cudaseal sign --recursive signs an index and each platform so cosign verifies both", async () => {
    const target = await openImageTarget(`${multi}:v1`);
    const signer = keySigner(await readPrivateKey(`${ours}.key`, async () => env.COSIGN_PASSWORD));
    const signed = await signImage(target, signer, { recursive: true });
    assert.equal(signed.length, 3);
    for (const s of signed) {
      const r = cosignVerify(`${multi}@${s.digest}`, `${ours}.pub`);
      assert.equal(r.status, 0, r.stderr);
    }
  });

  it("cosign verify-attestation accepts cudaseal attest, and cudaseal accepts cosign attest", async () => {
    const target = await openImageTarget(`${single}:v1`);
    const ref = `${single}@${target.manifest.digest}`;
    const signer = keySigner(await readPrivateKey(`${ours}.key`, async () => env.COSIGN_PASSWORD));
    await attestImage(target, signer, {
      type: "spdxjson",
      predicate: Buffer.from(
        JSON.stringify({ spdxVersion: "SPDX-2.3", SPDXID: "SPDXRef-DOCUMENT", name: "ours" }),
      ),
    });
    const ok = cosign([
      "verify-attestation",
      "--key",
      `${ours}.pub`,
      "--type",
      "spdxjson",
      "--insecure-ignore-tlog",
      "--allow-insecure-registry",
      ref,
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    const envelope = JSON.parse(ok.stdout.trim().split("\n")[0]);
    const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
    assert.equal(statement.predicate.name, "ours");

    cosignOk(
      [
        "attest",
        "--key",
        "cosign.key",
        "--type",
        "spdxjson",
        "--predicate",
        sbom,
        "--tlog-upload=false",
        "--allow-insecure-registry",
        "-y",
        ref,
      ],
      { env, cwd: theirs },
    );
    const theirsVerified = await verifyAttestations(
      target,
      keyVerifier(await readPublicKey(join(theirs, "cosign.pub"))),
      { type: "spdxjson" },
    );
    assert.equal(theirsVerified.length, 1);
    assert.equal((theirsVerified[0].statement.predicate as { name: string }).name, "fixture");
  });

  it("cosign takes cudaseal's SLSA v1 provenance, attested by either tool", async () => {
    const target = await openImageTarget(`${multi}:v1`);
    const ref = `${multi}@${target.manifest.digest}`;
    const provenance = provenanceText({
      version: "0.1.0",
      spec: "preset:cuda-runtime",
      specFiles: [{ name: "preset:cuda-runtime", content: "name: cuda-runtime\n" }],
      lock: LOCK,
      archs: ["amd64", "arm64"],
      compression: { algorithm: "gzip", level: 1 },
      created: "2025-01-02T03:04:05Z",
    });
    const file = join(root, "provenance.json");
    writeFileSync(file, provenance);
    const signer = keySigner(await readPrivateKey(`${ours}.key`, async () => env.COSIGN_PASSWORD));
    await attestImage(target, signer, { type: "slsaprovenance1", predicate: Buffer.from(provenance) });
    const ok = cosign([
      "verify-attestation",
      "--key",
      `${ours}.pub`,
      "--type",
      "slsaprovenance1",
      "--insecure-ignore-tlog",
      "--allow-insecure-registry",
      ref,
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    // cosign parses the predicate into its SLSA v1 types when it attests: the shape is right.
    cosignOk(
      [
        "attest",
        "--key",
        "cosign.key",
        "--type",
        "slsaprovenance1",
        "--predicate",
        file,
        "--tlog-upload=false",
        "--allow-insecure-registry",
        "-y",
        ref,
      ],
      { env, cwd: theirs },
    );
    const verified = await verifyAttestations(
      target,
      keyVerifier(await readPublicKey(join(theirs, "cosign.pub"))),
      {
        type: "slsaprovenance1",
      },
    );
    const predicate = verified[0].statement.predicate as { runDetails: { builder: { id: string } } };
    assert.equal(predicate.runDetails.builder.id, "cudaseal@0.1.0");
  });
});
