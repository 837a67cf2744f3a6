import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  createReadStream,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { BLOCK } from "../../src/tar/header.ts";
import { type ReadTarOptions, readTar, type TarEntry } from "../../src/tar/reader.ts";
import { type PyTarEntry, pythonList, pythonTar } from "../helpers/python-tar.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-tar-reader-"));
after(() => rmSync(root, { recursive: true, force: true }));

const MTIME = 1700000000;

interface ReadEntry extends Omit<TarEntry, "body" | "skip"> {
  data: Buffer;
}

/** `bytes` as a stream of `size`-byte chunks: small sizes split headers and bodies across chunks. */
async function* chunks(bytes: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function readAll(source: AsyncIterable<Uint8Array>, options: Partial<ReadTarOptions> = {}) {
  const out: ReadEntry[] = [];
  for await (const entry of readTar(source, { origin: "test.tar", ...options })) {
    const parts: Buffer[] = [];
    for await (const c of entry.body) parts.push(Buffer.from(c));
    const { body: _body, skip: _skip, ...rest } = entry;
    out.push({ ...rest, data: Buffer.concat(parts) });
  }
  return out;
}

/** Deterministic bytes that do not compress. */
function noise(n: number, seed: string): Buffer {
  const out = Buffer.alloc(n);
  let block = createHash("sha256").update(seed).digest();
  for (let i = 0; i < n; i += 32) {
    block.copy(out, i, 0, Math.min(32, n - i));
    block = createHash("sha256").update(block).digest();
  }
  return out;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function normal(name: string): string {
  const n = name.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
  return n === "." ? "" : n;
}

// 150 characters, splittable into ustar's prefix and name.
const PATH_150 = `usr/share/${"p".repeat(60)}/${"q".repeat(40)}/${"r".repeat(37)}`;
// 300 characters, for GNU long names and PAX.
const PATH_300 = `usr/share/${Array.from({ length: 9 }, (_, i) => String(i).repeat(31)).join("/")}`;
const LONG_TARGET = `../${"t".repeat(120)}/target`;

/** A tree on disk for GNU tar to archive, with what each format can hold. */
function makeTree(format: "gnu" | "pax" | "ustar"): string {
  const dir = join(root, `tree-${format}`);
  const put = (path: string, content: string | Buffer, mode = 0o644) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
    chmodSync(join(dir, path), mode);
  };
  put("usr/bin/tool", "#!/bin/sh\necho tool\n", 0o4755);
  put("usr/lib/libx.so.1.2", noise(70_000, "libx"), 0o644);
  symlinkSync("libx.so.1.2", join(dir, "usr/lib/libx.so.1"));
  linkSync(join(dir, "usr/lib/libx.so.1.2"), join(dir, "usr/lib/libx-hard.so"));
  put("usr/share/empty", "");
  put("usr/share/doc/ñandú-日本.txt", "non-ascii\n", 0o600);
  put(PATH_150, "a hundred and fifty\n");
  if (format !== "ustar") {
    put(PATH_300, "three hundred\n");
    symlinkSync(LONG_TARGET, join(dir, "usr/share/long-link"));
  }
  return dir;
}

const archives = new Map<string, string>();

/** The archive GNU tar makes of that tree in `format`, made once. */
function gnuTar(format: "gnu" | "pax" | "ustar"): string {
  const made = archives.get(format);
  if (made) return made;
  const dir = makeTree(format);
  const file = join(root, `${format}.tar`);
  archives.set(format, file);
  const owner =
    format === "ustar" ? ["--owner=root:0", "--group=root:0"] : ["--owner=big:3000000", "--group=root:0"];
  execFileSync("tar", [
    `--format=${format}`,
    "--sort=name",
    "--numeric-owner",
    ...owner,
    `--mtime=@${MTIME}`,
    "-cf",
    file,
    "-C",
    dir,
    ".",
  ]);
  return file;
}

describe("archives made by GNU tar", () => {
  for (const format of ["gnu", "pax", "ustar"] as const) {
    test(`--format=${format} reads as tarfile reads it`, async () => {
      const file = gnuTar(format);
      const expected = pythonList(file).map((m) => ({
        path: normal(m.name),
        type: m.type === "dir" ? "directory" : m.type,
        mode: m.mode,
        uid: m.uid,
        linkname: m.type === "hardlink" ? normal(m.linkname) : m.type === "symlink" ? m.linkname : undefined,
        sha256: m.sha256,
      }));
      // Odd-sized chunks split headers and bodies across reads.
      for (const source of [createReadStream(file), chunks(readFileSync(file), 777)]) {
        const got = (await readAll(source)).map((e) => ({
          path: e.path,
          type: e.type,
          mode: e.mode,
          uid: e.uid,
          linkname: e.linkname,
          sha256: e.type === "file" ? sha256(e.data) : undefined,
        }));
        assert.deepEqual(got, expected);
      }
    });
  }

  test("--format=gnu: long names, long link targets and a base-256 uid", async () => {
    const entries = await readAll(createReadStream(gnuTar("gnu")));
    const byPath = new Map(entries.map((e) => [e.path, e]));
    assert.equal(byPath.get(PATH_300)?.data.toString(), "three hundred\n");
    assert.equal(byPath.get("usr/share/long-link")?.linkname, LONG_TARGET);
    assert.equal(byPath.get("usr/bin/tool")?.mode, 0o4755);
    assert.equal(byPath.get("usr/bin/tool")?.uid, 3000000);
    assert.equal(byPath.get("usr/bin/tool")?.mtime, MTIME);
    assert.equal(byPath.get("usr/share/doc/ñandú-日本.txt")?.mode, 0o600);
    assert.equal(byPath.get("")?.type, "directory");
    // --sort=name stores libx-hard.so first; the other name becomes the link.
    assert.equal(byPath.get("usr/lib/libx.so.1.2")?.type, "hardlink");
    assert.equal(byPath.get("usr/lib/libx.so.1.2")?.linkname, "usr/lib/libx-hard.so");
    assert.equal(byPath.get("usr/lib/libx.so.1.2")?.size, 0);
    assert.deepEqual(byPath.get("usr/lib/libx-hard.so")?.data, noise(70_000, "libx"));
  });

  test("--format=pax: path, linkpath and uid from extended headers", async () => {
    const entries = await readAll(createReadStream(gnuTar("pax")));
    const byPath = new Map(entries.map((e) => [e.path, e]));
    assert.equal(byPath.get(PATH_300)?.data.toString(), "three hundred\n");
    assert.equal(byPath.get("usr/share/long-link")?.linkname, LONG_TARGET);
    assert.equal(byPath.get("usr/share/doc/ñandú-日本.txt")?.data.toString(), "non-ascii\n");
    assert.equal(byPath.get("usr/bin/tool")?.uid, 3000000);
    assert.equal(byPath.get("usr/bin/tool")?.mtime, MTIME);
  });

  test("--format=ustar: a 150-character path from prefix and name", async () => {
    const entries = await readAll(createReadStream(gnuTar("ustar")));
    const entry = entries.find((e) => e.path === PATH_150);
    assert.equal(entry?.data.toString(), "a hundred and fifty\n");
  });
});

describe("bodies", () => {
  test("a body left unread, half read or skipped does not shift the next header", async () => {
    const big = noise(300_000, "big");
    const file = join(root, "bodies.tar");
    const dir = join(root, "bodies");
    mkdirSync(dir);
    writeFileSync(join(dir, "a-unread"), big);
    writeFileSync(join(dir, "b-half"), big);
    writeFileSync(join(dir, "c-skipped"), noise(1001, "c"));
    writeFileSync(join(dir, "d-last"), "last\n");
    execFileSync("tar", ["--format=gnu", "--sort=name", "-cf", file, "-C", dir, "."]);
    const seen: string[] = [];
    let last = "";
    for await (const entry of readTar(chunks(readFileSync(file), 4096), { origin: "bodies.tar" })) {
      seen.push(entry.path);
      if (entry.path === "b-half") {
        for await (const c of entry.body) {
          assert.deepEqual(c, big.subarray(0, c.length));
          break;
        }
      } else if (entry.path === "c-skipped") {
        await entry.skip();
      } else if (entry.path === "d-last") {
        for await (const c of entry.body) last += c.toString();
      }
    }
    assert.deepEqual(seen, ["", "a-unread", "b-half", "c-skipped", "d-last"]);
    assert.equal(last, "last\n");
  });
});

describe("broken archives", () => {
  const simple = () =>
    pythonTar([
      { name: "usr/a", data: "x".repeat(2000) },
      { name: "usr/b", data: "b" },
    ]);

  test("a header whose checksum does not match is TAR_INVALID", async () => {
    const bytes = simple();
    bytes[0] ^= 0x01;
    await assert.rejects(readAll(chunks(bytes)), { code: "TAR_INVALID" });
  });

  test("an archive cut inside a body is TAR_INVALID", async () => {
    const bytes = simple().subarray(0, BLOCK + 1000);
    await assert.rejects(readAll(chunks(bytes)), { code: "TAR_INVALID" });
  });

  test("an archive cut inside a header is TAR_INVALID", async () => {
    const bytes = simple().subarray(0, BLOCK * 5 + 100);
    await assert.rejects(readAll(chunks(bytes)), { code: "TAR_INVALID" });
  });

  test("an archive cut between entries, without its end-of-archive block, is TAR_INVALID", async () => {
    // usr/a's header and 2000 bytes padded to 2048, then nothing: usr/b is lost.
    const bytes = simple().subarray(0, BLOCK + 2048);
    await assert.rejects(readAll(chunks(bytes)), { code: "TAR_INVALID" });
  });

  test("a header that claims more bytes than follow is TAR_INVALID", async () => {
    const bytes = Buffer.from(pythonTar([{ name: "usr/a", data: "short" }], { format: "ustar" }));
    setSize(bytes.subarray(0, BLOCK), 1_000_000);
    await assert.rejects(readAll(chunks(bytes)), { code: "TAR_INVALID" });
  });

  test("a size field that is not octal is TAR_INVALID", async () => {
    const bytes = Buffer.from(pythonTar([{ name: "usr/a", data: "short" }], { format: "ustar" }));
    bytes.write("0000000009x\0", 124, "latin1");
    fixChecksum(bytes.subarray(0, BLOCK));
    await assert.rejects(readAll(chunks(bytes)), { code: "TAR_INVALID" });
  });

  test("an entry over maxEntrySize is TAR_TOO_LARGE before its body is read", async () => {
    const bytes = simple();
    await assert.rejects(readAll(chunks(bytes), { maxEntrySize: 1000 }), { code: "TAR_TOO_LARGE" });
    // The limit is on the declared size: a lying header is refused without waiting for the bytes.
    const liar = Buffer.from(bytes.subarray(0, BLOCK));
    setSize(liar, 5 * 1024 ** 3);
    await assert.rejects(readAll(chunks(liar), { maxEntrySize: 1024 ** 3 }), { code: "TAR_TOO_LARGE" });
  });

  test("more entries than maxEntries is TAR_TOO_LARGE", async () => {
    await assert.rejects(readAll(chunks(simple()), { maxEntries: 1 }), { code: "TAR_TOO_LARGE" });
  });
});

/** Set a header's octal size field and its checksum. */
function setSize(header: Buffer, size: number): void {
  if (size > 0o77777777777) {
    header.fill(0, 124, 136);
    header[124] = 0x80;
    header.writeUIntBE(size, 130, 6);
  } else {
    header.write(`${size.toString(8).padStart(11, "0")}\0`, 124, "latin1");
  }
  fixChecksum(header);
}

function fixChecksum(header: Buffer): void {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += header[i];
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
}

describe("hostile entries (python3 tarfile)", () => {
  const hostile = (entries: PyTarEntry[], options: Partial<ReadTarOptions> = {}) =>
    readAll(chunks(pythonTar([{ name: "usr/", type: "dir" }, ...entries])), options);

  test("path traversal: ../../etc/passwd is TAR_PATH_TRAVERSAL", async () => {
    await assert.rejects(hostile([{ name: "../../etc/passwd", data: "root::0:0::/:/bin/sh\n" }]), {
      code: "TAR_PATH_TRAVERSAL",
    });
  });

  test("path traversal: a '..' in the middle (usr/../../etc/passwd) is TAR_PATH_TRAVERSAL", async () => {
    await assert.rejects(hostile([{ name: "usr/../../etc/passwd", data: "x" }]), {
      code: "TAR_PATH_TRAVERSAL",
    });
  });

  test("path traversal through a GNU long name is TAR_PATH_TRAVERSAL", async () => {
    await assert.rejects(hostile([{ name: `${"../".repeat(40)}etc/passwd`, data: "x" }]), {
      code: "TAR_PATH_TRAVERSAL",
    });
  });

  test("absolute path: /etc/x is TAR_ABSOLUTE_PATH", async () => {
    await assert.rejects(hostile([{ name: "/etc/x", data: "x" }]), { code: "TAR_ABSOLUTE_PATH" });
  });

  test("escaping symlink: usr/lib/evil -> ../../../../etc/shadow is TAR_LINK_ESCAPE", async () => {
    await assert.rejects(
      hostile([{ name: "usr/lib/evil", type: "symlink", linkname: "../../../../etc/shadow" }]),
      { code: "TAR_LINK_ESCAPE" },
    );
  });

  test("a symlink that climbs only to the root stays inside and is allowed", async () => {
    const entries = await hostile([
      { name: "usr/lib/ok", type: "symlink", linkname: "../../etc/alternatives/x" },
    ]);
    assert.equal(entries.at(-1)?.linkname, "../../etc/alternatives/x");
  });

  test("an absolute symlink target resolves inside the image root and is allowed", async () => {
    const entries = await hostile([{ name: "usr/lib/abs", type: "symlink", linkname: "/etc/shadow" }]);
    assert.deepEqual(
      entries.map((e) => [e.path, e.type, e.linkname]),
      [
        ["usr", "directory", undefined],
        ["usr/lib/abs", "symlink", "/etc/shadow"],
      ],
    );
  });

  test("escaping hardlink: usr/h -> ../outside is TAR_LINK_ESCAPE", async () => {
    await assert.rejects(hostile([{ name: "usr/h", type: "hardlink", linkname: "../outside" }]), {
      code: "TAR_LINK_ESCAPE",
    });
  });

  test("escaping hardlink: an absolute target /etc/shadow is TAR_LINK_ESCAPE", async () => {
    await assert.rejects(hostile([{ name: "usr/h", type: "hardlink", linkname: "/etc/shadow" }]), {
      code: "TAR_LINK_ESCAPE",
    });
  });

  test("write through a symlink: usr/lib/dir -> /etc, then usr/lib/dir/passwd is TAR_LINK_ESCAPE", async () => {
    await assert.rejects(
      hostile([
        { name: "usr/lib/dir", type: "symlink", linkname: "/etc" },
        { name: "usr/lib/dir/passwd", data: "root::0:0::/:/bin/sh\n" },
      ]),
      { code: "TAR_LINK_ESCAPE" },
    );
  });

  test("hardlink through a symlink: usr/lib/dir -> /etc, then usr/h -> usr/lib/dir/shadow is TAR_LINK_ESCAPE", async () => {
    await assert.rejects(
      hostile([
        { name: "usr/lib/dir", type: "symlink", linkname: "/etc" },
        { name: "usr/h", type: "hardlink", linkname: "usr/lib/dir/shadow" },
      ]),
      { code: "TAR_LINK_ESCAPE" },
    );
  });

  for (const type of ["chardev", "blockdev", "fifo"] as const) {
    test(`device node: a ${type} is TAR_DEVICE_NODE`, async () => {
      await assert.rejects(hostile([{ name: "dev/node", type }]), { code: "TAR_DEVICE_NODE" });
    });
  }

  test("with skipSpecial, device nodes and fifos are skipped and the rest still reads", async () => {
    const entries = await hostile(
      [
        { name: "dev/null", type: "chardev" },
        { name: "dev/sda", type: "blockdev" },
        { name: "run/fifo", type: "fifo" },
        { name: "usr/after", data: "after\n" },
      ],
      { skipSpecial: true },
    );
    assert.deepEqual(
      entries.map((e) => [e.path, e.data.toString()]),
      [
        ["usr", ""],
        ["usr/after", "after\n"],
      ],
    );
  });
});
