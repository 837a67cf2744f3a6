// Signatures travel with the image: a layout signed and attested offline by
// cudaseal, pushed to a real registry, verifies with the real cosign; pulled
// back into a new layout it verifies offline; `--no-referrers` leaves the
// signatures behind; a destination that already holds another signer's
// `.sig` ends up with both.

import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openLayoutStore } from "../../src/oci/layout-store.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { OCI_CONFIG, OCI_MANIFEST } from "../../src/oci/media-types.ts";
import { openRegistryStore } from "../../src/registry/registry-store.ts";
import { type CliResult, runCli } from "../helpers/cli.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { hasTool, makeFixture } from "../oci/fixture-image.ts";
import { cosign, cosignOk, needsCosign } from "./cosign-tool.ts";

const PASSWORD = "carry-pw";
const skip =
  needsCosign ||
  (!hasTool("docker-registry") && "docker-registry is not installed (npm run setup-test-tools)");
const offline = ["--insecure-ignore-tlog", "--allow-insecure-registry"];

function cli(args: string[], cwd: string): Promise<CliResult> {
  return runCli(args, { cwd, env: { COSIGN_PASSWORD: PASSWORD } });
}

async function cliOk(args: string[], cwd: string): Promise<string> {
  const r = await cli(args, cwd);
  assert.equal(r.status, 0, `cudaseal ${args.join(" ")}\n${r.stderr}`);
  return r.stdout;
}

interface Summary {
  digest: string;
  signatures: number;
  signatureTags: { tag: string; action: string }[];
}

describe("cosign's signature tags travel with push, pull and copy", { skip }, () => {
  let work = "";
  let registry: TestRegistry | undefined;
  let layout = "";
  let host = "";
  /** The index and its two platform manifests, as signed. */
  let digests: string[] = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "cudaseal-carry-"));
    registry = await startRegistry();
    host = registry.host;
    const fx = makeFixture(join(work, "fx"));
    layout = join(work, "signed");
    await writeOciLayout(layout, fx.multi);
    await cliOk(["generate-key-pair"], work);
    writeFileSync(
      join(work, "sbom.spdx.json"),
      JSON.stringify({ spdxVersion: "SPDX-2.3", SPDXID: "SPDXRef-DOCUMENT", name: "carried" }),
    );
    // Offline: the layout gets the .sig of the index and of each platform, and one .att
    // (cosign 2's tags, which this file is about; bundle referrers are carried in bundle-registry.test.ts).
    const signed = JSON.parse(
      await cliOk(
        [
          "sign",
          "--new-bundle-format=false",
          `oci:${layout}:v1`,
          "--key",
          "cosign.key",
          "--recursive",
          "--reference",
          `${host}/team/app`,
          "--json",
        ],
        work,
      ),
    );
    digests = signed.signatures.map((s: { digest: string }) => s.digest);
    assert.equal(digests.length, 3);
    await cliOk(
      [
        "attest",
        "--new-bundle-format=false",
        `oci:${layout}:v1`,
        "--key",
        "cosign.key",
        "--type",
        "spdxjson",
        "--predicate",
        "sbom.spdx.json",
        "--reference",
        `${host}/team/app`,
      ],
      work,
    );
  });

  after(async () => {
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("push carries .sig and .att: cosign verify and verify-attestation pass", async () => {
    const pushed: Summary = JSON.parse(
      await cliOk(["push", `oci:${layout}:v1`, `${host}/team/app:v1`, "--json"], work),
    );
    assert.equal(pushed.digest, digests[0]);
    assert.equal(pushed.signatures, 4);
    assert.deepEqual(
      pushed.signatureTags.map((t) => t.action),
      ["copied", "copied", "copied", "copied"],
    );
    for (const digest of digests) {
      const r = cosign(["verify", "--key", "cosign.pub", ...offline, `${host}/team/app@${digest}`], {
        cwd: work,
      });
      assert.equal(r.status, 0, r.stderr);
    }
    const att = cosign(
      [
        "verify-attestation",
        "--key",
        "cosign.pub",
        "--type",
        "spdxjson",
        ...offline,
        `${host}/team/app@${digests[0]}`,
      ],
      { cwd: work },
    );
    assert.equal(att.status, 0, att.stderr);
    const envelope = JSON.parse(att.stdout.trim().split("\n")[0]);
    const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
    assert.equal(statement.predicate.name, "carried");

    // A second push finds them there and writes nothing new.
    const again: Summary = JSON.parse(
      await cliOk(["push", `oci:${layout}:v1`, `${host}/team/app:v1`, "--json"], work),
    );
    assert.equal(again.signatures, 4);
    assert.ok(again.signatureTags.every((t) => t.action === "unchanged"));
  });

  it("pull brings them back: cudaseal verify passes offline on the new layout", async () => {
    const out = join(work, "pulled");
    const pulled: Summary = JSON.parse(
      await cliOk(["pull", `${host}/team/app:v1`, `oci:${out}:v1`, "--json"], work),
    );
    assert.equal(pulled.signatures, 4);
    // Offline: the registry plays no part in these.
    await registry?.stop();
    try {
      for (const ref of [`oci:${out}:v1`, `oci:${out}@${digests[1]}`, `oci:${out}@${digests[2]}`]) {
        const verified = JSON.parse(await cliOk(["verify", ref, "--key", "cosign.pub", "--json"], work));
        assert.equal(verified.verified.length, 1, ref);
      }
      await cliOk(["verify-attestation", `oci:${out}:v1`, "--key", "cosign.pub", "--type", "spdxjson"], work);
      // The pulled layout still names one image when no tag is given.
      await cliOk(["verify", `oci:${out}`, "--key", "cosign.pub"], work);
    } finally {
      registry = await startRegistry();
      host = registry.host;
    }
  });

  it("--no-referrers leaves them out of push and pull", async () => {
    // The registry was restarted empty (new port): the payloads name the old
    // host, which cosign's key check does not look at.
    const pushed: Summary = JSON.parse(
      await cliOk(["push", `oci:${layout}:v1`, `${host}/team/bare:v1`, "--no-referrers", "--json"], work),
    );
    assert.equal(pushed.signatures, 0);
    const store = await openRegistryStore(`${host}/team/bare`);
    assert.equal(await store.getManifest(`sha256-${digests[0].slice(7)}.sig`), undefined);
    const r = cosign(["verify", "--key", "cosign.pub", ...offline, `${host}/team/bare@${digests[0]}`], {
      cwd: work,
    });
    assert.notEqual(r.status, 0);

    // And a pull that leaves them: the signed registry copy, pulled without them.
    await cliOk(["push", `oci:${layout}:v1`, `${host}/team/app:v1`], work);
    const out = join(work, "pulled-bare");
    const pulled: Summary = JSON.parse(
      await cliOk(["pull", `${host}/team/app:v1`, `oci:${out}:v1`, "--no-referrers", "--json"], work),
    );
    assert.equal(pulled.signatures, 0);
    const verify = await cli(["verify", `oci:${out}:v1`, "--key", "cosign.pub", "--json"], work);
    assert.equal(verify.status, 1);
    assert.equal(JSON.parse(verify.stdout).error.code, "VERIFY_NO_SIGNATURE");
  });

  it("copy between repositories carries them, and merges with a .sig already there", async () => {
    // The destination holds the image signed by cosign with another key.
    await cliOk(["push", `oci:${layout}:v1`, `${host}/team/merged:v1`, "--no-referrers"], work);
    cosignOk(["generate-key-pair", "--output-key-prefix", "theirs"], {
      env: { COSIGN_PASSWORD: PASSWORD },
      cwd: work,
    });
    cosignOk(
      [
        "sign",
        "--key",
        "theirs.key",
        "--tlog-upload=false",
        "--allow-insecure-registry",
        "-y",
        `${host}/team/merged@${digests[0]}`,
      ],
      { env: { COSIGN_PASSWORD: PASSWORD }, cwd: work },
    );

    const copied: Summary = JSON.parse(
      await cliOk(["copy", `${host}/team/app:v1`, `${host}/team/merged:v1`, "--json"], work),
    );
    const byTag = new Map(copied.signatureTags.map((t) => [t.tag, t.action]));
    assert.equal(byTag.get(`sha256-${digests[0].slice(7)}.sig`), "merged");
    assert.equal(byTag.get(`sha256-${digests[1].slice(7)}.sig`), "copied");
    assert.equal(copied.signatures, 4);
    for (const key of ["cosign.pub", "theirs.pub"]) {
      const r = cosign(["verify", "--key", key, ...offline, `${host}/team/merged@${digests[0]}`], {
        cwd: work,
      });
      assert.equal(r.status, 0, `${key}: ${r.stderr}`);
    }
    const sig = await (await openRegistryStore(`${host}/team/merged`)).getManifest(
      `sha256-${digests[0].slice(7)}.sig`,
    );
    assert.equal(JSON.parse(sig?.bytes.toString("utf8") ?? "{}").layers.length, 2);

    // Copied again, nothing is added twice.
    const again: Summary = JSON.parse(
      await cliOk(["copy", `${host}/team/app:v1`, `${host}/team/merged:v1`, "--json"], work),
    );
    assert.ok(again.signatureTags.every((t) => t.action === "unchanged"));
  });

  it("a destination's different .sbom is kept, and said so", async () => {
    // Give the source and the destination layouts each their own .sbom for the index.
    const src = join(work, "sbom-src");
    const dst = join(work, "sbom-dst");
    cpSync(layout, src, { recursive: true });
    const tag = `sha256-${digests[0].slice(7)}.sbom`;
    const attach = async (dir: string, text: string) => {
      const store = await openLayoutStore(dir, { create: true });
      const layer = await store.putBlob(Buffer.from(text), "text/spdx+json");
      const config = await store.putBlob(Buffer.from("{}"), OCI_CONFIG);
      const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] };
      return store.putManifest(Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST, tag);
    };
    await attach(src, '{"name":"source"}');
    await cliOk(["copy", `oci:${layout}:v1`, `oci:${dst}:v1`], work);
    const theirs = await attach(dst, '{"name":"destination"}');

    const r = await cli(["copy", `oci:${src}:v1`, `oci:${dst}:v1`, "--json"], work);
    assert.equal(r.status, 0, r.stderr);
    const summary: Summary = JSON.parse(r.stdout);
    assert.equal(summary.signatureTags.find((t) => t.tag === tag)?.action, "kept");
    assert.equal(summary.signatures, 4);
    assert.match(r.stderr, new RegExp(`kept its own ${tag}`));
    assert.equal((await (await openLayoutStore(dst)).getManifest(tag))?.digest, theirs.digest);
  });
});
