import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { verifyInRelease } from "../../src/apt/inrelease.ts";
import { loadKeyringFile } from "../../src/apt/keyring.ts";
import { checkFresh, parseRelease, parseReleaseDate } from "../../src/apt/release.ts";
import { type ErrorCode, isCudasealError } from "../../src/errors.ts";
import { rfc2822, startAptRepo } from "../helpers/apt-repo.ts";

// The head of a Debian security suite's Release, in its own words: the
// `updates/` component prefix, a Valid-Until, an empty file's hash.
const SECURITY_RELEASE = `Origin: Debian
Label: Debian-Security
Suite: stable-security
Version: 13
Codename: trixie-security
Date: Sat, 08 Nov 2025 09:51:22 UTC
Valid-Until: Sat, 15 Nov 2025 09:51:22 UTC
Acquire-By-Hash: yes
Architectures: amd64 arm64 armel armhf i386 ppc64el riscv64 s390x
Components: updates/main updates/contrib updates/non-free-firmware updates/non-free
Description: Debian 13 - Security Updates
MD5Sum:
 d41d8cd98f00b204e9800998ecf8427e        0 contrib/Contents-amd64
SHA256:
 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855        0 contrib/Contents-amd64
 4C96C37027246BB2ED66ABF2157187DD8C7F7F1E6ACA2FC033E3EF9D7589CB1E  2234121 main/binary-amd64/Packages
 3db357fdc4690cf41e0e9092760602d60fb67ecd019950bdf01f624d57c3c627   307764 main/binary-amd64/Packages.xz
`;

const DATE = new Date("2025-11-08T09:51:22Z");
const VALID_UNTIL = new Date("2025-11-15T09:51:22Z");

function throwsCode(fn: () => unknown, code: ErrorCode, pattern?: RegExp): void {
  assert.throws(fn, (err) => {
    assert.ok(isCudasealError(err, code), `expected ${code}, got ${err}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

describe("parseRelease", () => {
  test("reads the fields cudaseal uses", () => {
    const release = parseRelease(SECURITY_RELEASE);
    assert.equal(release.origin, "Debian");
    assert.equal(release.label, "Debian-Security");
    assert.equal(release.suite, "stable-security");
    assert.equal(release.codename, "trixie-security");
    assert.equal(release.version, "13");
    assert.deepEqual(release.date, DATE);
    assert.deepEqual(release.validUntil, VALID_UNTIL);
    assert.equal(release.acquireByHash, true);
    assert.deepEqual(release.architectures, [
      "amd64",
      "arm64",
      "armel",
      "armhf",
      "i386",
      "ppc64el",
      "riscv64",
      "s390x",
    ]);
    // Paths say main/, so the component is main, as apt treats it.
    assert.deepEqual(release.components, ["main", "contrib", "non-free-firmware", "non-free"]);
    assert.equal(release.fields.find(([name]) => name === "Components")?.[1].split(" ")[0], "updates/main");
  });

  test("reads the SHA256 list, hashes in lower case", () => {
    const { sha256 } = parseRelease(SECURITY_RELEASE);
    assert.equal(sha256.size, 3);
    assert.deepEqual(sha256.get("main/binary-amd64/Packages"), {
      sha256: "4c96c37027246bb2ed66abf2157187dd8c7f7f1e6aca2fc033e3ef9d7589cb1e",
      size: 2234121,
    });
    assert.deepEqual(sha256.get("contrib/Contents-amd64"), {
      sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      size: 0,
    });
  });

  test("optional fields may be absent", () => {
    const release = parseRelease(
      "SHA256:\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 Packages\n",
    );
    assert.equal(release.origin, undefined);
    assert.equal(release.date, undefined);
    assert.equal(release.validUntil, undefined);
    assert.equal(release.acquireByHash, false);
    assert.deepEqual(release.components, []);
    assert.deepEqual(release.architectures, []);
  });

  test("a Release without SHA256 is APT_RELEASE_INVALID", () => {
    const md5Only = SECURITY_RELEASE.slice(0, SECURITY_RELEASE.indexOf("SHA256:"));
    throwsCode(
      () => parseRelease(md5Only, { source: "http://127.0.0.1/Release" }),
      "APT_RELEASE_INVALID",
      /SHA256/,
    );
    throwsCode(() => parseRelease("Origin: x\nSHA256:\n"), "APT_RELEASE_INVALID", /empty SHA256/);
  });

  test("malformed hash lines are APT_RELEASE_INVALID", () => {
    const lines = [
      " abc 12 main/binary-amd64/Packages",
      ` ${"0".repeat(64)} -1 main/binary-amd64/Packages`,
      ` ${"0".repeat(64)} 12`,
      ` ${"0".repeat(64)} 12 a b`,
      ` ${"g".repeat(64)} 12 main/binary-amd64/Packages`,
    ];
    for (const line of lines) throwsCode(() => parseRelease(`SHA256:\n${line}\n`), "APT_RELEASE_INVALID");
  });

  test("paths that could leave the suite directory are refused", () => {
    for (const path of [
      "../../../etc/passwd",
      "/etc/passwd",
      "main/../../x",
      "main//Packages",
      "./Packages",
      "a\\b",
    ]) {
      throwsCode(
        () => parseRelease(`SHA256:\n ${"0".repeat(64)} 1 ${path}\n`),
        "APT_RELEASE_INVALID",
        /unsafe path/,
      );
    }
  });

  test("one path with two different hashes is refused", () => {
    const text = `SHA256:\n ${"0".repeat(64)} 1 Packages\n ${"1".repeat(64)} 1 Packages\n`;
    throwsCode(() => parseRelease(text), "APT_RELEASE_INVALID", /twice/);
  });

  test("bad dates, Acquire-By-Hash values and extra paragraphs are refused", () => {
    const ok = `SHA256:\n ${"0".repeat(64)} 1 Packages\n`;
    throwsCode(() => parseRelease(`Date: yesterday\n${ok}`), "APT_RELEASE_INVALID", /Date/);
    throwsCode(
      () => parseRelease(`Valid-Until: Sat, 31 Feb 2025 00:00:00 UTC\n${ok}`),
      "APT_RELEASE_INVALID",
    );
    throwsCode(() => parseRelease(`Acquire-By-Hash: maybe\n${ok}`), "APT_RELEASE_INVALID");
    throwsCode(() => parseRelease(`${ok}\nOrigin: second\n`), "APT_RELEASE_INVALID", /one paragraph/);
  });
});

describe("parseReleaseDate", () => {
  test("RFC 2822 dates as archives write them", () => {
    assert.deepEqual(parseReleaseDate("Sat, 08 Nov 2025 09:51:22 UTC"), DATE);
    assert.deepEqual(parseReleaseDate("8 Nov 2025 09:51:22 GMT"), DATE);
    assert.deepEqual(parseReleaseDate("Sat, 08 Nov 2025 10:51:22 +0100"), DATE);
    assert.deepEqual(parseReleaseDate("Sat, 08 Nov 2025 04:51:22 -0500"), DATE);
    assert.deepEqual(parseReleaseDate("Sat, 08 Nov 2025 09:51 Z"), new Date("2025-11-08T09:51:00Z"));
  });

  test("anything else is not a date", () => {
    for (const text of [
      "",
      "2025-11-08",
      "Sat, 08 Foo 2025 09:51:22 UTC",
      "Sat, 08 Nov 2025 25:00:00 UTC",
      "08 Nov 2025 09:51:22",
    ]) {
      assert.equal(parseReleaseDate(text), undefined, text);
    }
  });

  test("the test repository's dates read back", () => {
    const date = new Date("2024-02-29T23:59:58Z");
    assert.deepEqual(parseReleaseDate(rfc2822(date)), date);
  });
});

describe("checkFresh", () => {
  const release = parseRelease(SECURITY_RELEASE);
  const url = "http://127.0.0.1/dists/trixie-security/InRelease";

  test("a Release within its validity passes", () => {
    checkFresh(release, { now: new Date("2025-11-10T00:00:00Z"), allowExpired: false, url });
  });

  test("a Valid-Until in the past is APT_RELEASE_EXPIRED, with the way out in the hint", () => {
    assert.throws(
      () => checkFresh(release, { now: new Date("2025-11-16T00:00:00Z"), allowExpired: false, url }),
      (err) => {
        assert.ok(isCudasealError(err, "APT_RELEASE_EXPIRED"));
        assert.ok(err.message.includes(url));
        assert.match(err.hint ?? "", /--allow-expired/);
        return true;
      },
    );
  });

  test("allowExpired accepts it", () => {
    checkFresh(release, { now: new Date("2030-01-01T00:00:00Z"), allowExpired: true, url });
  });

  test("a Release without Valid-Until never expires", () => {
    const noLimit = parseRelease(SECURITY_RELEASE.replace(/^Valid-Until: .*\n/m, ""));
    checkFresh(noLimit, { now: new Date("2035-01-01T00:00:00Z"), allowExpired: false, url });
  });

  test("a Date more than five minutes ahead of the clock is APT_RELEASE_FROM_FUTURE; a little ahead is tolerated", () => {
    // The Release is dated 2025-11-08T09:51:22Z.
    checkFresh(release, { now: new Date("2025-11-08T09:47:22Z"), allowExpired: false, url });
    for (const now of ["2025-11-08T09:45:22Z", "2025-10-29T09:51:22Z"]) {
      throwsCode(
        () => checkFresh(release, { now: new Date(now), allowExpired: false, url }),
        "APT_RELEASE_FROM_FUTURE",
        /future/,
      );
    }
    checkFresh(release, { now: new Date("2025-10-01T00:00:00Z"), allowExpired: true, url });
  });
});

describe("a served repository", () => {
  test("signed, verified, parsed: its indexes are listed, and an old Valid-Until is caught", async () => {
    const now = new Date();
    const repo = await startAptRepo({
      packages: [{ name: "hello", version: "1.0" }],
      arches: ["amd64", "arm64"],
      formats: ["gz", "plain"],
      validUntil: new Date(now.getTime() - 3600_000),
    });
    try {
      const bytes = await readFile(join(repo.dir, "dists/trixie/InRelease"));
      const { text } = await verifyInRelease(bytes, await loadKeyringFile(repo.armoredKeyPath), {
        url: repo.url,
      });
      const release = parseRelease(text, { source: repo.url });
      assert.equal(release.codename, "trixie");
      assert.deepEqual(release.architectures, ["amd64", "arm64"]);
      assert.deepEqual([...release.sha256.keys()].sort(), [
        "main/binary-amd64/Packages",
        "main/binary-amd64/Packages.gz",
        "main/binary-arm64/Packages",
        "main/binary-arm64/Packages.gz",
      ]);
      const packages = await readFile(join(repo.dir, "dists/trixie/main/binary-amd64/Packages"));
      assert.equal(release.sha256.get("main/binary-amd64/Packages")?.size, packages.length);
      throwsCode(
        () => checkFresh(release, { now, allowExpired: false, url: repo.url }),
        "APT_RELEASE_EXPIRED",
      );
      checkFresh(release, { now, allowExpired: true, url: repo.url });
    } finally {
      await repo.close();
    }
  });
});
