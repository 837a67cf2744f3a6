// Where the timeouts come from: the caller, else the environment, else the
// defaults; and a value in the environment that is not a number of seconds
// is refused rather than read as no timeout at all.

import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { DEFAULT_TIMEOUTS, resolveTimeouts } from "../../src/http/timeouts.ts";

test("the timeouts come from the caller, else the environment, else the defaults", () => {
  assert.deepEqual(resolveTimeouts({}, {}), DEFAULT_TIMEOUTS);
  const env = { CUDASEAL_HTTP_HEADERS_TIMEOUT: "90", CUDASEAL_HTTP_IDLE_TIMEOUT: "2.5" };
  assert.deepEqual(resolveTimeouts({}, env), { headersMs: 90_000, idleMs: 2500 });
  assert.deepEqual(resolveTimeouts({ idleMs: 100 }, env), { headersMs: 90_000, idleMs: 100 });
});

test("a timeout in the environment that is not a number of seconds is CONFIG_INVALID", () => {
  for (const value of ["0", "-1", "soon", "1e9", "Infinity"]) {
    assert.throws(
      () => resolveTimeouts({}, { CUDASEAL_HTTP_IDLE_TIMEOUT: value }),
      (err) => isCudasealError(err, "CONFIG_INVALID"),
      value,
    );
  }
});
