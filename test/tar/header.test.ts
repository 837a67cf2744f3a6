import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import {
  BLOCK,
  encodeHeader,
  type HeaderFields,
  isZeroBlock,
  padding,
  parseHeader,
  parsePax,
} from "../../src/tar/header.ts";

const base: HeaderFields = {
  name: "usr/bin/tool",
  mode: 0o755,
  uid: 0,
  gid: 0,
  size: 42,
  mtime: 1_700_000_000,
  typeflag: "0",
  linkname: "",
};

/** Recompute a block's checksum after a test changed it. */
function reseal(block: Buffer): Buffer {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return block;
}

/** The PAX records and the main header of an encoded entry that needed a PAX header. */
function splitPax(bytes: Buffer): { records: Map<string, string>; main: Buffer } {
  const pax = parseHeader(bytes.subarray(0, BLOCK));
  assert.equal(pax.type, "pax");
  const dataEnd = BLOCK + pax.size;
  const mainAt = BLOCK + pax.size + padding(pax.size);
  assert.equal(bytes.length, mainAt + BLOCK);
  return { records: parsePax(bytes.subarray(BLOCK, dataEnd)), main: bytes.subarray(mainAt) };
}

describe("encodeHeader then parseHeader", () => {
  test("a plain entry is one ustar block whose fields read back", () => {
    const block = encodeHeader(base);
    assert.equal(block.length, BLOCK);
    const h = parseHeader(block);
    assert.deepEqual({ ...h }, { ...base, type: "file", typeflag: "0", format: "ustar", linkname: "" });
    assert.equal(block.toString("latin1", 257, 265), "ustar\u000000");
    // No user or group names, zero device numbers.
    assert.ok(block.subarray(265, 329).every((b) => b === 0));
    assert.equal(block.toString("latin1", 329, 345), "0000000\u00000000000\u0000");
  });

  test("a 150-byte path is split at a slash into prefix and name, without PAX", () => {
    const name = `usr/share/${"p".repeat(60)}/${"q".repeat(40)}/${"r".repeat(37)}`;
    const block = encodeHeader({ ...base, name });
    assert.equal(block.length, BLOCK);
    assert.equal(parseHeader(block).name, name);
  });

  test("a name part over 100 bytes cannot be split and goes to PAX", () => {
    const name = `usr/${"n".repeat(120)}`;
    const { records, main } = splitPax(encodeHeader({ ...base, name }));
    assert.equal(records.get("path"), name);
    assert.equal(parseHeader(main).size, 42);
  });

  test("non-ASCII paths and link targets go to PAX, with a printable stand-in in the block", () => {
    const name = "usr/share/doc/ñandú-日本.txt";
    const { records, main } = splitPax(
      encodeHeader({ ...base, name, typeflag: "2", size: 0, linkname: "cible-é" }),
    );
    assert.equal(records.get("path"), name);
    assert.equal(records.get("linkpath"), "cible-é");
    assert.match(main.toString("latin1", 0, 100).replace(/\0+$/, ""), /^[\x20-\x7e]+$/);
  });

  test("sizes, ids and dates ustar cannot hold go to PAX and are zero in the block", () => {
    const big = { ...base, size: 10 * 1024 ** 3, uid: 3_000_000, gid: 4_000_000, mtime: -86_400 };
    const { records, main } = splitPax(encodeHeader(big));
    assert.equal(records.get("size"), String(10 * 1024 ** 3));
    assert.equal(records.get("uid"), "3000000");
    assert.equal(records.get("gid"), "4000000");
    assert.equal(records.get("mtime"), "-86400");
    const h = parseHeader(main);
    assert.deepEqual([h.size, h.uid, h.gid, h.mtime], [0, 0, 0, 0]);
  });

  test("PAX record lengths count their own digits, across the 2-to-3 digit boundary", () => {
    for (let n = 80; n < 100; n++) {
      const name = `a/${"x".repeat(n)}/${"y".repeat(101)}`;
      const { records } = splitPax(encodeHeader({ ...base, name }));
      assert.equal(records.get("path"), name);
    }
  });

  test("the same fields always give the same bytes", () => {
    const long = { ...base, name: `usr/${"z".repeat(300)}`, uid: 5_000_000 };
    assert.deepEqual(encodeHeader(long), encodeHeader({ ...long }));
  });
});

describe("parseHeader", () => {
  test("a checksum that does not match is TAR_INVALID", () => {
    const block = encodeHeader(base);
    block[0] ^= 0x01;
    assert.throws(
      () => parseHeader(block),
      (err) => isCudasealError(err, "TAR_INVALID"),
    );
  });

  test("a checksum summed over signed bytes, as old writers did, is accepted", () => {
    const block = encodeHeader({ ...base, name: "usr/x" });
    block[10] = 0xe9; // a latin1 byte in the name, counted negative
    block.fill(0x20, 148, 156);
    let signed = 0;
    for (const b of block) signed += b > 127 ? b - 256 : b;
    block.write(`${signed.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
    assert.equal(parseHeader(block).size, 42);
  });

  test("GNU base-256 numbers: a 10 GiB size and a negative mtime", () => {
    const block = encodeHeader(base);
    const size = Buffer.alloc(12);
    size.writeBigUInt64BE(10n * 1024n ** 3n, 4);
    size[0] = 0x80;
    size.copy(block, 124);
    // -1 day in twelve bytes of two's complement.
    const mtime = Buffer.alloc(12, 0xff);
    mtime.writeBigInt64BE(-86_400n, 4);
    mtime.copy(block, 136);
    const h = parseHeader(reseal(block));
    assert.equal(h.size, 10 * 1024 ** 3);
    assert.equal(h.mtime, -86_400);
  });

  test("a base-256 number beyond 2^53 is TAR_INVALID", () => {
    const block = encodeHeader(base);
    Buffer.from([0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).copy(block, 124);
    assert.throws(
      () => parseHeader(reseal(block)),
      (err) => isCudasealError(err, "TAR_INVALID"),
    );
  });

  test("octal fields may be space or NUL padded on either side; other bytes are TAR_INVALID", () => {
    const block = encodeHeader(base);
    block.write(" 755 \0\0\0", 100, 8, "latin1");
    assert.equal(parseHeader(reseal(block)).mode, 0o755);
    block.write("0007x5\0\0", 100, 8, "latin1");
    assert.throws(
      () => parseHeader(reseal(block)),
      (err) => isCudasealError(err, "TAR_INVALID"),
    );
  });

  test("the prefix field counts only in POSIX ustar: GNU keeps other things there", () => {
    const block = encodeHeader({ ...base, name: "short" });
    block.write("garbage-prefix", 345, "latin1");
    assert.equal(parseHeader(reseal(block)).name, "garbage-prefix/short");
    block.write("ustar  \0", 257, 8, "latin1");
    const gnu = parseHeader(reseal(block));
    assert.equal(gnu.format, "gnu");
    assert.equal(gnu.name, "short");
  });

  test("type flags map to entry types; unknown ones are 'other'", () => {
    const types: [string, string][] = [
      ["0", "file"],
      ["\0", "file"],
      ["7", "file"],
      ["1", "hardlink"],
      ["2", "symlink"],
      ["3", "chardev"],
      ["4", "blockdev"],
      ["5", "directory"],
      ["6", "fifo"],
      ["x", "pax"],
      ["g", "pax-global"],
      ["L", "gnu-longname"],
      ["K", "gnu-longlink"],
      ["S", "other"],
      ["V", "other"],
    ];
    for (const [flag, type] of types) {
      assert.equal(
        parseHeader(encodeHeader({ ...base, typeflag: flag })).type,
        type,
        `typeflag ${JSON.stringify(flag)}`,
      );
    }
  });

  test("isZeroBlock tells the end-of-archive block from a header", () => {
    assert.ok(isZeroBlock(Buffer.alloc(BLOCK)));
    assert.ok(!isZeroBlock(encodeHeader(base)));
  });
});

describe("parsePax", () => {
  const record = (key: string, value: string) => {
    const rest = Buffer.byteLength(` ${key}=${value}\n`);
    let len = rest + String(rest).length;
    if (String(len).length + rest !== len) len = rest + String(len).length;
    return `${len} ${key}=${value}\n`;
  };

  test("records in order, UTF-8 values, later keys win, NUL padding ends the data", () => {
    const data = Buffer.concat([
      Buffer.from(record("path", "a/ü") + record("uid", "1") + record("uid", "2") + record("comment", "x=y")),
      Buffer.alloc(40),
    ]);
    const m = parsePax(data);
    assert.equal(m.get("path"), "a/ü");
    assert.equal(m.get("uid"), "2");
    assert.equal(m.get("comment"), "x=y");
  });

  test("an empty value is kept, so the reader can let it delete a field", () => {
    assert.equal(parsePax(Buffer.from(record("path", ""))).get("path"), "");
  });

  for (const [what, text] of [
    ["a length that runs past the data", "99 path=a\n"],
    ["a length shorter than its own prefix", "2 path=a\n"],
    ["a record without its newline", "10 path=ab"],
    ["a length that is not a number", "1x path=a\n"],
    ["a record without a key", "8 =value\n"],
    ["no length at all", "path=a\n"],
  ]) {
    test(`${what} is TAR_INVALID`, () => {
      assert.throws(
        () => parsePax(Buffer.from(text)),
        (err) => isCudasealError(err, "TAR_INVALID"),
      );
    });
  }
});
