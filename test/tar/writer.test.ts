import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { BLOCK } from "../../src/tar/header.ts";
import { readTar } from "../../src/tar/reader.ts";
import { type TarWriteEntry, writeTar } from "../../src/tar/writer.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-tar-writer-"));
after(() => rmSync(root, { recursive: true, force: true }));

const MTIME = 1700000000;
// 150 characters: fits ustar's prefix (155) and name (100) when split at a slash.
const PATH_150 = `usr/share/${"p".repeat(60)}/${"q".repeat(40)}/${"r".repeat(37)}`;
// 300 characters: only a PAX path holds it.
const PATH_300 = `usr/share/${Array.from({ length: 9 }, (_, i) => String(i).repeat(31)).join("/")}`;
const NON_ASCII = "usr/share/doc/ñandú-日本.txt";
const LONG_TARGET = `/opt/${"t".repeat(140)}/target`;
const BIG_UID = 3_000_000; // over ustar's 7 octal digits

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

async function* inChunks(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  // Plain Uint8Arrays, not Buffers: the writer must take either.
  for (let i = 0; i < bytes.length; i += size) yield new Uint8Array(bytes.subarray(i, i + size));
}

const LIB = noise(70_000, "libx");

/** A fresh list each call: streamed bodies can be read once. */
function sample(): TarWriteEntry[] {
  const base = { uid: 0, gid: 0, mtime: MTIME };
  const file = (path: string, content: string | Buffer, mode = 0o644) => {
    const body = Buffer.from(content);
    return { ...base, path, type: "file" as const, mode, size: body.length, body };
  };
  return [
    { ...base, path: "", type: "directory", mode: 0o755 },
    { ...base, path: "usr", type: "directory", mode: 0o755 },
    { ...base, path: "usr/bin", type: "directory", mode: 0o755 },
    file("usr/bin/tool", "#!/bin/sh\necho tool\n", 0o4755),
    { ...base, path: "usr/lib", type: "directory", mode: 0o755 },
    {
      ...base,
      path: "usr/lib/libx.so.1.2",
      type: "file",
      mode: 0o644,
      size: LIB.length,
      body: inChunks(LIB, 9999),
    },
    { ...base, path: "usr/lib/libx.so.1", type: "symlink", mode: 0o777, linkname: "libx.so.1.2" },
    { ...base, path: "usr/lib/libx-hard.so", type: "hardlink", mode: 0o644, linkname: "usr/lib/libx.so.1.2" },
    { ...base, path: "usr/share", type: "directory", mode: 0o755 },
    file("usr/share/empty", ""),
    file(PATH_150, "a hundred and fifty\n"),
    file(PATH_300, "three hundred\n"),
    file(NON_ASCII, "non-ascii\n", 0o600),
    { ...base, path: "usr/share/long-link", type: "symlink", mode: 0o777, linkname: LONG_TARGET },
    { ...file("usr/share/owned", "owned\n"), uid: BIG_UID, gid: 5 },
    { ...base, path: "var/tmp", type: "directory", mode: 0o1777 },
  ];
}

async function bytesOf(entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of writeTar(entries)) parts.push(chunk);
  return Buffer.concat(parts);
}

function tarFile(name: string, bytes: Buffer): string {
  const file = join(root, name);
  writeFileSync(file, bytes);
  return file;
}

function gnuTar(args: string[]): string {
  return execFileSync("tar", args, { encoding: "utf8", env: { ...process.env, LC_ALL: "C.UTF-8" } });
}

describe("GNU tar reads what writeTar writes", () => {
  test("tar -tvf lists every entry with its type, mode, owner and link target", async () => {
    const file = tarFile("listed.tar", await bytesOf(sample()));
    const listing = gnuTar(["--numeric-owner", "--quoting-style=literal", "-tvf", file])
      .trimEnd()
      .split("\n")
      .map((line) => {
        const m = /^(\S{10}) (\d+)\/(\d+) +(\d+) \S+ \S+ (.*)$/.exec(line);
        assert.ok(m, `unexpected tar -tv line: ${line}`);
        return { perms: m[1], owner: `${m[2]}/${m[3]}`, size: Number(m[4]), rest: m[5] };
      });
    assert.deepEqual(listing, [
      { perms: "drwxr-xr-x", owner: "0/0", size: 0, rest: "./" },
      { perms: "drwxr-xr-x", owner: "0/0", size: 0, rest: "usr/" },
      { perms: "drwxr-xr-x", owner: "0/0", size: 0, rest: "usr/bin/" },
      { perms: "-rwsr-xr-x", owner: "0/0", size: 20, rest: "usr/bin/tool" },
      { perms: "drwxr-xr-x", owner: "0/0", size: 0, rest: "usr/lib/" },
      { perms: "-rw-r--r--", owner: "0/0", size: LIB.length, rest: "usr/lib/libx.so.1.2" },
      { perms: "lrwxrwxrwx", owner: "0/0", size: 0, rest: "usr/lib/libx.so.1 -> libx.so.1.2" },
      {
        perms: "hrw-r--r--",
        owner: "0/0",
        size: 0,
        rest: "usr/lib/libx-hard.so link to usr/lib/libx.so.1.2",
      },
      { perms: "drwxr-xr-x", owner: "0/0", size: 0, rest: "usr/share/" },
      { perms: "-rw-r--r--", owner: "0/0", size: 0, rest: "usr/share/empty" },
      { perms: "-rw-r--r--", owner: "0/0", size: 20, rest: PATH_150 },
      { perms: "-rw-r--r--", owner: "0/0", size: 14, rest: PATH_300 },
      { perms: "-rw-------", owner: "0/0", size: 10, rest: NON_ASCII },
      { perms: "lrwxrwxrwx", owner: "0/0", size: 0, rest: `usr/share/long-link -> ${LONG_TARGET}` },
      { perms: "-rw-r--r--", owner: `${BIG_UID}/5`, size: 6, rest: "usr/share/owned" },
      { perms: "drwxrwxrwt", owner: "0/0", size: 0, rest: "var/tmp/" },
    ]);
  });

  test("tar -xf extracts contents, modes and links", async () => {
    const file = tarFile("extracted.tar", await bytesOf(sample()));
    const dir = join(root, "extracted");
    mkdirSync(dir);
    gnuTar(["--no-same-owner", "--preserve-permissions", "-xf", file, "-C", dir]);
    const mode = (path: string) => lstatSync(join(dir, path)).mode & 0o7777;
    const text = (path: string) => readFileSync(join(dir, path), "utf8");
    assert.equal(text("usr/bin/tool"), "#!/bin/sh\necho tool\n");
    assert.equal(mode("usr/bin/tool"), 0o4755);
    assert.deepEqual(readFileSync(join(dir, "usr/lib/libx.so.1.2")), LIB);
    assert.equal(readlinkSync(join(dir, "usr/lib/libx.so.1")), "libx.so.1.2");
    const hard = lstatSync(join(dir, "usr/lib/libx-hard.so"));
    assert.equal(hard.ino, lstatSync(join(dir, "usr/lib/libx.so.1.2")).ino);
    assert.equal(hard.nlink, 2);
    assert.equal(text("usr/share/empty"), "");
    assert.equal(text(PATH_150), "a hundred and fifty\n");
    assert.equal(text(PATH_300), "three hundred\n");
    assert.equal(text(NON_ASCII), "non-ascii\n");
    assert.equal(mode(NON_ASCII), 0o600);
    assert.equal(readlinkSync(join(dir, "usr/share/long-link")), LONG_TARGET);
    assert.equal(mode("var/tmp"), 0o1777);
    assert.equal(lstatSync(join(dir, "usr/share/owned")).mtimeMs, MTIME * 1000);
  });

  test("a 150-character path is split into ustar's prefix and name, without a PAX header", async () => {
    const bytes = await bytesOf([
      {
        path: PATH_150,
        type: "file",
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: MTIME,
        size: 1,
        body: Buffer.from("x"),
      },
    ]);
    // One header, one data block, two zero blocks.
    assert.equal(bytes.length, BLOCK * 4);
    assert.equal(String.fromCharCode(bytes[156]), "0");
    const prefix = bytes.toString("latin1", 345, 500).replace(/\0+$/, "");
    const name = bytes.toString("latin1", 0, 100).replace(/\0+$/, "");
    assert.equal(`${prefix}/${name}`, PATH_150);
  });

  test("a 300-character path goes into a PAX header", async () => {
    const bytes = await bytesOf([
      {
        path: PATH_300,
        type: "file",
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: MTIME,
        size: 1,
        body: Buffer.from("x"),
      },
    ]);
    assert.equal(String.fromCharCode(bytes[156]), "x");
    const names = gnuTar(["-tf", tarFile("pax300.tar", bytes)]);
    assert.equal(names, `${PATH_300}\n`);
  });

  test("a plain entry is ustar: the magic, no PAX header, no user or group names", async () => {
    const bytes = await bytesOf([
      { path: "etc", type: "directory", mode: 0o755, uid: 0, gid: 0, mtime: MTIME },
    ]);
    assert.equal(bytes.length, BLOCK * 3);
    assert.equal(bytes.toString("latin1", 257, 263), "ustar\0");
    assert.equal(bytes.toString("latin1", 263, 265), "00");
    assert.ok(bytes.subarray(265, 329).every((b) => b === 0));
  });
});

describe("readTar reads what writeTar writes", () => {
  test("every field and body comes back", async () => {
    const written = sample();
    const bytes = await bytesOf(sample());
    async function* source() {
      yield bytes;
    }
    const got: Record<string, unknown>[] = [];
    for await (const e of readTar(source(), { origin: "round-trip" })) {
      const parts: Buffer[] = [];
      for await (const c of e.body) parts.push(c);
      got.push({
        path: e.path,
        type: e.type,
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        mtime: e.mtime,
        size: e.size,
        linkname: e.linkname,
        body: Buffer.concat(parts),
      });
    }
    const expected = written.map((e) => ({
      path: e.path,
      type: e.type,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      mtime: e.mtime,
      size: e.type === "file" ? e.size : 0,
      linkname: e.linkname,
      body: e.path === "usr/lib/libx.so.1.2" ? LIB : Buffer.from((e.body as Buffer | undefined) ?? ""),
    }));
    assert.deepEqual(got, expected);
  });
});

describe("determinism", () => {
  test("the same entries give the same bytes, however the bodies are chunked", async () => {
    const a = await bytesOf(sample());
    const b = await bytesOf(sample());
    assert.ok(a.equals(b));
    const rechunked = sample().map((e) =>
      e.type === "file" && e.body instanceof Uint8Array
        ? { ...e, body: inChunks(Buffer.from(e.body), 3) }
        : e,
    );
    assert.ok(a.equals(await bytesOf(rechunked)));
    // A generator of entries, too.
    async function* lazily() {
      yield* sample();
    }
    assert.ok(a.equals(await bytesOf(lazily())));
  });

  test("mtime fractions and mode bits above 0o7777 do not reach the archive", async () => {
    const plain = await bytesOf([
      { path: "etc", type: "directory", mode: 0o755, uid: 0, gid: 0, mtime: MTIME },
    ]);
    const noisy = await bytesOf([
      { path: "etc", type: "directory", mode: 0o40755, uid: 0, gid: 0, mtime: MTIME + 0.75 },
    ]);
    assert.ok(plain.equals(noisy));
  });
});

describe("a body that disagrees with its size", () => {
  const entry = (body: TarWriteEntry["body"]): TarWriteEntry => ({
    path: "usr/f",
    type: "file",
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: MTIME,
    size: 5,
    body,
  });

  for (const [what, body] of [
    ["bytes shorter than declared", () => Buffer.from("abc")],
    ["bytes longer than declared", () => Buffer.from("abcdefg")],
    ["a stream shorter than declared", () => inChunks(Buffer.from("abcd"), 2)],
    ["a stream longer than declared", () => inChunks(Buffer.from("abcdefgh"), 2)],
    ["no body at all", () => undefined],
  ] as const) {
    test(`${what} is TAR_SIZE_MISMATCH, and no byte past the declared size is written`, async () => {
      const out: Buffer[] = [];
      await assert.rejects(
        (async () => {
          for await (const c of writeTar([entry(body())])) out.push(c);
        })(),
        { code: "TAR_SIZE_MISMATCH" },
      );
      const written = Buffer.concat(out);
      assert.ok(written.length <= BLOCK + 5, `wrote ${written.length} bytes`);
      assert.ok(!written.includes("fgh"));
    });
  }
});

describe("entries the writer refuses", () => {
  const base = { type: "file" as const, mode: 0o644, uid: 0, gid: 0, mtime: MTIME, size: 0 };
  test("a path that climbs is TAR_PATH_TRAVERSAL", async () => {
    await assert.rejects(bytesOf([{ ...base, path: "usr/../../etc/passwd" }]), {
      code: "TAR_PATH_TRAVERSAL",
    });
  });
  test("an absolute path is TAR_ABSOLUTE_PATH", async () => {
    await assert.rejects(bytesOf([{ ...base, path: "/etc/passwd" }]), { code: "TAR_ABSOLUTE_PATH" });
  });
  test("a hardlink to a path that climbs is TAR_PATH_TRAVERSAL", async () => {
    await assert.rejects(bytesOf([{ ...base, path: "usr/h", type: "hardlink", linkname: "../outside" }]), {
      code: "TAR_PATH_TRAVERSAL",
    });
  });
});
