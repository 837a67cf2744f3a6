// downloadVerified against a real server on 127.0.0.1: what lands on disk,
// and that no failure leaves a file behind or takes the process down.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { downloadVerified } from "../../src/http/get.ts";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";

async function setup(
  t: test.TestContext,
): Promise<{ repo: AptRepo; dir: string; url: string; sha256: string }> {
  const repo = await startAptRepo({
    // Incompressible, so the .deb arrives in many chunks.
    packages: [{ name: "blob", version: "1.0", files: { "usr/share/blob": randomBytes(2 << 20) } }],
  });
  t.after(() => repo.close());
  const dir = await mkdtemp(join(tmpdir(), "cudaseal-dl-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const deb = repo.debs[0];
  return { repo, dir, url: `${repo.url}/${deb.filename}`, sha256: deb.sha256 };
}

describe("downloadVerified", () => {
  test("a matching file appears at its destination, alone", async (t) => {
    const { repo, dir, url, sha256 } = await setup(t);
    await downloadVerified(url, join(dir, "blob.deb"), { sha256, size: repo.debs[0].size });
    assert.deepEqual(await readdir(dir), ["blob.deb"]);
    const bytes = await readFile(join(dir, "blob.deb"));
    assert.equal(createHash("sha256").update(bytes).digest("hex"), sha256);
  });

  test("more bytes than the signed size is FETCH_TOO_LARGE and leaves nothing", async (t) => {
    const { dir, url, sha256 } = await setup(t);
    await assert.rejects(downloadVerified(url, join(dir, "blob.deb"), { sha256, size: 100 }), (err) =>
      isCudasealError(err, "FETCH_TOO_LARGE"),
    );
    assert.deepEqual(await readdir(dir), []);
  });

  test("a destination that cannot be written is FETCH_FAILED, not a crash", async (t) => {
    const { repo, dir, url, sha256 } = await setup(t);
    const dest = join(dir, "missing-directory", "blob.deb");
    await assert.rejects(downloadVerified(url, dest, { sha256, baseDelayMs: 1 }), (err) => {
      assert.ok(isCudasealError(err, "FETCH_FAILED"), `got ${(err as Error)?.stack ?? err}`);
      assert.equal((err.cause as NodeJS.ErrnoException).code, "ENOENT");
      return true;
    });
    // A local write error is not the mirror's fault: not retried.
    assert.equal(repo.count(`/${repo.debs[0].filename}`), 1);
    assert.deepEqual(await readdir(dir), []);
  });
});
