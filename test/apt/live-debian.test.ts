// LIVE: fetches the real trixie and trixie-security InRelease from the
// mirrors this machine's apt is configured with, and checks them with the
// keys shipped in keys/. Skipped when apt names no Debian mirror or the
// mirror cannot be reached; a file that arrives but does not verify fails.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { verifyInRelease } from "../../src/apt/inrelease.ts";
import { builtinKeyring } from "../../src/apt/keyring.ts";
import { checkFresh, parseRelease } from "../../src/apt/release.ts";
import { readSystemMirrors } from "../../src/apt/system-sources.ts";
import { isCudasealError } from "../../src/errors.ts";
import { getBytes } from "../../src/http/get.ts";

const mirrors = readSystemMirrors();

/** The bytes at `url`, or undefined (and the test skipped) when the network says no. */
async function fetchOrSkip(t: test.TestContext, url: string): Promise<Buffer | undefined> {
  try {
    return await getBytes(url, { maxBytes: 32 * 1024 * 1024, attempts: 2, timeouts: { headersMs: 30_000 } });
  } catch (err) {
    if (isCudasealError(err, "FETCH_FAILED") || isCudasealError(err, "FETCH_TIMEOUT")) {
      t.skip(`cannot fetch ${url}: ${err.message}`);
      return undefined;
    }
    throw err;
  }
}

async function checkSuite(t: test.TestContext, base: string | undefined, suite: string, signers: string[]) {
  if (base === undefined) {
    t.skip(`this machine's apt configuration names no mirror for ${suite}`);
    return;
  }
  const url = `${base}/dists/${suite}/InRelease`;
  const bytes = await fetchOrSkip(t, url);
  if (bytes === undefined) return;
  const { text, signer } = await verifyInRelease(bytes, await builtinKeyring(), { url });
  assert.ok(signers.includes(signer), `signed by ${signer}`);
  const release = parseRelease(text, { source: url });
  assert.equal(release.codename, suite);
  assert.ok(release.components.includes("main"));
  assert.ok(release.sha256.has("main/binary-amd64/Packages.xz"));
  try {
    checkFresh(release, { now: new Date(), allowExpired: false, url });
  } catch (err) {
    // A mirror pinned to a snapshot serves old metadata; that is its choice, not a failure here.
    if (!isCudasealError(err, "APT_RELEASE_EXPIRED")) throw err;
    t.diagnostic(`${url}: ${err.message}`);
  }
}

describe("live Debian metadata", { timeout: 120_000 }, () => {
  test("trixie InRelease verifies with the built-in keyring", (t) =>
    // The 12 and 13 archive keys and the 13 release key all sign trixie.
    checkSuite(t, mirrors.debian, "trixie", [
      "B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8",
      "04B54C3CDCA79751B16BC6B5225629DF75B188BD",
      "41587F7DB8C774BCCF131416762F67A0B2C39DE4",
    ]));

  test("trixie-security InRelease verifies with the built-in keyring", (t) =>
    checkSuite(t, mirrors.security, "trixie-security", [
      "05AB90340C0C5E797F44A8C8254CF3B5AEC0A8F0",
      "5E04A1E3223A19A20706E20F9904613D4CCE68C6",
    ]));
});
