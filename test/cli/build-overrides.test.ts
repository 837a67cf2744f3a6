// `build`'s --cuda and --annotation, the flags a catalog's variants set,
// are checked before the build reads any archive: a bad one is a usage
// error (exit 2), even offline with an empty cache.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../helpers/cli.ts";

async function build(...flags: string[]) {
  const work = mkdtempSync(join(tmpdir(), "cudaseal-build-overrides-"));
  try {
    return await runCli(
      ["build", "--preset", "cuda-runtime", "--offline", "-o", `oci:${join(work, "out")}`, ...flags],
      { env: { CUDASEAL_CACHE_DIR: join(work, "cache") } },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

test("--cuda that is not MAJOR.MINOR is a usage error", async () => {
  for (const cuda of ["12", "12.8.1", "latest"]) {
    const r = await build("--cuda", cuda);
    assert.equal(r.status, 2, `--cuda ${cuda}: ${r.stderr}`);
  }
});

test("--annotation without KEY= is a usage error", async () => {
  const r = await build("--annotation", "no-equals-sign");
  assert.equal(r.status, 2, r.stderr);
});
