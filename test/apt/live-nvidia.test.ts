// LIVE: fetches the InRelease of NVIDIA's CUDA repository named by this
// machine's apt sources (an entry `…/compute/cuda/repos/<tree>/<arch>/`) and
// checks it with NVIDIA's keys shipped in keys/. Skipped when apt names no
// NVIDIA repository or it cannot be reached; a file that arrives but does
// not verify fails.

import assert from "node:assert/strict";
import { test } from "node:test";
import { verifyInRelease } from "../../src/apt/inrelease.ts";
import { builtinKeyring, NVIDIA_FINGERPRINTS } from "../../src/apt/keyring.ts";
import { nvidiaSources, systemNvidiaRepository } from "../../src/apt/nvidia-source.ts";
import { suiteBaseUrl } from "../../src/apt/sources.ts";
import { readSystemMirrors } from "../../src/apt/system-sources.ts";
import { isCudasealError } from "../../src/errors.ts";
import { getBytes } from "../../src/http/get.ts";

test("the machine's NVIDIA CUDA repository verifies with the shipped NVIDIA keys", {
  timeout: 120_000,
}, async (t) => {
  const entries = readSystemMirrors().entries;
  if (systemNvidiaRepository(entries) === undefined) {
    t.skip("this machine's apt configuration names no NVIDIA CUDA repository");
    return;
  }
  const [source] = nvidiaSources({ system: entries, arches: ["amd64"] });
  const url = `${suiteBaseUrl(source.uri, source.suites[0])}/InRelease`;
  let bytes: Buffer;
  try {
    bytes = await getBytes(url, { maxBytes: 32 * 1024 * 1024, attempts: 2, timeouts: { headersMs: 30_000 } });
  } catch (err) {
    if (isCudasealError(err, "FETCH_FAILED") || isCudasealError(err, "FETCH_TIMEOUT")) {
      t.skip(`cannot fetch ${url}: ${err.message}`);
      return;
    }
    throw err;
  }
  const { signer } = await verifyInRelease(bytes, await builtinKeyring("nvidia"), { url });
  assert.ok(NVIDIA_FINGERPRINTS.includes(signer), `signed by ${signer}`);
});
