import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createReadStream, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ArMember, readAr } from "../../src/deb/ar.ts";
import { isCudasealError } from "../../src/errors.ts";
import { arArchive, type TempDir, tempDir } from "../helpers/debs.ts";

let dir: TempDir;
before(async () => {
  dir = await tempDir("cudaseal-ar");
});
after(() => dir.remove());

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<[string, Buffer][]> {
  const out: [string, Buffer][] = [];
  for await (const m of readAr(source, { origin: "test.a" })) {
    const parts: Buffer[] = [];
    for await (const c of m.body) parts.push(c);
    const body = Buffer.concat(parts);
    assert.equal(body.length, m.size);
    out.push([m.name, body]);
  }
  return out;
}

const MEMBERS: [string, Buffer][] = [
  ["debian-binary", Buffer.from("2.0\n")],
  ["odd-sized", Buffer.from("abc")],
  ["empty", Buffer.alloc(0)],
  ["a-name-of-24-characters", Buffer.from("long name\n")],
  ["last", Buffer.from("z")],
];

describe("archives made by binutils ar (GNU names)", () => {
  test("names with a trailing slash, a // table of long names, odd sizes padded", async () => {
    const files = MEMBERS.map(([name, data]) => {
      writeFileSync(join(dir.path, name), data);
      return name;
    });
    const archive = join(dir.path, "gnu.a");
    execFileSync("ar", ["rcSD", archive, ...files], { cwd: dir.path });
    const bytes = readFileSync(archive);
    assert.ok(bytes.includes("//"), "binutils wrote a long-name table");
    assert.deepEqual(await readAll(createReadStream(archive)), MEMBERS);
    // Headers and bodies split across odd reads.
    assert.deepEqual(await readAll(chunked(bytes, 7)), MEMBERS);
  });
});

describe("archives made by hand", () => {
  test("plain space-padded names, as dpkg-deb writes them", async () => {
    const members = MEMBERS.filter(([n]) => n.length <= 16);
    const bytes = arArchive(members.map(([name, data]) => ({ name, data })));
    assert.deepEqual(await readAll(chunked(bytes, 5)), members);
  });

  test("BSD long names (#1/N, the name at the start of the body)", async () => {
    const name = "a-name-of-24-characters";
    const body = Buffer.from("bsd body!");
    const bytes = Buffer.concat([
      Buffer.from("!<arch>\n"),
      Buffer.from(
        `${`#1/${name.length}`.padEnd(16)}${"0".padEnd(12)}${"0".padEnd(6)}${"0".padEnd(6)}${"644".padEnd(8)}${String(name.length + body.length).padEnd(10)}\`\n`,
      ),
      Buffer.from(name),
      body,
    ]);
    assert.equal((name.length + body.length) % 2, 0, "no pad byte needed");
    assert.deepEqual(await readAll(chunked(bytes, 3)), [[name, body]]);
  });

  test("a member left half read is skipped exactly when the next one is asked for", async () => {
    const bytes = arArchive([
      { name: "first", data: Buffer.alloc(10_001, 1) },
      { name: "second", data: Buffer.from("second") },
    ]);
    const names: string[] = [];
    let second = "";
    for await (const m of readAr(chunked(bytes, 1000), { origin: "test.a" })) {
      names.push(m.name);
      if (m.name === "first") {
        for await (const _ of m.body) break;
      } else {
        for await (const c of m.body) second += c.toString();
      }
    }
    assert.deepEqual(names, ["first", "second"]);
    assert.equal(second, "second");
  });

  test("a last member without its pad byte is accepted", async () => {
    const bytes = arArchive([{ name: "x", data: Buffer.from("abc") }]);
    assert.deepEqual(await readAll(chunked(bytes.subarray(0, bytes.length - 1), 64)), [
      ["x", Buffer.from("abc")],
    ]);
  });
});

describe("broken archives are DEB_INVALID", () => {
  const good = () => arArchive([{ name: "debian-binary", data: Buffer.from("2.0\n") }]);
  const cases: [string, () => Buffer][] = [
    ["an empty file", () => Buffer.alloc(0)],
    ["a text file", () => Buffer.from("hello, this is not an archive\n")],
    ["a member cut short", () => good().subarray(0, good().length - 2)],
    ["a header cut short", () => good().subarray(0, 30)],
    [
      "a header without its `\\n terminator",
      () => {
        const b = good();
        b[8 + 58] = 0x20;
        return b;
      },
    ],
    [
      "a size that is not a number",
      () => {
        const b = good();
        b.write("12x4      ", 8 + 48, "latin1");
        return b;
      },
    ],
    [
      "a GNU long-name reference with no table",
      () => {
        const b = good();
        b.write("/0              ", 8, "latin1");
        return b;
      },
    ],
  ];
  for (const [what, make] of cases) {
    test(what, async () => {
      await assert.rejects(readAll(chunked(make(), 16)), (err) => isCudasealError(err, "DEB_INVALID"));
    });
  }

  test("a member over maxMemberSize, before its body is read", async () => {
    const bytes = arArchive([{ name: "big", data: Buffer.alloc(2000) }]);
    const members: ArMember[] = [];
    await assert.rejects(
      (async () => {
        for await (const m of readAr(chunked(bytes, 100), { origin: "t", maxMemberSize: 1000 }))
          members.push(m);
      })(),
      (err) => isCudasealError(err, "DEB_INVALID"),
    );
    assert.equal(members.length, 0);
  });
});
