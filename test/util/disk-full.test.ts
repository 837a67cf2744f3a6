// Which failures are a full disk. ENOSPC is tested for real on a small tmpfs
// (test/build/disk-full.test.ts, test/copy/copy-failure.test.ts); a user
// quota cannot be set up without quota tools, so EDQUOT is the error Node
// makes for it, passed through the same wrapping a download gives it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CudasealError, inStage, isCudasealError } from "../../src/errors.ts";
import { asDiskFull } from "../../src/util/disk-full.ts";

function errno(code: string, errnoValue: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: write failed, write`), {
    code,
    errno: errnoValue,
    syscall: "write",
  });
}

test("a write over the user's quota (EDQUOT) is DISK_FULL, as a full disk is, however deep in the causes", () => {
  const fetchFailed = new CudasealError("FETCH_FAILED", "could not fetch x", {
    cause: errno("EDQUOT", -122),
  });
  const err = asDiskFull(fetchFailed, "cache", "/c");
  assert.ok(isCudasealError(err, "DISK_FULL"));
  assert.deepEqual(err.details, { folder: "cache", path: "/c", errno: "EDQUOT" });
  // The stage's name is added and the code kept.
  assert.ok(isCudasealError(inStage("fetch", err), "DISK_FULL"));
});

test("other failures are left as they are", () => {
  for (const err of [errno("EACCES", -13), new CudasealError("OUTPUT_FAILED", "x"), new Error("bug"), "text"])
    assert.equal(asDiskFull(err, "output", "/o"), err);
});
