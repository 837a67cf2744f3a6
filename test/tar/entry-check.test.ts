import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ErrorCode, isCudasealError } from "../../src/errors.ts";
import {
  type CheckContext,
  checkHardlink,
  checkSymlink,
  refuseSpecial,
  SymlinkTracker,
  safePath,
} from "../../src/tar/entry-check.ts";

const ctx: CheckContext = { origin: "libevil", package: "libevil" };

function refused(code: ErrorCode, fn: () => unknown, entry?: string): void {
  assert.throws(fn, (err) => {
    assert.ok(isCudasealError(err, code), `expected ${code}, got ${String(err)}`);
    assert.equal(err.details?.package, "libevil");
    if (entry !== undefined) assert.equal(err.details?.entry, entry);
    return true;
  });
}

describe("safePath", () => {
  test("Debian's ./-prefixed paths become canonical relative paths", () => {
    assert.equal(safePath("./usr/lib/x", ctx), "usr/lib/x");
    assert.equal(safePath("./", ctx), "");
    assert.equal(safePath(".", ctx), "");
    assert.equal(safePath("./usr//share/./doc/", ctx), "usr/share/doc");
    assert.equal(safePath("usr/bin/..hidden", ctx), "usr/bin/..hidden");
  });

  test("an absolute path is TAR_ABSOLUTE_PATH", () => {
    refused("TAR_ABSOLUTE_PATH", () => safePath("/etc/x", ctx), "/etc/x");
    refused("TAR_ABSOLUTE_PATH", () => safePath("//etc/x", ctx));
  });

  test("any '..' part is TAR_PATH_TRAVERSAL, even one that would come back inside", () => {
    for (const raw of ["./../../etc/passwd", "../x", "usr/../../etc/x", "usr/..", "usr/lib/../bin/x"]) {
      refused("TAR_PATH_TRAVERSAL", () => safePath(raw, ctx), raw);
    }
  });

  test("a NUL byte is TAR_INVALID", () => {
    refused("TAR_INVALID", () => safePath("usr/x\0/../../y", ctx));
  });
});

describe("checkSymlink", () => {
  test("targets that stay inside the root, relative or absolute, pass", () => {
    checkSymlink("usr/lib/libx.so", "libx.so.1", ctx);
    checkSymlink("usr/lib/x", "../../etc/alternatives/x", ctx);
    checkSymlink("usr/lib/x", "../..", ctx);
    checkSymlink("usr/lib/evil", "/etc/shadow", ctx);
    checkSymlink("lib", "usr/lib", ctx);
  });

  test("a relative target that climbs above the root is TAR_LINK_ESCAPE", () => {
    refused(
      "TAR_LINK_ESCAPE",
      () => checkSymlink("usr/lib/evil", "../../../../etc/shadow", ctx),
      "usr/lib/evil",
    );
    refused("TAR_LINK_ESCAPE", () => checkSymlink("x", "../x", ctx));
    // Dipping out and back in is still out: `..` above the root is the host's.
    refused("TAR_LINK_ESCAPE", () => checkSymlink("usr/x", "../../usr/y", ctx));
  });

  test("an empty target is TAR_INVALID", () => {
    refused("TAR_INVALID", () => checkSymlink("usr/x", "", ctx));
  });
});

describe("checkHardlink", () => {
  test("a target inside the archive comes back canonical", () => {
    assert.equal(checkHardlink("usr/bin/b", "./usr/bin/a", ctx), "usr/bin/a");
  });

  test("a target that climbs or is absolute is TAR_LINK_ESCAPE", () => {
    refused("TAR_LINK_ESCAPE", () => checkHardlink("usr/h", "../outside", ctx), "usr/h");
    refused("TAR_LINK_ESCAPE", () => checkHardlink("usr/h", "/etc/shadow", ctx), "usr/h");
  });

  test("an empty target, or the link itself, is TAR_INVALID", () => {
    refused("TAR_INVALID", () => checkHardlink("usr/h", "", ctx));
    refused("TAR_INVALID", () => checkHardlink("usr/h", "./usr/h", ctx));
  });
});

test("refuseSpecial is TAR_DEVICE_NODE naming the entry", () => {
  refused("TAR_DEVICE_NODE", () => refuseSpecial("dev/kmem", "chardev", ctx), "dev/kmem");
});

describe("SymlinkTracker", () => {
  test("an entry beneath a symlink of the same archive is TAR_LINK_ESCAPE", () => {
    const links = new SymlinkTracker(ctx);
    links.note("usr/lib/d", "symlink");
    links.checkParents("usr/lib/x", "file");
    links.checkParents("usr/lib/d", "symlink");
    refused("TAR_LINK_ESCAPE", () => links.checkParents("usr/lib/d/passwd", "file"), "usr/lib/d/passwd");
  });

  test("a later entry that replaces the symlink clears it", () => {
    const links = new SymlinkTracker(ctx);
    links.note("opt/d", "symlink");
    links.note("opt/d", "directory");
    links.checkParents("opt/d/file", "file");
  });
});
