// The registry's done-check of a plan, against a real registry with token
// auth: every unit asks for its tags' manifests, and the plan shares one
// client per registry, so the scheme is probed and a repository's token
// fetched once for all of its units, not once per unit.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadCatalog, planCatalog } from "../../src/catalog/index.ts";
import { startRegistry } from "../helpers/registry.ts";
import { hasTool } from "../oci/fixture-image.ts";

const skip = !hasTool("docker-registry") && "docker-registry is not installed (npm run setup-test-tools)";

test("a plan asks a token registry for one token per repository, whatever its number of units", {
  skip,
}, async () => {
  const reg = await startRegistry({ auth: "token" });
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-done-check-"));
  after(async () => {
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  mkdirSync(join(dir, "specs"));
  writeFileSync(join(dir, "specs/base.yaml"), "name: base\npackages: [hello]\n");
  writeFileSync(
    join(dir, "catalog.yaml"),
    `images:\n  - name: base\n    spec: specs/base.yaml\n    repository: ${reg.host}/team/base\n` +
      `    variants: { cuda: ["12.4", "12.8"] }\n    tags: ["{cuda}"]\n`,
  );
  const credentials = {
    explicit: { username: reg.username as string, password: reg.password as string, registry: reg.host },
  };
  const before = reg.tokenRequests.length;
  const plan = await planCatalog(await loadCatalog(join(dir, "catalog.yaml")), {
    registryOptions: () => ({ credentials }),
  });
  assert.equal(plan.units.length, 6);
  assert.ok(plan.units.every((u) => !u.done));
  assert.equal(reg.tokenRequests.length - before, 1);
});
