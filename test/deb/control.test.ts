import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseControl, readControl } from "../../src/deb/control.ts";
import { type ErrorCode, isCudasealError } from "../../src/errors.ts";
import { type TarWriteEntry, writeTar } from "../../src/tar/writer.ts";

const CONTROL = `Package: libcublas-12-8
Version: 12.8.4.1-1
Architecture: amd64
Depends: cuda-toolkit-config-common, libc6 (>= 2.34)
Description: CUBLAS native runtime libraries
 A second line.
 .
 After an empty one.
`;

function file(path: string, text: string | Buffer, mode = 0o644): TarWriteEntry {
  const body = Buffer.from(text);
  return { path, type: "file", mode, uid: 0, gid: 0, mtime: 0, size: body.length, body };
}

/** A control.tar as dpkg-deb lays it out: `./` first, then the files. */
function controlTar(entries: TarWriteEntry[]): AsyncIterable<Uint8Array> {
  return writeTar([{ path: "", type: "directory", mode: 0o755, uid: 0, gid: 0, mtime: 0 }, ...entries]);
}

async function refused(code: ErrorCode, entries: TarWriteEntry[], limits = {}): Promise<void> {
  await assert.rejects(readControl(controlTar(entries), { origin: "libx", ...limits }), (err) =>
    isCudasealError(err, code),
  );
}

describe("readControl", () => {
  test("control (raw and parsed), md5sums, conffiles and scripts are kept; other files are passed over", async () => {
    const c = await readControl(
      controlTar([
        file("control", CONTROL),
        file("md5sums", "d41d8cd98f00b204e9800998ecf8427e  usr/lib/x\n"),
        file("conffiles", "/etc/x.conf\n"),
        file("postinst", "#!/bin/sh\nupdate-alternatives --install /usr/bin/x x /usr/lib/x 50\n", 0o755),
        file("triggers", "activate-noawait ldconfig\n"),
        file("shlibs", "libcublas 12 libcublas-12-8\n"),
        file("clilibs", "not kept\n"),
      ]),
      { origin: "libcublas-12-8" },
    );
    assert.equal(c.raw, CONTROL);
    assert.equal(c.package, "libcublas-12-8");
    assert.equal(c.version, "12.8.4.1-1");
    assert.equal(c.architecture, "amd64");
    assert.equal(c.fields.get("depends"), "cuda-toolkit-config-common, libc6 (>= 2.34)");
    assert.equal(
      c.fields.get("Description"),
      "CUBLAS native runtime libraries\nA second line.\n\nAfter an empty one.",
    );
    assert.equal(c.md5sums, "d41d8cd98f00b204e9800998ecf8427e  usr/lib/x\n");
    assert.equal(c.conffiles, "/etc/x.conf\n");
    assert.deepEqual(Object.keys(c.scripts).sort(), ["postinst", "shlibs", "triggers"]);
    assert.match(c.scripts.postinst ?? "", /update-alternatives/);
  });

  test("no control file is DEB_INVALID", () => refused("DEB_INVALID", [file("md5sums", "")]));

  test("a control that is a symlink is DEB_INVALID", () =>
    refused("DEB_INVALID", [
      { path: "control", type: "symlink", mode: 0o777, uid: 0, gid: 0, mtime: 0, linkname: "/etc/passwd" },
    ]));

  test("a control file twice is DEB_INVALID", () =>
    refused("DEB_INVALID", [file("control", CONTROL), file("control", CONTROL)]));

  test("a file over maxFileSize is TAR_TOO_LARGE before it is read", () =>
    refused("TAR_TOO_LARGE", [file("control", CONTROL), file("postinst", "x".repeat(5000))], {
      maxFileSize: 4096,
    }));

  test("files adding up to over maxTotalSize are DEB_INVALID", () =>
    refused(
      "DEB_INVALID",
      [file("control", CONTROL), file("postinst", "x".repeat(3000)), file("prerm", "y".repeat(3000))],
      { maxTotalSize: 4096 },
    ));
});

describe("parseControl", () => {
  const bad: [string, string][] = [
    ["two paragraphs", `${CONTROL}\nPackage: other\nVersion: 1\nArchitecture: all\n`],
    ["no paragraph", "\n\n"],
    ["no Version", "Package: x\nArchitecture: all\n"],
    ["no Architecture", "Package: x\nVersion: 1\n"],
    ["a package name with a slash", "Package: ../../x\nVersion: 1\nArchitecture: all\n"],
    ["an upper-case package name", "Package: Foo\nVersion: 1\nArchitecture: all\n"],
    ["a version with a space", "Package: foo\nVersion: 1 2\nArchitecture: all\n"],
    ["a line that is not a field", "Package: foo\nVersion: 1\nArchitecture: all\nthis is not a field\n"],
    ["the same field twice", "Package: foo\npackage: bar\nVersion: 1\nArchitecture: all\n"],
  ];
  for (const [what, text] of bad) {
    test(`${what} is DEB_INVALID`, () => {
      assert.throws(
        () => parseControl(text, "x"),
        (err) => isCudasealError(err, "DEB_INVALID"),
      );
    });
  }

  test("an epoch and tilde in the version are fine", () => {
    assert.equal(
      parseControl("Package: ab\nVersion: 1:2.3~rc1-1\nArchitecture: all\n", "ab").version,
      "1:2.3~rc1-1",
    );
  });
});
