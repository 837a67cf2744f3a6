// What cosign requires of a signature or attestation layer's annotations
// before it trusts the layer, verifying with a key and without the
// transparency log. Cosign copies every layer it checks (static.Copy),
// which parses the Rekor bundle, the RFC 3161 timestamp and the
// certificate, and the chain when there is a certificate; any of them
// present but unreadable makes it refuse the layer. It then checks a
// certificate, when there is one, against the clock. An empty annotation
// is no annotation.

import { CudasealError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { certificatesFromPem } from "./certificate-pem.ts";
import {
  BUNDLE_ANNOTATION,
  CERTIFICATE_ANNOTATION,
  CHAIN_ANNOTATION,
  TIMESTAMP_ANNOTATION,
} from "./cosign-manifest.ts";
import { type GoType, goUnmarshal } from "./go-json.ts";

/** cosign's bundle.RekorBundle. */
const REKOR_BUNDLE: GoType = {
  struct: {
    SignedEntryTimestamp: "bytes",
    Payload: {
      struct: { body: "any", integratedTime: "int64", logIndex: "int64", logID: "string" },
    },
  },
};

/** cosign's bundle.RFC3161Timestamp. */
const RFC3161_TIMESTAMP: GoType = { struct: { SignedRFC3161Timestamp: "bytes" } };

/** Refuse `layer` (VERIFY_ANNOTATION_INVALID) where cosign would; `now` is the clock a certificate is checked against. */
export function checkLayerAnnotations(layer: Descriptor, now: Date = new Date()): void {
  const annotations = layer.annotations ?? {};
  const invalid = (name: string, why: string) =>
    new CudasealError("VERIFY_ANNOTATION_INVALID", `signature layer ${layer.digest}: its ${name} ${why}`, {
      hint: "cosign refuses this layer too; remove it or sign again",
      details: { layer: layer.digest, annotation: name },
    });
  for (const [name, type] of [
    [BUNDLE_ANNOTATION, REKOR_BUNDLE],
    [TIMESTAMP_ANNOTATION, RFC3161_TIMESTAMP],
  ] as const) {
    const text = annotations[name] ?? "";
    if (text !== "") goUnmarshal(text, type, (why) => invalid(name, `is not what cosign reads: ${why}`));
  }
  const certificate = annotations[CERTIFICATE_ANNOTATION] ?? "";
  if (certificate === "") return;
  const certs = certificatesFromPem(certificate);
  if (!Array.isArray(certs)) throw invalid(CERTIFICATE_ANNOTATION, `is unreadable: ${certs.error}`);
  // Cosign indexes the first certificate without looking: none at all crashes it.
  if (certs.length === 0) throw invalid(CERTIFICATE_ANNOTATION, "holds no certificate");
  const chain = annotations[CHAIN_ANNOTATION] ?? "";
  if (chain !== "") {
    const chainCerts = certificatesFromPem(chain);
    if (!Array.isArray(chainCerts)) throw invalid(CHAIN_ANNOTATION, `is unreadable: ${chainCerts.error}`);
  }
  const [cert] = certs;
  if (cert.validToDate < now) throw invalid(CERTIFICATE_ANNOTATION, `expired on ${cert.validTo}`);
  if (cert.validFromDate > now)
    throw invalid(CERTIFICATE_ANNOTATION, `is not valid before ${cert.validFrom}`);
}
