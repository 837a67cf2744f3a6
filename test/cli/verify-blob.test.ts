// `cudaseal verify-blob` as users meet it: a sample of Sigstore's
// conformance cases through the command line (all of them run through the
// library in test/sign/sigstore-conformance.test.ts), its usage errors, and
// bundles of the real cosign both ways.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { bundleToJSON, toMessageSignatureBundle } from "@sigstore/bundle";
import { cosign, needsCosign } from "../sign/cosign-tool.ts";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const CASES = join(import.meta.dirname, "..", "fixtures", "sigstore-conformance", "bundle-verify");
const ROOT = join(import.meta.dirname, "..", "..", "data", "sigstore", "public-good-trusted-root.json");
const A_TXT = join(CASES, "a.txt");
const ID = [
  "--certificate-identity",
  "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
  "--certificate-oidc-issuer",
  "https://token.actions.githubusercontent.com",
];

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "cudaseal-verify-blob-"));
  dirs.push(d);
  return d;
}

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, "verify-blob", ...args], { encoding: "utf8" });
}

function errorCode(r: ReturnType<typeof cli>): string | undefined {
  return /error \[([A-Z_]+)\]/.exec(r.stderr)?.[1];
}

const bundle = (name: string) => ["--bundle", join(CASES, name, "bundle.sigstore.json")];

test("a keyless bundle verifies against the shipped public-good root, and --json says by whom and when", () => {
  const r = cli([A_TXT, ...bundle("happy-path-v0.3"), ...ID, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.signer.kind, "certificate");
  assert.equal(out.signer.issuer, "https://token.actions.githubusercontent.com");
  assert.equal(out.trustedRoot, "public-good");
  assert.match(out.signedAt, /^20\d\d-/);
  assert.match(out.sha256, /^[0-9a-f]{64}$/);
});

test("a DSSE bundle prints the statement that names the file", () => {
  const r = cli([A_TXT, ...bundle("happy-path-intoto-in-dsse-v3"), ...ID]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /Verified OK/);
  assert.ok(JSON.parse(r.stdout).subject.length > 0);
});

test("conformance failures exit 1 with their codes", () => {
  const expired = join(CASES, "intoto-expired-certificate_fail");
  const failures: [string[], string][] = [
    [
      [join(CASES, "wrong-material_fail", "artifact"), ...bundle("wrong-material_fail"), ...ID],
      "VERIFY_DIGEST_MISMATCH",
    ],
    [[A_TXT, ...bundle("bundle-from-wrong-instance_fail"), ...ID], "VERIFY_TLOG_UNKNOWN"],
    [
      [
        join(expired, "artifact"),
        ...bundle("intoto-expired-certificate_fail"),
        ...ID,
        "--trusted-root",
        join(expired, "trusted_root.json"),
      ],
      "VERIFY_CERT_EXPIRED",
    ],
    [
      [
        A_TXT,
        ...bundle("happy-path-v0.3"),
        ...ID.slice(0, 2),
        "--certificate-oidc-issuer",
        "https://accounts.google.com",
      ],
      "VERIFY_ISSUER_MISMATCH",
    ],
    [[A_TXT, ...bundle("bundle-malformed-json_fail"), ...ID], "VERIFY_BUNDLE_INVALID"],
  ];
  for (const [args, code] of failures) {
    const r = cli(args);
    assert.equal(r.status, 1, `${code}: ${r.stderr}`);
    assert.equal(errorCode(r), code, r.stderr);
  }
});

test("a key-signed conformance bundle verifies with --key, and not with another key", () => {
  const ok = cli([
    A_TXT,
    ...bundle("managed-key-happy-path"),
    "--key",
    join(CASES, "managed-key-happy-path", "key.pub"),
  ]);
  assert.equal(ok.status, 0, ok.stderr);
  const dir = join(CASES, "managed-key-and-trusted-root");
  const wrong = cli([
    A_TXT,
    ...bundle("managed-key-happy-path"),
    "--key",
    join(dir, "key.pub"),
    "--trusted-root",
    join(dir, "trusted_root.json"),
  ]);
  assert.equal(wrong.status, 1);
});

test("usage: a bundle is needed, and --key or both an identity and an issuer, not both ways", () => {
  for (const args of [
    [A_TXT, ...ID],
    [A_TXT, ...bundle("happy-path-v0.3")],
    [A_TXT, ...bundle("happy-path-v0.3"), ...ID.slice(0, 2)],
    [A_TXT, ...bundle("happy-path-v0.3"), ...ID, "--key", join(CASES, "managed-key-happy-path", "key.pub")],
    [...bundle("happy-path-v0.3"), ...ID],
  ]) {
    const r = cli(args);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(errorCode(r), "USAGE");
  }
  const help = cli(["--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--certificate-identity-regexp/);
  assert.match(help.stdout, /VERIFY_TLOG_UNKNOWN/);
});

test("cosign's key-signed bundle (sign-blob --new-bundle-format) verifies here", {
  skip: needsCosign,
}, () => {
  const dir = tempDir();
  const file = join(dir, "weights.bin");
  writeFileSync(file, "weights\n");
  assert.equal(cosign(["generate-key-pair"], { cwd: dir, env: { COSIGN_PASSWORD: "pw" } }).status, 0);
  const signed = cosign(
    [
      "sign-blob",
      "--key",
      "cosign.key",
      "--new-bundle-format",
      "--bundle",
      "b.json",
      "--tlog-upload=false",
      "weights.bin",
    ],
    { cwd: dir, env: { COSIGN_PASSWORD: "pw" } },
  );
  assert.equal(signed.status, 0, signed.stderr);
  const args = [file, "--bundle", join(dir, "b.json"), "--key", join(dir, "cosign.pub")];
  const r = cli([...args, "--insecure-ignore-tlog"]);
  assert.equal(r.status, 0, r.stderr);
  // Without a log entry, only --insecure-ignore-tlog accepts it, as cosign.
  assert.equal(errorCode(cli(args)), "VERIFY_TLOG_INCLUSION_INVALID");
  writeFileSync(file, "other weights\n");
  assert.equal(errorCode(cli([...args, "--insecure-ignore-tlog"])), "VERIFY_DIGEST_MISMATCH");
});

test("a key-signed bundle this test makes with the Sigstore libraries verifies with cosign too", {
  skip: needsCosign,
}, () => {
  const dir = tempDir();
  const file = join(dir, "f.txt");
  const bytes = Buffer.from("hello\n");
  writeFileSync(file, bytes);
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  writeFileSync(join(dir, "k.pub"), publicKey.export({ format: "pem", type: "spki" }));
  const b = toMessageSignatureBundle({
    digest: createHash("sha256").update(bytes).digest(),
    signature: sign("sha256", bytes, privateKey),
    keyHint: "",
  });
  writeFileSync(join(dir, "b.json"), JSON.stringify(bundleToJSON(b)));
  const ours = cli([
    file,
    "--bundle",
    join(dir, "b.json"),
    "--key",
    join(dir, "k.pub"),
    "--insecure-ignore-tlog",
  ]);
  assert.equal(ours.status, 0, ours.stderr);
  const theirs = cosign(
    [
      "verify-blob",
      "--key",
      "k.pub",
      "--bundle",
      "b.json",
      "--new-bundle-format",
      "--insecure-ignore-tlog",
      "--trusted-root",
      ROOT,
      "f.txt",
    ],
    { cwd: dir },
  );
  assert.equal(theirs.status, 0, theirs.stderr);
});
