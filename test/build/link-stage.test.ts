// The build's link check reads the image's own environment: a script's
// `#!/usr/bin/env NAME` finds NAME on the PATH the image sets, as env(1)
// does when the container starts.

import assert from "node:assert/strict";
import { test } from "node:test";
import { checkPlatformLinks } from "../../src/build/link-stage.ts";
import type { PlatformResult } from "../../src/build/platform-build.ts";
import { isCudasealError } from "../../src/errors.ts";
import type { TreeNode } from "../../src/link/types.ts";
import type { Spec } from "../../src/spec/types.ts";

function platform(env: string[]): PlatformResult {
  const nodes = new Map<string, TreeNode>([
    ["usr/bin/env", { type: "file", mode: 0o755, size: 1 }],
    ["opt/tools/bin/mytool", { type: "file", mode: 0o755, size: 1 }],
    [
      "app/run",
      { type: "file", mode: 0o755, size: 1, shebang: { interpreter: "/usr/bin/env", argument: "mytool" } },
    ],
  ]);
  return {
    arch: "amd64",
    image: { config: { config: { Env: env } } },
    tree: { arch: "amd64", nodes },
  } as unknown as PlatformResult;
}

const spec = { name: "t" } as Spec;

test("`#!/usr/bin/env NAME` finds NAME on the image's PATH", () => {
  const report = checkPlatformLinks(platform(["PATH=/opt/tools/bin:/usr/bin"]), spec);
  assert.equal(report.filesChecked, 1);
});

test("without the folder on the image's PATH, NAME is missing", () => {
  assert.throws(
    () => checkPlatformLinks(platform(["PATH=/usr/local/bin:/usr/bin:/bin"]), spec),
    (err: unknown) => isCudasealError(err) && err.code === "LINK_UNRESOLVED" && /mytool/.test(err.message),
  );
});
