// Corners of the tar format where readers disagree, built block by block
// with the header encoder so each test holds exactly the bytes it is about.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ErrorCode, isCudasealError } from "../../src/errors.ts";
import { BLOCK, encodeHeader, type HeaderFields, padding } from "../../src/tar/header.ts";
import { type ReadTarOptions, readTar, type TarEntry } from "../../src/tar/reader.ts";

const END = Buffer.alloc(2 * BLOCK);

function entry(fields: Partial<HeaderFields>, body = Buffer.alloc(0)): Buffer {
  const h = encodeHeader({
    name: "x",
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: body.length,
    mtime: 0,
    typeflag: "0",
    linkname: "",
    ...fields,
  });
  return Buffer.concat([h, body, Buffer.alloc(padding(body.length))]);
}

function pax(typeflag: "x" | "g", records: Record<string, string>): Buffer {
  const text = Object.entries(records)
    .map(([k, v]) => {
      const rest = Buffer.byteLength(` ${k}=${v}\n`);
      let len = rest + String(rest).length;
      if (String(len).length + rest !== len) len = rest + String(len).length;
      return `${len} ${k}=${v}\n`;
    })
    .join("");
  return entry({ name: "pax", typeflag }, Buffer.from(text));
}

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

async function read(
  parts: Buffer[],
  options: Partial<ReadTarOptions> = {},
): Promise<(Omit<TarEntry, "body" | "skip"> & { data: string })[]> {
  const out = [];
  for await (const e of readTar(once(Buffer.concat(parts)), { origin: "edge.tar", ...options })) {
    let data = "";
    for await (const c of e.body) data += c.toString();
    const { body: _b, skip: _s, ...rest } = e;
    out.push({ ...rest, data });
  }
  return out;
}

async function refused(
  code: ErrorCode,
  parts: Buffer[],
  options: Partial<ReadTarOptions> = {},
): Promise<void> {
  await assert.rejects(read(parts, options), (err) => {
    assert.ok(isCudasealError(err, code), `expected ${code}, got ${String(err)}`);
    return true;
  });
}

describe("PAX", () => {
  test("an x header sets path, linkpath, uid, gid, size and a fractional mtime for the next entry only", async () => {
    const got = await read([
      pax("x", { path: "usr/ñ/long", uid: "3000000", gid: "7", mtime: "1700000000.75", size: "3" }),
      entry({ name: "stand-in", size: 3 }, Buffer.from("abc")),
      pax("x", { linkpath: "target/é" }),
      entry({ name: "usr/link", typeflag: "2", linkname: "x" }),
      entry({ name: "plain" }, Buffer.from("p")),
      END,
    ]);
    assert.deepEqual(
      got.map((e) => [e.path, e.type, e.uid, e.gid, e.mtime, e.size, e.linkname, e.data]),
      [
        ["usr/ñ/long", "file", 3_000_000, 7, 1_700_000_000, 3, undefined, "abc"],
        ["usr/link", "symlink", 0, 0, 0, 0, "target/é", ""],
        ["plain", "file", 0, 0, 0, 1, undefined, "p"],
      ],
    );
  });

  test("a g header applies to every later entry; an x record with an empty value cancels it", async () => {
    const got = await read([
      pax("g", { uid: "42", comment: "made by a test" }),
      entry({ name: "a" }),
      pax("x", { uid: "" }),
      entry({ name: "b", uid: 5 }),
      entry({ name: "c" }),
      END,
    ]);
    assert.deepEqual(
      got.map((e) => [e.path, e.uid]),
      [
        ["a", 42],
        ["b", 5],
        ["c", 42],
      ],
    );
  });

  test("a g header setting path, linkpath or size is TAR_INVALID", async () => {
    for (const key of ["path", "linkpath", "size"]) {
      await refused("TAR_INVALID", [pax("g", { [key]: "1" }), entry({}), END]);
    }
  });

  test("numbers that are not plain decimals are TAR_INVALID (no 0x, no exponents)", async () => {
    for (const [key, value] of [
      ["size", "0x10"],
      ["size", "1e3"],
      ["uid", "-1"],
      ["mtime", "soon"],
    ]) {
      await refused("TAR_INVALID", [pax("x", { [key]: value }), entry({}), END]);
    }
  });

  test("GNU sparse files are TAR_INVALID rather than read as garbage", async () => {
    await refused("TAR_INVALID", [
      pax("x", { "GNU.sparse.major": "1", "GNU.sparse.minor": "0" }),
      entry({}),
      END,
    ]);
  });

  test("an extended header with no entry after it is TAR_INVALID", async () => {
    await refused("TAR_INVALID", [pax("x", { path: "lost" }), END]);
  });

  test("a PAX header over maxMetaSize is TAR_TOO_LARGE", async () => {
    await refused("TAR_TOO_LARGE", [pax("x", { comment: "c".repeat(5000) }), entry({}), END], {
      maxMetaSize: 4096,
    });
  });
});

describe("GNU long names", () => {
  test("L and K entries give the next entry its name and link target", async () => {
    const name = `usr/${"n".repeat(200)}`;
    const target = `/opt/${"t".repeat(200)}`;
    const got = await read([
      entry({ name: "././@LongLink", typeflag: "L" }, Buffer.from(`${name}\0`)),
      entry({ name: "././@LongLink", typeflag: "K" }, Buffer.from(`${target}\0`)),
      entry({ name: "cut", typeflag: "2", linkname: "cut" }),
      END,
    ]);
    assert.deepEqual(
      got.map((e) => [e.path, e.linkname]),
      [[name, target]],
    );
  });
});

describe("types", () => {
  test("an old-style file entry whose name ends in / is a directory", async () => {
    const got = await read([entry({ name: "./usr/", typeflag: "\0" }), END]);
    assert.deepEqual(
      got.map((e) => [e.path, e.type]),
      [["usr", "directory"]],
    );
  });

  test("a directory, link or device that declares data is TAR_INVALID: readers disagree on what follows", async () => {
    for (const typeflag of ["5", "2", "1", "3", "6"]) {
      await refused("TAR_INVALID", [
        entry({ name: "d", typeflag, linkname: "t" }, Buffer.from("hidden header?")),
        END,
      ]);
    }
  });

  test("an unknown type is TAR_INVALID, or skipped with skipSpecial", async () => {
    const parts = [entry({ name: "vol", typeflag: "V" }), entry({ name: "ok" }, Buffer.from("ok")), END];
    await refused("TAR_INVALID", parts);
    assert.deepEqual(
      (await read(parts, { skipSpecial: true })).map((e) => e.path),
      ["ok"],
    );
  });

  test("file-type bits some writers put in the mode are dropped; setuid is kept", async () => {
    const [e] = await read([entry({ name: "f", mode: 0o104755 }), END]);
    assert.equal(e.mode, 0o4755);
  });

  test("a negative base-256 size is TAR_INVALID", async () => {
    const bad = entry({ name: "f" });
    Buffer.alloc(12, 0xff).copy(bad, 124);
    bad.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += bad[i];
    bad.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
    await refused("TAR_INVALID", [bad, END]);
  });
});

describe("the end of the archive", () => {
  test("one zero block is enough, and record padding after the end is fine", async () => {
    assert.equal((await read([entry({}), Buffer.alloc(BLOCK)])).length, 1);
    assert.equal((await read([entry({}), Buffer.alloc(10240)])).length, 1);
  });

  test("anything but zeros after the end block is TAR_INVALID, unless trailer is 'ignore'", async () => {
    const hidden = [entry({ name: "seen" }), END, entry({ name: "hidden" }), END];
    await refused("TAR_INVALID", hidden);
    assert.deepEqual(
      (await read(hidden, { trailer: "ignore" })).map((e) => e.path),
      ["seen"],
    );
  });

  test("a file with an empty name is TAR_INVALID; the root directory may be ``", async () => {
    await refused("TAR_INVALID", [entry({ name: ".", typeflag: "0" }, Buffer.from("x")), END]);
    assert.deepEqual(
      (await read([entry({ name: "./", typeflag: "5" }), END])).map((e) => [e.path, e.type]),
      [["", "directory"]],
    );
  });

  test("more file bytes than maxTotalSize is TAR_TOO_LARGE", async () => {
    const body = Buffer.alloc(600);
    await refused("TAR_TOO_LARGE", [entry({ name: "a" }, body), entry({ name: "b" }, body), END], {
      maxTotalSize: 1000,
    });
  });
});
