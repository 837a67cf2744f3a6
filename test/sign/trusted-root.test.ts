// Trusted roots: the shipped public-good root is a valid one, and a file
// named with --trusted-root is read under a cap and checked whole.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { loadTrustedRoot, MAX_TRUSTED_ROOT_BYTES, trustMaterialOf } from "../../src/sign/trusted-root.ts";

const dir = mkdtempSync(join(tmpdir(), "cudaseal-trusted-root-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function code(err: unknown): string | undefined {
  return isCudasealError(err) ? err.code : undefined;
}

test("the shipped public-good root is a trusted root with Fulcio, Rekor and CT logs", async () => {
  const { root, source } = await loadTrustedRoot();
  assert.equal(source, "public-good");
  const material = trustMaterialOf(root);
  assert.ok(material.certificateAuthorities.length >= 1);
  assert.ok(material.tlogs.length >= 1);
  assert.ok(material.ctlogs.length >= 1);
});

test("the shipped root is found when cudaseal is installed under a path with a space", () => {
  // The module's URL spells a space %20; a file path made from its pathname would name no file.
  const repo = resolve(import.meta.dirname, "../..");
  const install = join(dir, "with space");
  mkdirSync(join(install, "data"), { recursive: true });
  cpSync(join(repo, "src"), join(install, "src"), { recursive: true });
  cpSync(join(repo, "data", "sigstore"), join(install, "data", "sigstore"), { recursive: true });
  symlinkSync(join(repo, "node_modules"), join(install, "node_modules"));
  const module = join(install, "src", "sign", "trusted-root.ts");
  const source = execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const m = await import(${JSON.stringify(module)}); console.log((await m.loadTrustedRoot()).source);`,
    ],
    { encoding: "utf8" },
  );
  assert.equal(source.trim(), "public-good");
});

test("a named file is used as it is, and what is not a root is TRUSTED_ROOT_INVALID", async () => {
  const { root } = await loadTrustedRoot();
  const good = join(dir, "good.json");
  writeFileSync(good, JSON.stringify(root));
  const loaded = await loadTrustedRoot(good);
  assert.equal(loaded.source, good);
  assert.ok(trustMaterialOf(loaded.root).tlogs.length >= 1);

  const notJson = join(dir, "bad.json");
  writeFileSync(notJson, "{ not json");
  await assert.rejects(loadTrustedRoot(notJson), (e) => code(e) === "TRUSTED_ROOT_INVALID");
  await assert.rejects(loadTrustedRoot(join(dir, "absent.json")), (e) => code(e) === "TRUSTED_ROOT_INVALID");
  // A directory is not a regular file: refused before any read.
  await assert.rejects(loadTrustedRoot(dir), (e) => code(e) === "INPUT_NOT_REGULAR");
});

test("a root larger than the cap is refused by its size", async () => {
  const big = join(dir, "big.json");
  writeFileSync(big, `{"pad":"${"x".repeat(MAX_TRUSTED_ROOT_BYTES)}"}`);
  await assert.rejects(loadTrustedRoot(big), (e) => code(e) === "INPUT_TOO_LARGE");
});

test("each part of a root is checked: keys, certificates, validity starts", async () => {
  const { root } = await loadTrustedRoot();
  const base = root as Record<string, unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: the edits reach into untyped JSON
  const broken = (edit: (r: any) => void) => {
    const r = structuredClone(base);
    edit(r);
    return r;
  };
  const cases: [string, unknown][] = [
    ["no CA and no log", { ...base, certificateAuthorities: [], tlogs: [] }],
    [
      "a CA certificate that is not one",
      broken((r) => {
        r.certificateAuthorities[0].certChain.certificates[0].rawBytes = "AAAA";
      }),
    ],
    [
      "a CA with no certificates",
      broken((r) => {
        r.certificateAuthorities[0].certChain.certificates = [];
      }),
    ],
    [
      "a log with no key",
      broken((r) => {
        delete r.tlogs[0].publicKey;
      }),
    ],
    [
      "a CT log key with no validity start",
      broken((r) => {
        delete r.ctlogs[0].publicKey.validFor.start;
      }),
    ],
    [
      "a CA with no validity start",
      broken((r) => {
        delete r.certificateAuthorities[0].validFor.start;
      }),
    ],
    ["another media type", { ...base, mediaType: "application/json" }],
    ["an array", []],
  ];
  for (const [what, r] of cases) {
    assert.throws(
      () => trustMaterialOf(r),
      (e) => code(e) === "TRUSTED_ROOT_INVALID",
      what,
    );
  }
});
