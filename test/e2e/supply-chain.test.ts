// The whole chain through the command line, as a CI pipeline runs it:
// build from a signed apt repository → push to a real registry → sign →
// attest the build's own CycloneDX SBOM and SLSA provenance → verify, with
// cudaseal and with the real cosign, and a pull that comes back unchanged.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildArgs } from "../build/build-args.ts";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { aptRepoSpec, type CliResult, runCli } from "../helpers/cli.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { hasTool } from "../oci/fixture-image.ts";
import { cosign, needsCosign } from "../sign/cosign-tool.ts";

const PASSWORD = "chain-pw";
const hasRegistry = hasTool("docker-registry");
const skip = needsCosign || (!hasRegistry && "docker-registry is not installed (npm run setup-test-tools)");

/** The CLI in `cwd`, with the key's password. */
function cli(args: string[], cwd?: string): Promise<CliResult> {
  return runCli(args, { cwd, env: { COSIGN_PASSWORD: PASSWORD } });
}

async function cliOk(args: string[], cwd?: string): Promise<string> {
  const r = await cli(args, cwd);
  assert.equal(r.status, 0, `cudaseal ${args.join(" ")}\n${r.stderr}`);
  return r.stdout;
}

describe("build → push → sign → attest → verify", { skip }, () => {
  let work = "";
  let repo: AptRepo | undefined;
  let registry: TestRegistry | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "cudaseal-chain-"));
    [repo, registry] = await Promise.all([
      startAptRepo({
        packages: [
          { name: "hello-data", version: "1.0", arch: "all", files: { "usr/share/hello/greeting": "hi\n" } },
        ],
      }),
      startRegistry(),
    ]);
  });

  after(async () => {
    await Promise.all([repo?.close(), registry?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("every step passes, and cosign accepts what cudaseal signed and attested", async () => {
    assert.ok(repo && registry);
    const spec = join(work, "spec.yaml");
    writeFileSync(spec, aptRepoSpec(repo, "hello", ["hello-data"]));
    const name = `${registry.host}/team/hello`;
    const built = JSON.parse(
      await cliOk(
        buildArgs(
          spec,
          join(work, "cache"),
          `oci:${join(work, "out")}:v1`,
          "--provenance",
          join(work, "provenance.json"),
          "--push",
          `${name}:v1`,
          "--json",
        ),
      ),
    );
    assert.equal(built.pushed.digest, built.digest);
    const ref = `${name}@${built.digest}`;

    await cliOk(["generate-key-pair"], work);
    // cosign 2's tags, which the Debian cosign verifies (bundles: test/sign/bundle-registry.test.ts).
    const tags = "--new-bundle-format=false";
    await cliOk(["sign", ref, "--key", "cosign.key", "--recursive", tags], work);
    const sbom = join(work, "out.amd64.cdx.json");
    assert.equal(JSON.parse(readFileSync(sbom, "utf8")).bomFormat, "CycloneDX");
    await cliOk(
      ["attest", ref, "--key", "cosign.key", "--type", "cyclonedx", "--predicate", sbom, tags],
      work,
    );
    await cliOk(
      [
        "attest",
        ref,
        "--key",
        "cosign.key",
        "--type",
        "slsaprovenance1",
        "--predicate",
        "provenance.json",
        tags,
      ],
      work,
    );

    const verified = JSON.parse(await cliOk(["verify", ref, "--key", "cosign.pub", "--json"], work));
    assert.equal(verified.verified.length, 1);
    await cliOk(["verify-attestation", ref, "--key", "cosign.pub", "--type", "cyclonedx"], work);
    await cliOk(["verify-attestation", ref, "--key", "cosign.pub", "--type", "slsaprovenance1"], work);

    const offline = ["--insecure-ignore-tlog", "--allow-insecure-registry"];
    const sig = cosign(["verify", "--key", "cosign.pub", ...offline, ref], { cwd: work });
    assert.equal(sig.status, 0, sig.stderr);
    const att = cosign(
      ["verify-attestation", "--key", "cosign.pub", "--type", "cyclonedx", ...offline, ref],
      {
        cwd: work,
      },
    );
    assert.equal(att.status, 0, att.stderr);
    const envelope = JSON.parse(att.stdout.trim().split("\n")[0]);
    const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
    assert.equal(statement.predicate.bomFormat, "CycloneDX");
    assert.ok(
      statement.subject.some(
        (s: { digest: { sha256: string } }) => `sha256:${s.digest.sha256}` === built.digest,
      ),
    );

    // A key that did not sign it is refused with its code, by both tools.
    await cliOk(["generate-key-pair", "--output-key-prefix", "other"], work);
    const wrong = await cli(["verify", ref, "--key", "other.pub", "--json"], work);
    assert.equal(wrong.status, 1);
    assert.equal(JSON.parse(wrong.stdout).error.code, "VERIFY_WRONG_KEY");

    // What was pushed comes back unchanged.
    const pulled = JSON.parse(
      await cliOk(["pull", `${name}:v1`, `oci:${join(work, "pulled")}:v1`, "--json"]),
    );
    assert.equal(pulled.digest, built.digest);
  });
});
