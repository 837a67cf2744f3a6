// What the copy tests start from: a multi-platform and a single-platform OCI
// layout written by the project's writer, and a real registry to copy to.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { makeFixture } from "../oci/fixture-image.ts";

export interface CopyFixture {
  work: string;
  registry: TestRegistry;
  /** oci layouts: two platforms, and one. */
  multi: string;
  single: string;
}

export async function openCopyFixture(prefix: string): Promise<CopyFixture> {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const fx = makeFixture(join(work, "fx"));
  const multi = join(work, "multi");
  const single = join(work, "single");
  await writeOciLayout(multi, fx.multi);
  await writeOciLayout(single, fx.single);
  return { work, registry: await startRegistry(), multi, single };
}

export async function closeCopyFixture(fx: CopyFixture | undefined): Promise<void> {
  if (fx === undefined) return;
  await fx.registry.stop();
  rmSync(fx.work, { recursive: true, force: true });
}
