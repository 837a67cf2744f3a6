// Certificate annotations read as sigstore's UnmarshalCertificatesFromPEM
// reads them over Go's encoding/pem: what is skipped, what is refused.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { certificatesFromPem } from "../../src/sign/certificate-pem.ts";
import { editCertificate, type TestCertificates, testCertificates } from "./hostile-signatures.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-pem-"));
after(() => rmSync(root, { recursive: true, force: true }));
let certs: TestCertificates;

const count = (text: string) => {
  const r = certificatesFromPem(text);
  return Array.isArray(r) ? r.length : "refused";
};

describe("certificates read as cosign reads them", () => {
  before(() => {
    certs = testCertificates(root);
  });

  it("text before a block is skipped, and white space around the whole is trimmed", () => {
    assert.equal(count(certs.current), 1);
    assert.equal(count(`notes\n${certs.current}\n\n\u00a0`), 1);
    assert.equal(count(`${certs.current}\n${certs.expired}`), 2);
    assert.equal(count(`${certs.current}text between\n${certs.expired}`), 2);
  });

  it("nothing at all is no certificate, not an error", () => {
    assert.equal(count(" \n\t"), 0);
  });

  it("text after the last block, a lone BEGIN, or a mismatched END is refused", () => {
    assert.equal(count(`${certs.current}trailing`), "refused");
    assert.equal(count("-----BEGIN CERTIFICATE-----\nAAAA\n"), "refused");
    assert.equal(count(certs.current.replace("END CERTIFICATE", "END X509 CERTIFICATE")), "refused");
    // A byte-order mark is not white space to Go.
    assert.equal(count(`${certs.current}\ufeff`), "refused");
  });

  it("a block with headers, blanks in its base64 and CRLF lines is read as Go reads it", () => {
    const body = certs.current.split("\n");
    const withHeaders = [
      body[0],
      "Comment: made by openssl",
      "",
      ...body.slice(1, -2).map((l) => `${l} \t`),
      body.at(-2),
    ].join("\r\n");
    assert.equal(count(withHeaders), 1);
  });

  it("a block that is not a certificate, or a certificate Go's x509 refuses, is refused", () => {
    assert.equal(count("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"), "refused");
    assert.equal(
      count(editCertificate(certs.current, (d) => Buffer.concat([d, Buffer.from([0])]))),
      "refused",
    );
    assert.equal(count(certs.negativeSerial), "refused");
  });
});
