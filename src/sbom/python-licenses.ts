// The licence of a Python distribution from its core metadata, as an SPDX
// expression: `License-Expression:` (PEP 639) when it is one; else the
// `License:` field when it names a licence SPDX lists (`MIT`, `Apache 2.0`,
// `BSD-3-Clause`, `MIT OR Apache-2.0`); else the `License ::` trove
// classifiers, each mapped to its SPDX id where the classifier names one
// licence and version (`License :: OSI Approved :: MIT License` → MIT), all
// of them joined by AND, as Debian's copyright files are; else a short
// `License:` that SPDX does not list, as a LicenseRef-. A `License:` that is
// a whole licence text, with no classifier beside it, says nothing a machine
// can read: undefined (NOASSERTION). Metadata is package input: nothing here
// throws.

import type { CopyrightLicense, LicenseRefInfo } from "./copyright.ts";
import { licenseRef, spdxLicenseId } from "./debian-licenses.ts";

/** What core metadata says of a licence (source/python-packages.ts reads it). */
export interface PythonLicenseFields {
  licenseExpression?: string;
  license?: string;
  licenseClassifiers?: readonly string[];
}

/** The `License ::` classifiers that name one SPDX licence, without the `License :: ` prefix. */
const CLASSIFIERS: Readonly<Record<string, string>> = {
  "OSI Approved :: MIT License": "MIT",
  "OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
  "OSI Approved :: Apache Software License": "Apache-2.0",
  "OSI Approved :: ISC License (ISCL)": "ISC",
  "OSI Approved :: Python Software Foundation License": "PSF-2.0",
  "OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
  "OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
  "OSI Approved :: Mozilla Public License 1.0 (MPL)": "MPL-1.0",
  "OSI Approved :: Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
  "OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)": "EPL-1.0",
  "OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
  "OSI Approved :: Common Development and Distribution License 1.0 (CDDL-1.0)": "CDDL-1.0",
  "OSI Approved :: European Union Public Licence 1.1 (EUPL 1.1)": "EUPL-1.1",
  "OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
  "OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
  "OSI Approved :: GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
  "OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
  "OSI Approved :: GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
  "OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
  "OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
  "OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
  "OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
  "OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
  "OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
  "OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
  "OSI Approved :: Universal Permissive License (UPL)": "UPL-1.0",
  "OSI Approved :: zlib/libpng License": "Zlib",
  "OSI Approved :: Zope Public License": "ZPL-2.1",
  "OSI Approved :: Historical Permission Notice and Disclaimer (HPND)": "HPND",
  "OSI Approved :: University of Illinois/NCSA Open Source License": "NCSA",
  "OSI Approved :: Artistic License": "Artistic-2.0",
  "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
};

/**
 * Free-text `License:` values SPDX's ids miss, keyed with case, punctuation
 * and the words "license", "the", "version" taken out.
 */
const LICENSE_WORDS: Readonly<Record<string, string>> = {
  mit: "MIT",
  expat: "MIT",
  apache2: "Apache-2.0",
  apache20: "Apache-2.0",
  apachesoftware: "Apache-2.0",
  apachesoftware20: "Apache-2.0",
  asl20: "Apache-2.0",
  bsd3clause: "BSD-3-Clause",
  "3clausebsd": "BSD-3-Clause",
  newbsd: "BSD-3-Clause",
  modifiedbsd: "BSD-3-Clause",
  bsd2clause: "BSD-2-Clause",
  "2clausebsd": "BSD-2-Clause",
  simplifiedbsd: "BSD-2-Clause",
  isc: "ISC",
  psf: "PSF-2.0",
  psf2: "PSF-2.0",
  pythonsoftwarefoundation: "PSF-2.0",
  mpl2: "MPL-2.0",
  mpl20: "MPL-2.0",
  mozillapublic20: "MPL-2.0",
  gplv2: "GPL-2.0-only",
  gplv2plus: "GPL-2.0-or-later",
  gplv3: "GPL-3.0-only",
  gplv3plus: "GPL-3.0-or-later",
  lgplv2: "LGPL-2.0-only",
  lgplv21: "LGPL-2.1-only",
  lgplv3: "LGPL-3.0-only",
  lgplv3plus: "LGPL-3.0-or-later",
  agplv3: "AGPL-3.0-only",
  unlicense: "Unlicense",
  cc0: "CC0-1.0",
  zpl21: "ZPL-2.1",
  hpnd: "HPND",
};

/** Longest `License:` value taken for a licence's name rather than its text. */
const MAX_NAME = 80;

/** The licence `fields` declare, or undefined when they say nothing a machine can read. */
export function pythonLicense(fields: PythonLicenseFields): CopyrightLicense | undefined {
  const expression = fields.licenseExpression?.trim();
  if (expression) {
    const parsed = spdxExpression(expression);
    if (parsed !== undefined) return parsed;
    return named(expression);
  }
  const text = fields.license?.trim() ?? "";
  const short = text !== "" && !text.includes("\n") && text.length <= MAX_NAME;
  if (short) {
    const id = wordsLicense(text) ?? spdxExpression(text);
    if (id !== undefined) return id;
  }
  const classified = classifierLicense(fields.licenseClassifiers ?? []);
  if (classified !== undefined) return classified;
  return short ? named(text) : undefined;
}

/** The classifiers' licences, AND-ed; a classifier naming no single licence becomes a LicenseRef. */
function classifierLicense(classifiers: readonly string[]): CopyrightLicense | undefined {
  const ids = new Set<string>();
  const refs = new Map<string, LicenseRefInfo>();
  for (const c of classifiers) {
    const rest = c.replace(/^License ::\s*/, "").trim();
    // "OSI Approved" alone only says that some other classifier names the licence.
    if (rest === "" || rest === "OSI Approved") continue;
    const id = CLASSIFIERS[rest];
    if (id !== undefined) {
      ids.add(id);
      continue;
    }
    const name = rest.split("::").pop()?.trim() ?? rest;
    const ref = licenseRef(name);
    ids.add(ref);
    refs.set(ref, { id: ref, name, text: `The trove classifier "${c}".` });
  }
  if (ids.size === 0) return undefined;
  return {
    expression: [...ids].sort().join(" AND "),
    refs: [...refs.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
  };
}

function wordsLicense(text: string): CopyrightLicense | undefined {
  const key = text
    .toLowerCase()
    .replace(/\+/g, "plus")
    .replace(/\b(the|licen[cs]es?|version|v(?=\d))\b/g, "")
    .replace(/[^a-z0-9]/g, "");
  const id = LICENSE_WORDS[key] ?? LICENSE_WORDS[key.replace(/^v/, "")];
  return id === undefined ? undefined : { expression: id, refs: [] };
}

/** A licence SPDX does not list, by the name the metadata gives it. */
function named(name: string): CopyrightLicense {
  const id = licenseRef(name);
  return { expression: id, refs: [{ id, name: name.slice(0, MAX_NAME) }] };
}

const OPERATORS = new Set(["AND", "OR", "WITH"]);

/**
 * `text` as an SPDX expression whose every licence SPDX's ids (or a
 * LicenseRef-) spell, ids written as SPDX writes them; undefined when it is
 * not one (a typo, a phrase, unbalanced parentheses).
 */
function spdxExpression(text: string): CopyrightLicense | undefined {
  const tokens = text.match(/\(|\)|[^\s()]+/g) ?? [];
  const out: string[] = [];
  const refs: LicenseRefInfo[] = [];
  let depth = 0;
  let wantOperand = true;
  let afterWith = false;
  for (const token of tokens) {
    const upper = token.toUpperCase();
    if (token === "(") {
      if (!wantOperand) return undefined;
      depth++;
      out.push(token);
    } else if (token === ")") {
      if (wantOperand || depth === 0) return undefined;
      depth--;
      out.push(token);
    } else if (OPERATORS.has(upper)) {
      if (wantOperand) return undefined;
      wantOperand = true;
      afterWith = upper === "WITH";
      out.push(upper);
    } else {
      if (!wantOperand) return undefined;
      wantOperand = false;
      if (afterWith) {
        // Exceptions are SPDX's own list; a syntactically valid one is kept as written.
        if (!/^[A-Za-z0-9.-]+$/.test(token)) return undefined;
        out.push(token);
        afterWith = false;
        continue;
      }
      if (/^LicenseRef-[A-Za-z0-9.-]+$/.test(token)) {
        out.push(token);
        refs.push({ id: token, name: token });
        continue;
      }
      const id =
        spdxLicenseId(token) ??
        (/^[A-Za-z0-9.-]+\+?$/.test(token) && /\d/.test(token) && /-/.test(token) ? token : undefined);
      if (id === undefined) return undefined;
      out.push(id);
    }
  }
  if (wantOperand || depth !== 0 || out.length === 0) return undefined;
  return { expression: out.join(" ").replaceAll("( ", "(").replaceAll(" )", ")"), refs };
}
