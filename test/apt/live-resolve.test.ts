// LIVE: reads trixie, trixie-updates and trixie-security from the Debian
// mirrors this machine's apt is configured with (some 30 MB of indexes, into a
// temporary store), checks them with the keys shipped in keys/, and locks
// libcudart12 for amd64 and arm64. Skipped when apt names no Debian mirror or
// the mirror cannot be reached; anything that arrives but is wrong fails.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { type AptSource, defaultSources } from "../../src/apt/sources.ts";
import { readSystemMirrors } from "../../src/apt/system-sources.ts";
import { isCudasealError } from "../../src/errors.ts";
import {
  type LockFromSourcesOptions,
  type LockFromSourcesResult,
  lockFromSources,
} from "../../src/resolve/lock-from-sources.ts";
import { tempStore } from "../helpers/store.ts";

const ARCHES = ["amd64", "arm64"];

/** The fingerprints of the table in keys/README.md: the keys cudaseal ships. */
async function shippedFingerprints(): Promise<string[]> {
  const readme = await readFile(fileURLToPath(new URL("../../keys/README.md", import.meta.url)), "utf8");
  // The Debian keys' table, before the NVIDIA keys' section.
  const debian = readme.split(/^# NVIDIA/m)[0];
  return [...debian.matchAll(/^\| `([0-9A-F]{40})` \|/gm)].map((m) => m[1]);
}

test("live: libcudart12 locks for amd64 and arm64 from the default trixie sources", {
  timeout: 600_000,
}, async (t) => {
  const system = readSystemMirrors();
  if (system.debian === undefined) {
    t.skip("this machine's apt configuration names no Debian mirror");
    return;
  }
  const s = await tempStore();
  t.after(() => s.remove());
  const sources = defaultSources({ system });
  const options: LockFromSourcesOptions = {
    sources,
    archs: ARCHES,
    packages: ["libcudart12"],
    store: s.store,
    onNote: (note) => t.diagnostic(note),
  };

  let expired = false;
  let result: LockFromSourcesResult;
  try {
    try {
      result = await lockFromSources(options);
    } catch (err) {
      // A mirror pinned to a snapshot serves old metadata; that is its choice, not a failure here.
      if (!isCudasealError(err, "APT_RELEASE_EXPIRED")) throw err;
      t.diagnostic(err.message);
      expired = true;
      result = await lockFromSources({ ...options, allowExpired: true });
    }
  } catch (err) {
    if (isCudasealError(err, "APT_FETCH_FAILED") || isCudasealError(err, "FETCH_FAILED")) {
      t.skip(`cannot reach the mirror: ${err.message}`);
      return;
    }
    throw err;
  }

  const fingerprints = await shippedFingerprints();
  assert.equal(fingerprints.length, 6);
  const read = result.suites.map((suite) => suite.suite).sort();
  assert.deepEqual(
    read,
    system.security ? ["trixie", "trixie-security", "trixie-updates"] : ["trixie", "trixie-updates"],
  );
  for (const suite of result.suites) {
    assert.ok(
      fingerprints.includes(suite.signer),
      `${suite.suite} signed by ${suite.signer}, not a shipped key`,
    );
  }

  checkLock(t, result, sources);

  // libcudart12 only Recommends the driver (libcuda1 | libcuda.so.1 | libcuda-12.4-1):
  // with Recommends on, as apt installs by default, the driver is left to the host.
  // The indexes come from the store this time; only the InRelease files are fetched.
  const withRecommends = await lockFromSources({ ...options, recommends: true, allowExpired: expired });
  checkLock(t, withRecommends, sources);
  for (const resolution of withRecommends.resolutions) {
    assert.ok(resolution.hostProvided.includes("libcuda1"), `${resolution.arch}: ${resolution.hostProvided}`);
  }
});

function checkLock(t: test.TestContext, result: LockFromSourcesResult, sources: readonly AptSource[]): void {
  for (const arch of ARCHES) {
    const locked = result.lock.arches[arch];
    const names = locked.map((p) => p.name);
    assert.ok(names.includes("libcudart12"), `${arch}: ${names.join(" ")}`);
    assert.ok(names.includes("libc6"), `${arch}: ${names.join(" ")}`);
    const driver = names.filter((name) => name.startsWith("libcuda1") || name.startsWith("libnvidia-"));
    assert.deepEqual(driver, [], `${arch} locks driver packages`);
    for (const pkg of locked) {
      assert.ok(pkg.arch === arch || pkg.arch === "all", `${pkg.name} is ${pkg.arch}`);
      assert.match(pkg.sha256, /^[0-9a-f]{64}$/);
      assert.ok(
        sources.some((source) => pkg.url.startsWith(`${source.uri}/pool/`)),
        `${pkg.name} comes from ${pkg.url}`,
      );
    }
    t.diagnostic(`${arch}: ${locked.map((p) => `${p.name}=${p.version}`).join(" ")}`);
  }
}
