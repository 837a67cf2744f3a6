// Debian's licence short names (the machine-readable copyright format 1.0,
// "License Specification", https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/#license-specification)
// mapped onto SPDX License List identifiers and exceptions
// (https://spdx.org/licenses/, https://spdx.org/licenses/exceptions-index.html).
// Where Debian's name already is an SPDX id (Apache-2.0, MIT, Zlib) the
// lookup of SPDX_IDS finds it; where it differs (Expat, BSD-3-clause, GPL-2+)
// the tables below say what it is. Anything neither knows becomes a
// `LicenseRef-`, which is always a valid SPDX expression.

import { createHash } from "node:crypto";

/** Longest name kept in a LicenseRef- id. */
const MAX_REF_NAME = 80;

/** Debian names that differ from their SPDX id, lower-cased. Versioned GNU licences are derived in gnuLicense(). */
const DEBIAN_NAMES: Readonly<Record<string, string>> = {
  expat: "MIT",
  "bsd-2-clause": "BSD-2-Clause",
  "bsd-3-clause": "BSD-3-Clause",
  "bsd-4-clause": "BSD-4-Clause",
  apache: "Apache-2.0",
  "apache-2": "Apache-2.0",
  "apache-1": "Apache-1.0",
  // Debian's common-licenses/Artistic is the Perl variant of Artistic 1.0.
  artistic: "Artistic-1.0-Perl",
  "artistic-1": "Artistic-1.0",
  "artistic-2": "Artistic-2.0",
  // DEP-5's "Perl" is Perl's dual licence; see PERL below.
  cc0: "CC0-1.0",
  zlib: "Zlib",
  "zlib/libpng": "Zlib",
  libpng: "Libpng",
  "libpng-2.0": "libpng-2.0",
  isc: "ISC",
  "mpl-1.1": "MPL-1.1",
  "mpl-2": "MPL-2.0",
  "mpl-2.0": "MPL-2.0",
  "cddl-1": "CDDL-1.0",
  "cddl-1.0": "CDDL-1.0",
  "epl-1": "EPL-1.0",
  "epl-2": "EPL-2.0",
  python: "Python-2.0",
  "python-2": "Python-2.0",
  psf: "PSF-2.0",
  "psf-2": "PSF-2.0",
  "unicode-dfs-2016": "Unicode-DFS-2016",
  "ofl-1.1": "OFL-1.1",
  "sil-ofl-1.1": "OFL-1.1",
  "zope-2.1": "ZPL-2.1",
  "zpl-2.1": "ZPL-2.1",
  "lppl-1.3c": "LPPL-1.3c",
  boost: "BSL-1.0",
  "boost-1.0": "BSL-1.0",
  "bsl-1.0": "BSL-1.0",
  x11: "X11",
  "mit-x11": "X11",
  "mit/x11": "X11",
  "apache-2-llvm-exceptions": "Apache-2.0 WITH LLVM-exception",
  "apache-2.0-with-llvm-exception": "Apache-2.0 WITH LLVM-exception",
  w3c: "W3C",
  openssl: "OpenSSL",
  curl: "curl",
  ijg: "IJG",
  ftl: "FTL",
  unlicense: "Unlicense",
  wtfpl: "WTFPL",
  sleepycat: "Sleepycat",
  "cc-by-3.0": "CC-BY-3.0",
  "cc-by-4.0": "CC-BY-4.0",
  "cc-by-sa-3.0": "CC-BY-SA-3.0",
  "cc-by-sa-4.0": "CC-BY-SA-4.0",
  "bzip2-1.0.6": "bzip2-1.0.6",
  "0bsd": "0BSD",
  "bsd-2-clause-patent": "BSD-2-Clause-Patent",
  "mit-0": "MIT-0",
  "gpl-2.0-with-classpath-exception": "GPL-2.0-only WITH Classpath-exception-2.0",
};

/** SPDX ids Debian copyright files often use as they are: matched case-insensitively, written as SPDX spells them. */
const SPDX_IDS = [
  "0BSD",
  "AFL-1.1",
  "AFL-1.2",
  "AFL-2.0",
  "AFL-2.1",
  "AFL-3.0",
  "Beerware",
  "CC-BY-2.0",
  "CC-BY-2.5",
  "CC-BY-SA-2.0",
  "CC-BY-SA-2.5",
  "FSFAP",
  "FSFUL",
  "FSFULLR",
  "ICU",
  "Info-ZIP",
  "JSON",
  "Latex2e",
  "MirOS",
  "NTP",
  "OFL-1.0",
  "PostgreSQL",
  "Sendmail",
  "SMLNJ",
  "TCL",
  "Unicode-DFS-2015",
  "Vim",
  "Apache-1.0",
  "Apache-1.1",
  "Apache-2.0",
  "Artistic-1.0",
  "Artistic-1.0-Perl",
  "Artistic-2.0",
  "BSD-1-Clause",
  "BSD-2-Clause",
  "BSD-3-Clause",
  "BSD-4-Clause",
  "BSL-1.0",
  "CC-BY-3.0",
  "CC-BY-4.0",
  "CC-BY-SA-3.0",
  "CC-BY-SA-4.0",
  "CC0-1.0",
  "CDDL-1.0",
  "CDDL-1.1",
  "EPL-1.0",
  "EPL-2.0",
  "FTL",
  "HPND",
  "ISC",
  "LPPL-1.3c",
  "MIT",
  "MIT-0",
  "MPL-1.1",
  "MPL-2.0",
  "NCSA",
  "OFL-1.1",
  "OpenSSL",
  "PSF-2.0",
  "Python-2.0",
  "Ruby",
  "Unicode-3.0",
  "Unicode-DFS-2016",
  "Unlicense",
  "W3C",
  "WTFPL",
  "X11",
  "Zlib",
  "ZPL-2.1",
  "bzip2-1.0.6",
  "curl",
];
const SPDX_BY_LOWER = new Map(SPDX_IDS.map((id) => [id.toLowerCase(), id]));

/**
 * Licence exceptions, keyed by their Debian spelling reduced to letters and
 * digits (`GCC-exception-3.1`, `GCC runtime library exception 3.1` →
 * `gcc31`, `gccruntimelibrary31`). Only SPDX-listed exceptions can follow
 * `WITH`; an unknown one turns the whole `X with Y` into a LicenseRef.
 */
const EXCEPTIONS: Readonly<Record<string, string>> = {
  gcc31: "GCC-exception-3.1",
  gccruntimelibrary31: "GCC-exception-3.1",
  gccruntime31: "GCC-exception-3.1",
  gcc20: "GCC-exception-2.0",
  gcc: "GCC-exception-3.1",
  classpath20: "Classpath-exception-2.0",
  classpath: "Classpath-exception-2.0",
  autoconf30: "Autoconf-exception-3.0",
  autoconf20: "Autoconf-exception-2.0",
  autoconf: "Autoconf-exception-2.0",
  bison22: "Bison-exception-2.2",
  bison: "Bison-exception-2.2",
  llvm: "LLVM-exception",
  font20: "Font-exception-2.0",
  font: "Font-exception-2.0",
  libtool: "Libtool-exception",
  linuxsyscallnote: "Linux-syscall-note",
  linuxsyscall: "Linux-syscall-note",
  openvpnopenssl: "openvpn-openssl-exception",
  qtgpl10: "Qt-GPL-exception-1.0",
  qtlgpl11: "Qt-LGPL-exception-1.1",
  wxwindows31: "WxWindows-exception-3.1",
  ocamllgpllinking: "OCaml-LGPL-linking-exception",
  universalfoss10: "Universal-FOSS-exception-1.0",
};

/** GNU licence families, with the versions SPDX lists for each. */
const GNU: Readonly<Record<string, { id: string; versions: Record<string, string> }>> = {
  gpl: { id: "GPL", versions: { "1": "1.0", "2": "2.0", "3": "3.0" } },
  lgpl: { id: "LGPL", versions: { "2": "2.0", "2.1": "2.1", "3": "3.0" } },
  agpl: { id: "AGPL", versions: { "1": "1.0", "3": "3.0" } },
  gfdl: { id: "GFDL", versions: { "1.1": "1.1", "1.2": "1.2", "1.3": "1.3" } },
  "gfdl-niv": { id: "GFDL", versions: { "1.1": "1.1", "1.2": "1.2", "1.3": "1.3" } },
};

/**
 * `GPL-2+` → `GPL-2.0-or-later`, `LGPL-2.1` → `LGPL-2.1-only`,
 * `GPL-3.0+` → `GPL-3.0-or-later`, `GFDL-NIV-1.3+` →
 * `GFDL-1.3-no-invariants-or-later`; undefined for anything else.
 */
function gnuLicense(name: string): string | undefined {
  const m = /^(gpl|lgpl|agpl|gfdl|gfdl-niv)-?(\d(?:\.\d)?)(\+|-or-later|-only)?$/.exec(name);
  if (!m) return undefined;
  const family = GNU[m[1]];
  const version = family.versions[m[2]] ?? family.versions[m[2].replace(/\.0$/, "")];
  if (version === undefined) return undefined;
  const niv = m[1] === "gfdl-niv" ? "-no-invariants" : "";
  const later = m[3] === "+" || m[3] === "-or-later";
  return `${family.id}-${version}${niv}-${later ? "or-later" : "only"}`;
}

/** The SPDX id of one Debian short name (`GPL-2+`, `Expat`), or undefined when it has none. */
export function spdxLicenseId(debianName: string): string | undefined {
  const name = debianName.trim().toLowerCase();
  const id = gnuLicense(name) ?? DEBIAN_NAMES[name] ?? SPDX_BY_LOWER.get(name);
  if (id !== undefined || !name.endsWith("+")) return id;
  // `MPL-1.1+`: SPDX's own "or later" operator, for licences with no -or-later id.
  const base = DEBIAN_NAMES[name.slice(0, -1)] ?? SPDX_BY_LOWER.get(name.slice(0, -1));
  return base !== undefined && !base.includes(" ") ? `${base}+` : undefined;
}

/** The SPDX exception id of a Debian `with …` clause (`OpenSSL exception`, `GCC-exception-3.1`). */
export function spdxExceptionId(debianText: string): string | undefined {
  const key = debianText
    .toLowerCase()
    .replace(/exceptions?/g, "")
    .replace(/[^a-z0-9]/g, "");
  return EXCEPTIONS[key];
}

/**
 * The `LicenseRef-` for a name SPDX does not list: letters, digits, `.` and
 * `-` are what an SPDX idstring allows, so every other run of characters
 * becomes one `-`; a trailing `+` (or later) becomes `-or-later`.
 * `public-domain` → `LicenseRef-public-domain`, `NVIDIA CUDA EULA` →
 * `LicenseRef-NVIDIA-CUDA-EULA`.
 */
export function licenseRef(debianName: string): string {
  let name = debianName.trim();
  let suffix = "";
  if (name.endsWith("+")) {
    name = name.slice(0, -1);
    suffix = "-or-later";
  }
  let id = name.replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "") || "unknown";
  // A name is one line of a hostile file: a long one keeps its start and a hash of the rest.
  if (id.length > MAX_REF_NAME) {
    id = `${id.slice(0, MAX_REF_NAME - 17)}-${createHash("sha256").update(name).digest("hex").slice(0, 16)}`;
  }
  return `LicenseRef-${id}${suffix}`;
}
