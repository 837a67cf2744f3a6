// Hostile signatures and attestations at a real registry, checked by the
// real cosign (`verify --key` and `verify-attestation --key`, without the
// transparency log) and by cudaseal: on each case of hostile-signatures.ts
// both accept or both refuse, except where cudaseal refuses a payload it
// could read two ways, which cosign reads one way. What cudaseal accepts,
// cosign accepts.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { openImageTarget } from "../../src/sign/image-target.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { hasTool, makeFixture } from "../oci/fixture-image.ts";
import { cosign, needsCosign } from "./cosign-tool.ts";
import {
  addAttestation,
  addSignature,
  type CaseContext,
  cudasealVerdict,
  envelopeOf,
  HOSTILE_CASES,
  type HostileCase,
  payloadText,
  statementText,
  type TestCertificates,
  testCertificates,
  testKey,
  twoDigestPayload,
} from "./hostile-signatures.ts";

const skip =
  needsCosign ||
  (!hasTool("docker-registry") && "docker-registry is not installed (npm run setup-test-tools)") ||
  (!hasTool("skopeo") && "skopeo is not installed (npm run setup-test-tools)");

const root = mkdtempSync(join(tmpdir(), "cudaseal-agreement-"));
const key = testKey(root);
let registry: TestRegistry;
let certs: TestCertificates;
let n = 0;

/** A fresh repository holding the two-platform fixture: the case writes into it. */
async function context(): Promise<CaseContext & { repository: string }> {
  const repository = `${registry.host}/hostile/case${n++}`;
  execFileSync("skopeo", [
    "copy",
    "--all",
    "--dest-tls-verify=false",
    `oci:${join(root, "multi")}:v1`,
    `docker://${repository}:v1`,
  ]);
  const index = await openImageTarget(`${repository}:v1`);
  const { manifests } = JSON.parse(index.manifest.bytes.toString("utf8")) as {
    manifests: { digest: string }[];
  };
  const [d1, d2] = manifests.map((m) => m.digest);
  return { repository, store: index.store, d1, d2, reference: repository, key, certs };
}

/** cudaseal's verdict on `repository@digest`: "accept", or its code. */
function cudaseal(repository: string, digest: string, kind: HostileCase["kind"], type?: string) {
  return cudasealVerdict(`${repository}@${digest}`, key, kind, type);
}

/** cosign's verdict: "accept", or "refuse" with its words. */
function cosignVerdict(
  repository: string,
  digest: string,
  kind: HostileCase["kind"],
  type = "spdxjson",
): { verdict: string; said: string } {
  const command = kind === "sig" ? ["verify"] : ["verify-attestation", "--type", type];
  const r = cosign([
    ...command,
    "--key",
    key.pubPath,
    "--insecure-ignore-tlog",
    "--allow-insecure-registry",
    `${repository}@${digest}`,
  ]);
  return { verdict: r.status === 0 ? "accept" : "refuse", said: r.stderr };
}

/** How cosign says it refused the layers it read (a Go panic included). */
const REFUSED_LAYERS =
  /no matching signatures|no matching attestations|converting to consumable policy validation|exceeded the limit|panic: runtime error/;

describe("cudaseal and cosign agree on hostile signatures", { skip }, () => {
  before(async () => {
    registry = await startRegistry();
    await writeOciLayout(join(root, "multi"), makeFixture(root).multi);
    certs = testCertificates(root);
  });

  after(async () => {
    await registry?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("a well-formed signature and attestation are accepted by both", async () => {
    const cx = await context();
    await addSignature(cx, payloadText(cx.d1, cx.reference));
    await addAttestation(cx, envelopeOf(key, statementText(cx.d1)));
    for (const kind of ["sig", "att"] as const) {
      assert.equal(cosignVerdict(cx.repository, cx.d1, kind).verdict, "accept");
      assert.equal(await cudaseal(cx.repository, cx.d1, kind), "accept");
    }
  });

  it("a payload naming image and Image with two digests: cudaseal refuses both, cosign takes the last", async () => {
    const cx = await context();
    const payload = twoDigestPayload(cx);
    await addSignature(cx, payload);
    await addSignature(cx, payload, { digest: cx.d2 });
    // Go reads `image` then `Image` into one field: cosign verifies the
    // payload as a signature of d2 only, whatever a JSON.parse reader says.
    assert.match(cosignVerdict(cx.repository, cx.d1, "sig").said, REFUSED_LAYERS);
    assert.equal(cosignVerdict(cx.repository, cx.d2, "sig").verdict, "accept");
    assert.equal(await cudaseal(cx.repository, cx.d1, "sig"), "VERIFY_PAYLOAD_INVALID");
    assert.equal(await cudaseal(cx.repository, cx.d2, "sig"), "VERIFY_PAYLOAD_INVALID");
  });

  for (const c of HOSTILE_CASES) {
    it(c.name, async (t) => {
      const cx = await context();
      await c.write(cx);
      const theirs = cosignVerdict(cx.repository, cx.d1, c.kind, c.type);
      const ours = await cudaseal(cx.repository, cx.d1, c.kind, c.type);
      assert.equal(ours, c.cudaseal);
      if (c.cosignVaries !== undefined) {
        // Refusing is safe whatever cosign says; say what it said.
        t.diagnostic(`cosign: ${theirs.verdict} (${c.cosignVaries})`);
        return;
      }
      const expected = c.cosignAccepts || c.cudaseal === "accept" ? "accept" : "refuse";
      assert.equal(theirs.verdict, expected, theirs.said);
      // A refusal must be cosign's verdict on the layers, not a failure to reach them.
      if (expected === "refuse") assert.match(theirs.said, REFUSED_LAYERS);
    });
  }
});
