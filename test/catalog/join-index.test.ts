// `catalog join`'s refusals, before it asks any registry: every image and
// tag in the one repository the index goes to, and each --to a tag.

import assert from "node:assert/strict";
import { it } from "node:test";
import { joinIndex } from "../../src/catalog/index.ts";
import { CudasealError } from "../../src/errors.ts";

async function usage(sources: string[], targets: string[]): Promise<string> {
  const err = await joinIndex({ sources, targets }).then(
    () => assert.fail("joined"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CudasealError);
  assert.equal(err.code, "USAGE");
  return err.message;
}

it("refuses images of another repository, a --to without a tag, and nothing to join", async () => {
  assert.match(
    await usage(["reg.example/team/a:1-amd64", "reg.example/team/b:1-arm64"], ["reg.example/team/a:1"]),
    /one repository: reg\.example\/team\/b/,
  );
  assert.match(await usage(["reg.example/team/a:1-amd64"], ["other.example/team/a:1"]), /one repository/);
  assert.match(await usage(["reg.example/team/a:1-amd64"], ["reg.example/team/a"]), /names a tag/);
  assert.match(await usage([], ["reg.example/team/a:1"]), /at least one/);
});
