// The whole chain through the command line, offline: build from a signed
// apt repository on 127.0.0.1 with --provenance, twice (same bytes), then
// sign and attest the layout and verify both.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), "cudaseal-build-provenance-"));
let repo: AptRepo | undefined;
const run = promisify(execFile);

/** Run cudaseal; asynchronously, since the apt repository is served from this process. */
async function cli(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [BIN, ...args], {
      encoding: "utf8",
      cwd: root,
      timeout: 240_000,
      env: { ...process.env, COSIGN_PASSWORD: "chain", SOURCE_DATE_EPOCH: "" },
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    assert.fail(`cudaseal ${args.join(" ")}:\n${e.stderr ?? e.message}`);
  }
}

describe("build --provenance, then sign and attest it", () => {
  before(async () => {
    repo = await startAptRepo({
      arches: ["amd64"],
      packages: [
        {
          name: "base-files",
          version: "13.8",
          arch: "all",
          files: {
            "usr/lib/os-release": "ID=debian\n",
            "etc/os-release": { symlink: "../usr/lib/os-release" },
          },
        },
        { name: "hello", version: "2.10-3", arch: "amd64", files: { "usr/bin/hello": "#!hello\n" } },
      ],
    });
    // The repository in the spec itself, so no system or security mirror is read.
    writeFileSync(
      join(root, "app.yaml"),
      `name: app\nsources:\n  - uri: ${repo.url}\n    suites: [${repo.suite}]\n    keyring: [${repo.publicKeyPath}]\npackages: [base-files, hello]\n`,
    );
  });

  after(async () => {
    await repo?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("writes the same provenance twice, naming every .deb of the lock", async () => {
    const build = (n: number) =>
      cli([
        "build",
        "app.yaml",
        "--arch",
        "amd64",
        "--source-date-epoch",
        "1735787045",
        "--cache-dir",
        join(root, "cache"),
        "-o",
        `oci:${join(root, `out${n}`)}:v1`,
        "--write-lock",
        join(root, `lock${n}.json`),
        "--provenance",
        join(root, `provenance${n}.json`),
        "--quiet",
      ]);
    await build(1);
    await build(2);
    const text = readFileSync(join(root, "provenance1.json"), "utf8");
    assert.equal(readFileSync(join(root, "provenance2.json"), "utf8"), text, "deterministic");
    const p = JSON.parse(text);
    const lock = JSON.parse(readFileSync(join(root, "lock1.json"), "utf8"));
    assert.deepEqual(
      p.buildDefinition.resolvedDependencies
        .map((d: { digest: { sha256: string } }) => d.digest.sha256)
        .sort(),
      lock.arches.amd64.map((pkg: { sha256: string }) => pkg.sha256).sort(),
    );
    const specText = readFileSync(join(root, "app.yaml"), "utf8");
    assert.deepEqual(p.buildDefinition.externalParameters.spec.files[0], {
      name: "app.yaml",
      digest: { sha256: createHash("sha256").update(specText).digest("hex") },
      content: specText,
    });
    assert.match(p.runDetails.metadata.startedOn, /^2025-01-02T03:04:05(\.000)?Z$/);
    // Dependencies are named by purl, not by the mirror's URL.
    for (const d of p.buildDefinition.resolvedDependencies) assert.match(d.uri, /^pkg:deb\/debian\//);
  });

  it("records --annotation, which the spec files do not say, as an override of the spec", async () => {
    await cli([
      "build",
      "app.yaml",
      "--arch",
      "amd64",
      "--cache-dir",
      join(root, "cache"),
      "-o",
      `oci:${join(root, "annotated")}:v1`,
      "--annotation",
      "org.example.unit=abc",
      "--provenance",
      join(root, "annotated.json"),
      "--quiet",
    ]);
    const p = JSON.parse(readFileSync(join(root, "annotated.json"), "utf8"));
    assert.deepEqual(p.buildDefinition.externalParameters.spec.overrides, {
      annotations: { "org.example.unit": "abc" },
    });
  });

  it("signs and attests the built layout offline, and verifies both", async () => {
    const image = `oci:${join(root, "out1")}:v1`;
    const keys = join(root, "release");
    await cli(["generate-key-pair", "--output-key-prefix", keys]);
    await cli(["sign", "--key", `${keys}.key`, "--reference", "registry.example/team/app", image]);
    await cli([
      "attest",
      "--key",
      `${keys}.key`,
      "--type",
      "slsaprovenance1",
      "--predicate",
      join(root, "provenance1.json"),
      image,
    ]);
    const verify = async (ref: string) =>
      JSON.parse(
        await cli([
          "verify",
          "--key",
          `${keys}.pub`,
          "--json",
          "--reference",
          "registry.example/team/app",
          ref,
        ]),
      );
    const verified = await verify(image);
    assert.equal(verified.verified.length, 1);
    // Untagged, the layout still means its one image: the SBOMs, signature and attestation beside it are not images.
    const untagged = await verify(`oci:${join(root, "out1")}`);
    assert.equal(untagged.digest, verified.digest);
    const att = JSON.parse(
      await cli(["verify-attestation", "--key", `${keys}.pub`, "--type", "slsaprovenance1", "--json", image]),
    );
    assert.equal(att.verified[0].statement.predicate.runDetails.builder.id, "cudaseal@0.1.0");
  });
});
