// Reading a machine's apt configuration (sources.list and *.sources) from a
// fake root directory to find its Debian and security mirrors.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { defaultSources } from "../../src/apt/sources.ts";
import { parseDeb822Sources, parseOneLine, readSystemMirrors } from "../../src/apt/system-sources.ts";
import { isCudasealError } from "../../src/errors.ts";

const CDROM = "cdrom:[Debian GNU/Linux 13.1.0 _Trixie_ - Official amd64 DVD Binary-1 20250906-10:24]/";

const SOURCES_LIST = `# See sources.list(5)
${"deb"} [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg arch=amd64,arm64] http://mirror.invalid/debian trixie main contrib non-free-firmware
deb-src http://src.invalid/debian trixie main
#deb http://commented.invalid/debian trixie main
   # deb http://indented-comment.invalid/debian trixie main
deb ${CDROM} trixie contrib main

deb http://mirror.invalid/debian/ trixie-updates main # a trailing comment
deb [ trusted=yes ] http://security.invalid/debian-security trixie-security main
deb http://short.invalid/debian
`;

const DEBIAN_SOURCES = `# Written by the installer
Types: deb
URIs: http://disabled.invalid/debian
Suites: trixie
Components: main
Enabled: no

Types: deb deb-src
URIs: http://mirror2.invalid/debian http://mirror3.invalid/debian
Suites: trixie trixie-updates
Components: main non-free
# a comment inside a stanza
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://src-only.invalid/debian
Suites: trixie
Components: main

Types: deb
URIs: http://security2.invalid/debian-security/
Suites: trixie-security
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mDMEZAAAABYJKwYBBAHaRw8BAQdAexample
 -----END PGP PUBLIC KEY BLOCK-----
`;

// Third-party repositories that name their suites after Debian's releases.
const VENDOR_LIST = `deb [signed-by=/etc/apt/keyrings/vendor.asc] https://vendor.invalid/linux/debian trixie stable
deb [signed-by=/etc/apt/keyrings/pgdg.asc] https://db.invalid/pub/repos/apt trixie-pgdg main
`;

/** A root directory holding `files` (paths relative to it); removed when the test ends. */
async function fakeRoot(t: test.TestContext, files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "cudaseal-root-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe("parseOneLine", () => {
  test("reads deb lines with options, skips deb-src, comments, and short lines; keeps a cdrom URI whole", () => {
    assert.deepEqual(parseOneLine(SOURCES_LIST, "sources.list"), [
      {
        uri: "http://mirror.invalid/debian",
        suites: ["trixie"],
        components: ["main", "contrib", "non-free-firmware"],
        file: "sources.list",
      },
      { uri: CDROM, suites: ["trixie"], components: ["contrib", "main"], file: "sources.list" },
      {
        uri: "http://mirror.invalid/debian/",
        suites: ["trixie-updates"],
        components: ["main"],
        file: "sources.list",
      },
      {
        uri: "http://security.invalid/debian-security",
        suites: ["trixie-security"],
        components: ["main"],
        file: "sources.list",
      },
    ]);
  });
});

describe("parseDeb822Sources", () => {
  test("reads enabled deb stanzas, one entry per URI, with every suite", () => {
    assert.deepEqual(parseDeb822Sources(DEBIAN_SOURCES, "debian.sources"), [
      {
        uri: "http://mirror2.invalid/debian",
        suites: ["trixie", "trixie-updates"],
        components: ["main", "non-free"],
        file: "debian.sources",
      },
      {
        uri: "http://mirror3.invalid/debian",
        suites: ["trixie", "trixie-updates"],
        components: ["main", "non-free"],
        file: "debian.sources",
      },
      {
        uri: "http://security2.invalid/debian-security/",
        suites: ["trixie-security"],
        components: ["main"],
        file: "debian.sources",
      },
    ]);
  });
});

describe("readSystemMirrors", () => {
  test("sources.list comes first; the Debian and security mirrors are picked from it", async (t) => {
    const root = await fakeRoot(t, {
      "etc/apt/sources.list": SOURCES_LIST,
      "etc/apt/sources.list.d/debian.sources": DEBIAN_SOURCES,
      "etc/apt/sources.list.d/notes.txt": "deb http://ignored.invalid/debian trixie main\n",
    });
    const mirrors = readSystemMirrors(root);
    assert.equal(mirrors.debian, "http://mirror.invalid/debian");
    assert.equal(mirrors.security, "http://security.invalid/debian-security");
    // Every enabled deb entry of sources.list and *.sources, in that order; other files are not read.
    assert.deepEqual(
      mirrors.entries.map((e) => e.uri),
      [
        "http://mirror.invalid/debian",
        CDROM,
        "http://mirror.invalid/debian/",
        "http://security.invalid/debian-security",
        "http://mirror2.invalid/debian",
        "http://mirror3.invalid/debian",
        "http://security2.invalid/debian-security/",
      ],
    );
  });

  test("deb822 alone: the first enabled stanza, not the disabled one; trailing slashes trimmed", async (t) => {
    const root = await fakeRoot(t, { "etc/apt/sources.list.d/debian.sources": DEBIAN_SOURCES });
    const mirrors = readSystemMirrors(root);
    assert.equal(mirrors.debian, "http://mirror2.invalid/debian");
    assert.equal(mirrors.security, "http://security2.invalid/debian-security");
  });

  test("files of sources.list.d are read in name order, .list and .sources alike", async (t) => {
    const root = await fakeRoot(t, {
      "etc/apt/sources.list.d/b.list": "deb http://second.invalid/debian bookworm main\n",
      "etc/apt/sources.list.d/a.sources":
        "Types: deb\nURIs: http://first.invalid/debian\nSuites: trixie\nComponents: main\n",
      "etc/apt/sources.list.d/c.list": "deb http://old-security.invalid/ buster/updates main\n",
    });
    const mirrors = readSystemMirrors(root);
    assert.equal(mirrors.debian, "http://first.invalid/debian");
    // The old `release/updates` security suite counts as a security one.
    assert.equal(mirrors.security, "http://old-security.invalid");
  });

  test("a FIFO or a link to /dev/zero in sources.list.d is passed over at once, not waited on or read", async (t) => {
    const root = await fakeRoot(t, {
      "etc/apt/sources.list.d/b.list": "deb http://second.invalid/debian trixie main\n",
    });
    const d = join(root, "etc/apt/sources.list.d");
    assert.equal(spawnSync("mkfifo", [join(d, "a.list")]).status, 0);
    await symlink("/dev/zero", join(d, "a.sources"));
    assert.equal(readSystemMirrors(root).debian, "http://second.invalid/debian");
  });

  test("a third-party repository using Debian's release names is not taken for Debian", async (t) => {
    const root = await fakeRoot(t, {
      "etc/apt/sources.list.d/0-vendor.list": VENDOR_LIST,
      "etc/apt/sources.list.d/debian.sources": DEBIAN_SOURCES,
    });
    const mirrors = readSystemMirrors(root);
    assert.equal(mirrors.debian, "http://mirror2.invalid/debian");
    assert.equal(mirrors.security, "http://security2.invalid/debian-security");
  });

  test("a cdrom, a disabled stanza or a vendor repository is no Debian mirror: defaultSources is MIRROR_UNKNOWN", async (t) => {
    const root = await fakeRoot(t, {
      "etc/apt/sources.list": `deb ${CDROM} trixie main\n# deb http://commented.invalid/debian trixie main\n`,
      "etc/apt/sources.list.d/vendor.list": VENDOR_LIST,
      "etc/apt/sources.list.d/debian.sources":
        "Types: deb\nURIs: http://disabled.invalid/debian\nSuites: trixie\nComponents: main\nEnabled: no\n",
    });
    const system = readSystemMirrors(root);
    assert.equal(system.debian, undefined);
    assert.equal(system.security, undefined);
    assert.throws(
      () => defaultSources({ system }),
      (err) => isCudasealError(err, "MIRROR_UNKNOWN"),
    );
    // A mirror named outright still works.
    assert.equal(
      defaultSources({ system, mirror: "http://named.invalid/debian/" })[0].uri,
      "http://named.invalid/debian",
    );
  });

  test("no apt configuration at all: no entries, and MIRROR_UNKNOWN", async (t) => {
    const root = await fakeRoot(t, {});
    const system = readSystemMirrors(root);
    assert.deepEqual(system, { entries: [] });
    assert.throws(
      () => defaultSources({ system }),
      (err) => isCudasealError(err, "MIRROR_UNKNOWN"),
    );
  });

  test("defaultSources builds the release, -updates and -security sources from the system's mirrors", async (t) => {
    const root = await fakeRoot(t, { "etc/apt/sources.list.d/debian.sources": DEBIAN_SOURCES });
    assert.deepEqual(defaultSources({ system: readSystemMirrors(root) }), [
      {
        uri: "http://mirror2.invalid/debian",
        suites: ["trixie", "trixie-updates"],
        components: ["main", "contrib", "non-free"],
        keyring: "debian",
        priority: 500,
      },
      {
        uri: "http://security2.invalid/debian-security",
        suites: ["trixie-security"],
        components: ["main", "contrib", "non-free"],
        keyring: "debian",
        priority: 500,
      },
    ]);
  });
});
