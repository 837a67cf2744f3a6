// Hostile signatures and attestations in an OCI layout, offline: each case
// of hostile-signatures.ts is refused with its code, or accepted, exactly
// as cosign does (cosign-agreement.test.ts checks the same table against
// the real cosign).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { openImageTarget } from "../../src/sign/image-target.ts";
import { makeFixture } from "../oci/fixture-image.ts";
import {
  addSignature,
  type CaseContext,
  cudasealVerdict,
  HOSTILE_CASES,
  type HostileCase,
  type TestCertificates,
  testCertificates,
  testKey,
  twoDigestPayload,
  writeSignatureManifest,
} from "./hostile-signatures.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-hostile-"));
after(() => rmSync(root, { recursive: true, force: true }));
const fx = makeFixture(root);
const key = testKey(root);
let certs: TestCertificates;
let n = 0;

/** A fresh layout of the two-platform fixture: the case writes into its store. */
async function context(): Promise<CaseContext & { dir: string }> {
  const dir = join(root, `layout${n++}`);
  await writeOciLayout(dir, fx.multi);
  const index = await openImageTarget(`oci:${dir}`);
  const { manifests } = JSON.parse(index.manifest.bytes.toString("utf8")) as {
    manifests: { digest: string }[];
  };
  const [d1, d2] = manifests.map((m) => m.digest);
  return { dir, store: index.store, d1, d2, reference: "team/fixture", key, certs };
}

/** What cudaseal does with the case's image: "accept", or the code it refuses with. */
function verdict(
  cx: CaseContext & { dir: string },
  kind: HostileCase["kind"],
  digest = cx.d1,
  type?: string,
): Promise<string> {
  return cudasealVerdict(`oci:${cx.dir}@${digest}`, key, kind, type);
}

describe("hostile signatures read as cosign reads them, offline", () => {
  before(() => {
    certs = testCertificates(root);
  });

  it("a payload naming image and Image with two digests is refused for both digests", async () => {
    const cx = await context();
    const payload = twoDigestPayload(cx);
    await addSignature(cx, payload);
    await addSignature(cx, payload, { digest: cx.d2 });
    assert.equal(await verdict(cx, "sig", cx.d1), "VERIFY_PAYLOAD_INVALID");
    assert.equal(await verdict(cx, "sig", cx.d2), "VERIFY_PAYLOAD_INVALID");
  });

  it("a signature manifest with a layer that has no digest is refused whole, as cosign refuses it", async () => {
    const cx = await context();
    await writeSignatureManifest(cx, (layer) => ({
      layers: [layer, { mediaType: layer.mediaType, size: 1 }],
    }));
    assert.equal(await verdict(cx, "sig"), "IMAGE_INVALID");
  });

  for (const c of HOSTILE_CASES) {
    it(c.name, async () => {
      const cx = await context();
      await c.write(cx);
      assert.equal(await verdict(cx, c.kind, cx.d1, c.type), c.cudaseal);
    });
  }
});
