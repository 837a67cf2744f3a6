// Signing and verifying images in OCI layouts, offline: the signature is
// stored as cosign stores it, and each way verification can fail has its
// own code.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, describe, it } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { openLayoutStore } from "../../src/oci/layout-store.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { ANNOTATION_REF_NAME, OCI_MANIFEST } from "../../src/oci/media-types.ts";
import {
  cosignTag,
  readCosignLayers,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from "../../src/sign/cosign-manifest.ts";
import { openImageTarget } from "../../src/sign/image-target.ts";
import { readPrivateKey } from "../../src/sign/keys.ts";
import { signImage } from "../../src/sign/sign-image.ts";
import { keySigner, keyVerifier } from "../../src/sign/signer.ts";
import { verifyImage } from "../../src/sign/verify-image.ts";
import { openImage } from "../../src/source/image-source.ts";
import { makeFixture } from "../oci/fixture-image.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-sign-"));
after(() => rmSync(root, { recursive: true, force: true }));
const fx = makeFixture(root);
const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const hasScript = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;

function ecKey() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { signer: keySigner(privateKey), verifier: keyVerifier(publicKey), publicKey };
}
const keyA = ecKey();
const keyB = ecKey();

let n = 0;
async function layout(image = fx.single): Promise<string> {
  const dir = join(root, `img${n++}`);
  await writeOciLayout(dir, image);
  return dir;
}

function code(expected: string) {
  return (e: unknown) => {
    assert.ok(isCudasealError(e), String(e));
    assert.equal(e.code, expected, e.message);
    return true;
  };
}

describe("sign and verify an OCI layout", () => {
  it("stores a cosign signature under sha256-<hex>.sig and verifies it", async () => {
    const dir = await layout();
    const target = await openImageTarget(`oci:${dir}:v1`);
    const [signed] = await signImage(target, keyA.signer, { annotations: { team: "gpu" } });
    assert.equal(signed.digest, target.manifest.digest);
    const payload = JSON.parse(signed.payload);
    assert.deepEqual(payload, {
      critical: {
        identity: { "docker-reference": basename(dir) },
        image: { "docker-manifest-digest": target.manifest.digest },
        type: "cosign container image signature",
      },
      optional: { team: "gpu" },
    });
    // Where and how cosign keeps it.
    const tag = cosignTag(target.manifest.digest, "sig");
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
    assert.ok(
      index.manifests.some(
        (m: { annotations?: Record<string, string> }) => m.annotations?.[ANNOTATION_REF_NAME] === tag,
      ),
    );
    const sigManifest = JSON.parse((await target.store.getManifest(tag))!.bytes.toString("utf8"));
    assert.equal(sigManifest.mediaType, OCI_MANIFEST);
    assert.equal(sigManifest.layers.length, 1);
    assert.equal(sigManifest.layers[0].mediaType, SIMPLE_SIGNING_MEDIA_TYPE);
    assert.ok(sigManifest.layers[0].annotations[SIGNATURE_ANNOTATION].length > 0);

    const verified = await verifyImage(await openImageTarget(`oci:${dir}:v1`), keyA.verifier);
    assert.equal(verified.length, 1);
    assert.equal(verified[0].digest, target.manifest.digest);
    assert.deepEqual(verified[0].optional, { team: "gpu" });
    // Required annotations are checked.
    await assert.rejects(
      verifyImage(target, keyA.verifier, { annotations: { team: "other" } }),
      code("VERIFY_REFERENCE_MISMATCH"),
    );
  });

  it("leaves the layout readable as an image by the other commands, tagged or not", async () => {
    const dir = await layout();
    const target = await openImageTarget(`oci:${dir}`);
    await signImage(target, keyA.signer);
    const opened = await openImage(`oci:${dir}`);
    assert.equal(opened.manifestDigest, target.manifest.digest);
    assert.equal((await openImageTarget(`oci:${dir}`)).manifest.digest, target.manifest.digest);
  });

  it("appends signatures, and skips one equal to a signature already there", async () => {
    const dir = await layout();
    const target = await openImageTarget(`oci:${dir}`);
    await signImage(target, keyA.signer);
    await signImage(target, keyB.signer);
    const again = await signImage(target, keyA.signer);
    assert.equal(again[0].signatureManifest, undefined, "same key, same payload: nothing added");
    assert.equal((await readCosignLayers(target.store, target.manifest.digest, "sig")).length, 2);
    assert.equal((await verifyImage(target, keyA.verifier)).length, 1);
    assert.equal((await verifyImage(target, keyB.verifier)).length, 1);
  });

  it("signs a multi-platform index, and with recursive each platform manifest too", async () => {
    const dir = await layout(fx.multi);
    const target = await openImageTarget(`oci:${dir}`);
    const top = await openImageTarget(`oci:${dir}:v1`);
    assert.equal(target.manifest.digest, top.manifest.digest, "an untagged layout means its index");
    const signed = await signImage(target, keyA.signer, { recursive: true });
    assert.equal(signed.length, 3);
    const amd64 = await openImageTarget(`oci:${dir}:v1-amd64`);
    assert.equal((await verifyImage(amd64, keyA.verifier)).length, 1);
    const byDigest = await openImageTarget(`oci:${dir}@${signed[2].digest}`);
    assert.equal((await verifyImage(byDigest, keyA.verifier)).length, 1);
  });

  it("VERIFY_NO_SIGNATURE for an image never signed", async () => {
    const target = await openImageTarget(`oci:${await layout()}:v1`);
    await assert.rejects(verifyImage(target, keyA.verifier), code("VERIFY_NO_SIGNATURE"));
  });

  it("VERIFY_WRONG_KEY when the signature is another key's", async () => {
    const target = await openImageTarget(`oci:${await layout()}:v1`);
    await signImage(target, keyA.signer);
    await assert.rejects(verifyImage(target, keyB.verifier), code("VERIFY_WRONG_KEY"));
  });

  it("VERIFY_PAYLOAD_TAMPERED when the payload was changed after signing", async () => {
    const dir = await layout();
    const target = await openImageTarget(`oci:${dir}:v1`);
    await signImage(target, keyA.signer);
    const [layer] = await readCosignLayers(target.store, target.manifest.digest, "sig");
    const file = join(dir, "blobs", "sha256", layer.digest.slice(7));
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(
        "cosign container image signature",
        "cosign container image signaturE",
      ),
    );
    await assert.rejects(verifyImage(target, keyA.verifier), code("VERIFY_PAYLOAD_TAMPERED"));
  });

  it("VERIFY_DIGEST_MISMATCH when a valid signature of another image is put beside this one", async () => {
    const dir = await layout(fx.multi);
    const index = await openImageTarget(`oci:${dir}:v1`);
    const amd64 = await openImageTarget(`oci:${dir}:v1-amd64`);
    await signImage(amd64, keyA.signer);
    // Copy the amd64 manifest's .sig manifest to the index's .sig tag.
    const sig = await amd64.store.getManifest(cosignTag(amd64.manifest.digest, "sig"));
    const store = await openLayoutStore(dir);
    await store.putManifest(sig!.bytes, OCI_MANIFEST, cosignTag(index.manifest.digest, "sig"));
    await assert.rejects(verifyImage(index, keyA.verifier), code("VERIFY_DIGEST_MISMATCH"));
  });

  it("VERIFY_REFERENCE_MISMATCH when the payload names another repository", async () => {
    const dir = await layout();
    await signImage(
      await openImageTarget(`oci:${dir}:v1`, { repository: "registry.example/team/cuda" }),
      keyA.signer,
    );
    const target = await openImageTarget(`oci:${dir}:v1`);
    assert.equal(
      (await verifyImage(target, keyA.verifier, { repository: "registry.example/team/cuda" })).length,
      1,
    );
    await assert.rejects(
      verifyImage(target, keyA.verifier, { repository: "registry.example/other" }),
      code("VERIFY_REFERENCE_MISMATCH"),
    );
  });

  it("IMAGE_NOT_FOUND for a tag the layout lacks; USAGE for an archive", async () => {
    const dir = await layout();
    await assert.rejects(openImageTarget(`oci:${dir}:v9`), code("IMAGE_NOT_FOUND"));
    await assert.rejects(openImageTarget(`oci:${join(root, "none")}`), code("IMAGE_NOT_FOUND"));
    await assert.rejects(openImageTarget(`docker-archive:${dir}.tar`), code("USAGE"));
  });
});

describe("the sign and verify commands", () => {
  function cli(args: string[], env: Record<string, string | undefined> = {}) {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: "utf8",
      env: { ...process.env, COSIGN_PASSWORD: "cli-pw", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return r;
  }

  it("generate-key-pair, sign and verify --json round-trip; failures exit 1 with their code", async () => {
    const dir = await layout();
    const keys = join(root, "cli-keys");
    const gen = cli(["generate-key-pair", "--output-key-prefix", keys]);
    assert.equal(gen.status, 0, gen.stderr);
    const again = cli(["generate-key-pair", "--output-key-prefix", keys]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /KEY_EXISTS/);

    const unsigned = cli(["verify", "--key", `${keys}.pub`, "--json", `oci:${dir}:v1`]);
    assert.equal(unsigned.status, 1);
    assert.equal(JSON.parse(unsigned.stdout).error.code, "VERIFY_NO_SIGNATURE");

    const sign = cli(["sign", "--key", `${keys}.key`, "-a", "build=42", `oci:${dir}:v1`]);
    assert.equal(sign.status, 0, sign.stderr);
    const verify = cli(["verify", "--key", `${keys}.pub`, "--json", `oci:${dir}:v1`]);
    assert.equal(verify.status, 0, verify.stderr);
    const doc = JSON.parse(verify.stdout);
    assert.equal(doc.verified.length, 1);
    assert.deepEqual(doc.verified[0].optional, { build: "42" });

    const wrong = cli(["verify", "--key", join(root, "wrong.pub"), `oci:${dir}:v1`]);
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /KEY_INVALID/);

    const noPassword = cli(["sign", "--key", `${keys}.key`, `oci:${dir}:v1`], { COSIGN_PASSWORD: undefined });
    assert.equal(noPassword.status, 1);
    assert.match(noPassword.stderr, /KEY_PASSWORD_MISSING/);

    const badPassword = cli(["sign", "--key", `${keys}.key`, `oci:${dir}:v1`], { COSIGN_PASSWORD: "nope" });
    assert.equal(badPassword.status, 1);
    assert.match(badPassword.stderr, /KEY_PASSWORD_WRONG/);

    const usage = cli(["sign", `oci:${dir}:v1`]);
    assert.equal(usage.status, 2);
  });

  it("asks for the password on a terminal, without echoing it", {
    skip: hasScript ? false : "script(1) is not installed",
  }, async () => {
    const prefix = join(root, "tty-keys");
    // Even an empty COSIGN_PASSWORD is a password: it must be unset for the prompt to appear.
    const withoutPassword = { ...process.env };
    delete withoutPassword.COSIGN_PASSWORD;
    // script(1) gives the command a pseudo-terminal; the password is typed once each prompt has shown.
    const child = spawn(
      "script",
      ["-qc", `${process.execPath} ${BIN} generate-key-pair --output-key-prefix ${prefix}`, "/dev/null"],
      {
        env: withoutPassword,
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    let seen = "";
    let prompts = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      seen += chunk.toString("utf8");
      const count = seen.split("Enter password for private key").length - 1;
      while (prompts < count) {
        prompts++;
        child.stdin.write("typed-pw\r");
      }
    });
    const status = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(status, 0, seen);
    assert.equal(prompts, 2);
    assert.doesNotMatch(seen, /typed-pw/, "the password is not echoed");
    const key = await readPrivateKey(`${prefix}.key`, async () => "typed-pw");
    assert.equal(key.type, "private");
  });
});
