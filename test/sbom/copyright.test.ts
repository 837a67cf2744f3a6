// Licences from Debian machine-readable copyright files: short names mapped
// to SPDX ids, `and`/`or`/`with` kept as the expression says, LicenseRefs for
// the rest, and nothing claimed from a file in any other form.

import assert from "node:assert/strict";
import { test } from "node:test";
import { copyrightLicense } from "../../src/sbom/copyright.ts";
import { licenseRef, spdxExceptionId, spdxLicenseId } from "../../src/sbom/debian-licenses.ts";

const HEADER = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n";

// Shaped like perl's and gcc's copyright files: several Files stanzas, an `or`, a comma-and, an exception, a stand-alone licence text.
const DEP5 = `${HEADER}Upstream-Name: example
Source: https://example.org/

Files: *
Copyright: 1987-2024 Larry Wall et al.
License: GPL-1+ or Artistic

Files: lib/*
Copyright: 2010 Someone
License: MPL-2.0 or GPL-2+, and BSD-3-clause

Files: runtime/*
Copyright: 2009-2024 Free Software Foundation, Inc.
License: GPL-3+ with GCC-exception-3.1

Files: debian/*
Copyright: 2024 A Debian Maintainer
License: public-domain

Files: vendor/*
Copyright: 2024 NVIDIA Corporation
License: NVIDIA CUDA Toolkit EULA

License: public-domain
 The files are in the public domain.
 .
 No rights reserved.
`;

/** SPDX 2.3 Annex D: an idstring is letters, digits, `.` and `-`. */
const SIMPLE = /^(LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9.-]+(\+)?)$/;

function assertValidExpression(expression: string): void {
  const tokens = expression.replace(/[()]/g, " ").trim().split(/\s+/);
  let expectOperand = true;
  for (const [i, token] of tokens.entries()) {
    if (expectOperand) {
      assert.match(token, SIMPLE, `operand ${i} of ${expression}`);
      expectOperand = false;
    } else {
      assert.ok(["AND", "OR", "WITH"].includes(token), `operator ${i} of ${expression}: ${token}`);
      expectOperand = true;
    }
  }
  assert.equal(expectOperand, false, `${expression} ends with an operator`);
  let depth = 0;
  for (const ch of expression) {
    depth += ch === "(" ? 1 : ch === ")" ? -1 : 0;
    assert.ok(depth >= 0, expression);
  }
  assert.equal(depth, 0, expression);
}

test("every Files stanza's licence is ANDed, each as its expression says", () => {
  const license = copyrightLicense(DEP5);
  assert.ok(license);
  assert.equal(
    license.expression,
    [
      // `, and` closes the clause: lib/* is (MPL-2.0 OR GPL-2+) AND BSD-3-clause, whose conjuncts join the rest.
      "BSD-3-Clause",
      "(GPL-1.0-or-later OR Artistic-1.0-Perl)",
      "GPL-3.0-or-later WITH GCC-exception-3.1",
      "LicenseRef-NVIDIA-CUDA-Toolkit-EULA",
      "LicenseRef-public-domain",
      "(MPL-2.0 OR GPL-2.0-or-later)",
    ].join(" AND "),
  );
  assertValidExpression(license.expression);
  assert.deepEqual(license.refs, [
    { id: "LicenseRef-NVIDIA-CUDA-Toolkit-EULA", name: "NVIDIA CUDA Toolkit EULA" },
    {
      id: "LicenseRef-public-domain",
      name: "public-domain",
      text: "The files are in the public domain.\n\nNo rights reserved.",
    },
  ]);
});

test("the paragraphs' order does not change the expression", () => {
  const [header, ...rest] = DEP5.split("\n\n");
  const reordered = [header, ...rest.reverse()].join("\n\n");
  assert.equal(copyrightLicense(reordered)?.expression, copyrightLicense(DEP5)?.expression);
});

test("a single stanza with `or` is one OR expression; `and` binds tighter than `or`, but not past `, and`", () => {
  const one = (line: string) => copyrightLicense(`${HEADER}\nFiles: *\nCopyright: x\nLicense: ${line}\n`);
  assert.equal(one("GPL-2+ or Artistic")?.expression, "GPL-2.0-or-later OR Artistic-1.0-Perl");
  assert.equal(one("Expat or Apache-2.0 and BSD-2-clause")?.expression, "MIT OR Apache-2.0 AND BSD-2-Clause");
  assert.equal(
    one("MPL-2.0 or GPL-2+, and BSD-3-clause")?.expression,
    "BSD-3-Clause AND (MPL-2.0 OR GPL-2.0-or-later)",
  );
  assert.equal(one("LGPL-2.1+")?.expression, "LGPL-2.1-or-later");
  assert.equal(one("lgpl-2.1")?.expression, "LGPL-2.1-only", "short names match whatever their case");
  assert.equal(one("GPL-2+ with OpenSSL exception")?.expression, "LicenseRef-GPL-2-with-OpenSSL-exception");
  assert.equal(one("")?.expression, undefined);
});

test("the header's License counts; a non-DEP-5 copyright file says nothing", () => {
  assert.equal(copyrightLicense(`${HEADER}License: Zlib\n`)?.expression, "Zlib");
  assert.equal(
    copyrightLicense(
      `${HEADER.replace("https://www.debian.org", "http://www.debian.org")}\nFiles: *\nLicense: ISC\n`,
    )?.expression,
    "ISC",
  );
  const prose = `This is the Debian prepackaged version of zlib.\n\nCopyright (C) 1995-2013 Jean-loup Gailly.\nLicense: see below\n`;
  assert.equal(copyrightLicense(prose), undefined);
  assert.equal(copyrightLicense(""), undefined);
  assert.equal(copyrightLicense("Format: something else\n\nFiles: *\nLicense: MIT\n"), undefined);
});

test("hostile text never throws and never yields an invalid expression", () => {
  const weird = [
    `${HEADER}\nFiles: *\nLicense: ((GPL-2+)) or\n`,
    `${HEADER}\nFiles: *\nLicense: and or , and\n`,
    `${HEADER}\nFiles: *\nLicense: Ünïcödé licence/ü; "quoted" <x>\n`,
    `${HEADER}\nFiles: *\nLicense: ${"A".repeat(100_000)}+\n`,
    `${HEADER}\n\u0000\u0001Files\n:\n \n\tLicense: MIT\n`,
  ];
  for (const text of weird) {
    const license = copyrightLicense(text);
    if (license) assertValidExpression(license.expression);
    for (const ref of license?.refs ?? []) assert.match(ref.id, /^LicenseRef-[A-Za-z0-9.-]+$/);
  }
});

test("Debian short names map to SPDX ids, with the table's exceptions and refs", () => {
  assert.equal(spdxLicenseId("GPL-2+"), "GPL-2.0-or-later");
  assert.equal(spdxLicenseId("GPL-2"), "GPL-2.0-only");
  assert.equal(spdxLicenseId("GPL-3.0+"), "GPL-3.0-or-later");
  assert.equal(spdxLicenseId("LGPL-2.1+"), "LGPL-2.1-or-later");
  assert.equal(spdxLicenseId("AGPL-3+"), "AGPL-3.0-or-later");
  assert.equal(spdxLicenseId("GFDL-NIV-1.3+"), "GFDL-1.3-no-invariants-or-later");
  assert.equal(spdxLicenseId("Expat"), "MIT");
  assert.equal(spdxLicenseId("BSD-3-clause"), "BSD-3-Clause");
  assert.equal(spdxLicenseId("Apache-2.0"), "Apache-2.0");
  assert.equal(spdxLicenseId("zlib"), "Zlib");
  assert.equal(spdxLicenseId("GPL-7"), undefined);
  assert.equal(spdxLicenseId("MPL-1.1+"), "MPL-1.1+");
  assert.equal(spdxLicenseId("public-domain"), undefined);
  assert.equal(spdxExceptionId("GCC runtime library exception 3.1"), "GCC-exception-3.1");
  assert.equal(spdxExceptionId("Classpath exception"), "Classpath-exception-2.0");
  assert.equal(licenseRef("public-domain"), "LicenseRef-public-domain");
  assert.equal(licenseRef("Foo/Bar 2+"), "LicenseRef-Foo-Bar-2-or-later");
  assert.equal(licenseRef("***"), "LicenseRef-unknown");
  assert.match(licenseRef("x".repeat(10_000)), /^LicenseRef-x{63}-[0-9a-f]{16}$/);
});
