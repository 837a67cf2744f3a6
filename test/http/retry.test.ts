// The one retry loop: bounded attempts, growing waits, Retry-After capped,
// timeouts retried, other failures not, and an abort that ends a wait.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CudasealError } from "../../src/errors.ts";
import { backoff, RetryableError, withRetries } from "../../src/http/retry.ts";
import { timeoutError } from "../../src/http/timeouts.ts";

test("retryable failures and timeouts are tried again up to the bound; others end the loop at once", async () => {
  let calls = 0;
  await assert.rejects(
    withRetries({ attempts: 4, baseDelayMs: 1 }, async () => {
      calls++;
      throw calls % 2 ? new RetryableError("reset") : timeoutError("FETCH_TIMEOUT", "x", "body", 1);
    }),
    (err) => err instanceof CudasealError && err.code === "FETCH_TIMEOUT",
  );
  assert.equal(calls, 4);

  calls = 0;
  const definite = new CudasealError("FETCH_FAILED", "HTTP 404");
  await assert.rejects(
    withRetries({ attempts: 4, baseDelayMs: 1 }, async () => {
      calls++;
      throw definite;
    }),
    (err) => err === definite,
  );
  assert.equal(calls, 1);
});

test("the attempt knows when it is the last; success ends the loop", async () => {
  const seen: [number, boolean][] = [];
  const value = await withRetries({ attempts: 3, baseDelayMs: 1 }, async (at) => {
    seen.push([at.number, at.last]);
    if (!at.last) throw new RetryableError("again");
    return "done";
  });
  assert.equal(value, "done");
  assert.deepEqual(seen, [
    [1, false],
    [2, false],
    [3, true],
  ]);
});

test("waits double with jitter, never past the cap; Retry-After is capped too", async () => {
  for (let n = 1; n <= 6; n++) {
    const wait = backoff({ baseDelayMs: 100, maxDelayMs: 2000 }, n);
    assert.ok(
      wait >= Math.min(2000, 50 * 2 ** (n - 1)) && wait <= Math.min(2000, 150 * 2 ** (n - 1)),
      `${n}: ${wait}`,
    );
  }
  const start = performance.now();
  await withRetries({ attempts: 2, maxDelayMs: 50 }, async (at) => {
    if (!at.last) throw new RetryableError("busy", { afterMs: 60_000 });
  });
  assert.ok(performance.now() - start < 1000, "a Retry-After of a minute was capped at 50 ms");
});
