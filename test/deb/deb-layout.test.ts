// openDeb against packages built from a spec by dpkg-deb (test/helpers/debs.ts),
// against the member layouts deb(5) allows and the ones it does not, and
// for what it leaves open afterwards.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, type ReadStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openDeb } from "../../src/deb/deb-reader.ts";
import { type ErrorCode, isCudasealError } from "../../src/errors.ts";
import { type TarWriteEntry, writeTar } from "../../src/tar/writer.ts";
import {
  type ArInput,
  arArchive,
  arMembers,
  buildDeb,
  contentOf,
  type DebFile,
  type DebSpec,
  md5sumsOf,
  TEST_MTIME,
  type TempDir,
  tempDir,
  withDataMember,
} from "../helpers/debs.ts";

let dir: TempDir;
before(async () => {
  dir = await tempDir("cudaseal-deb-layout");
});
after(() => dir.remove());

const FILES: Record<string, DebFile> = {
  "usr/bin/tool": { content: "#!/bin/sh\necho tool\n", mode: 0o755 },
  "usr/bin/suid-tool": { content: "setuid\n", mode: 0o4755 },
  "usr/bin/tool-alias": { symlink: "tool" },
  "usr/bin/tool-hard": { hardlink: "usr/bin/tool" },
  "usr/lib/x86_64-linux-gnu/libx.so.1.2": randomBytes(300_000),
  "usr/lib/x86_64-linux-gnu/libx.so.1": { symlink: "libx.so.1.2" },
  "usr/lib/x86_64-linux-gnu/libx.so": { symlink: "/usr/lib/x86_64-linux-gnu/libx.so.1" },
  "usr/share/doc/x/empty": "",
  "usr/share/doc/x/ñandú-日本.txt": "non-ascii name\n",
  [`usr/share/x/${"d".repeat(90)}/${"f".repeat(90)}`]: "long path\n",
  "etc/x.conf": { content: "key = value\n", mode: 0o640 },
  "var/lib/x": { dir: true, mode: 0o700 },
};

const SPEC: DebSpec = {
  name: "libx1",
  version: "1:1.2.3-4~deb13u1",
  arch: "amd64",
  depends: "libc6 (>= 2.36), libgcc-s1",
  fields: { "Multi-Arch": "same", Section: "libs" },
  files: FILES,
  scripts: { postinst: "#!/bin/sh\nset -e\nldconfig\n", triggers: "activate-noawait ldconfig\n" },
  conffiles: ["/etc/x.conf"],
};

interface Got {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname?: string;
  body?: Buffer;
}

async function readDeb(source: AsyncIterable<Uint8Array>, packageName = "libx1") {
  const deb = await openDeb(source, { packageName });
  const entries = new Map<string, Got>();
  for await (const e of deb.entries) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c);
    const { type, mode, uid, gid, mtime, linkname } = e;
    entries.set(e.path, {
      type,
      mode,
      uid,
      gid,
      mtime,
      linkname,
      body: type === "file" ? Buffer.concat(parts) : undefined,
    });
  }
  return { deb, entries };
}

describe("a package built from a spec reads back as the spec says", () => {
  for (const compression of ["xz", "gzip", "zstd", "none"] as const) {
    test(`-Z${compression}`, async () => {
      const path = await buildDeb({ ...SPEC, compression }, dir.path);
      const { deb, entries } = await readDeb(createReadStream(path));
      assert.equal(deb.dataCompression, compression);
      assert.equal(deb.control.package, "libx1");
      assert.equal(deb.control.version, "1:1.2.3-4~deb13u1");
      assert.equal(deb.control.architecture, "amd64");
      assert.equal(deb.control.fields.get("Depends"), "libc6 (>= 2.36), libgcc-s1");
      assert.equal(deb.control.fields.get("Multi-Arch"), "same");
      assert.equal(deb.control.md5sums, md5sumsOf(FILES));
      assert.equal(deb.control.conffiles, "/etc/x.conf\n");
      assert.deepEqual(deb.control.scripts, {
        postinst: SPEC.scripts!.postinst,
        triggers: SPEC.scripts!.triggers,
      });

      // The md5sums agree with the bodies read.
      for (const line of deb.control.md5sums!.trim().split("\n")) {
        const [sum, p] = line.split(/ {2}/);
        assert.equal(createHash("md5").update(entries.get(p)!.body!).digest("hex"), sum, p);
      }
      for (const [p, f] of Object.entries(FILES)) {
        const e = entries.get(p);
        assert.ok(e, `${p} is in the package`);
        assert.equal(e.uid, 0);
        assert.equal(e.gid, 0);
        if (typeof f === "object" && "symlink" in f) {
          assert.deepEqual([e.type, e.linkname], ["symlink", f.symlink], p);
        } else if (typeof f === "object" && "dir" in f) {
          assert.deepEqual([e.type, e.mode], ["directory", f.mode], p);
        } else if (typeof f === "object" && "hardlink" in f) {
          assert.deepEqual([e.type, e.linkname], ["hardlink", f.hardlink], p);
        } else {
          const mode = typeof f === "object" && "mode" in f ? f.mode : 0o644;
          assert.deepEqual([e.type, e.mode, e.mtime], ["file", mode, TEST_MTIME], p);
          assert.ok(e.body!.equals(contentOf(f)), `${p} has its contents`);
        }
      }
      // Parents are there as directories, paths are canonical, the root is ``.
      assert.equal(entries.get("")?.type, "directory");
      assert.equal(entries.get("usr/lib/x86_64-linux-gnu")?.mode, 0o755);
      for (const p of entries.keys())
        assert.ok(!p.startsWith("./") && !p.startsWith("/") && !p.endsWith("/"), p);
    });
  }

  test("an 8 MB incompressible file through xz, hashed as it streams", async () => {
    const big = randomBytes(8 * 1024 * 1024);
    const path = await buildDeb(
      {
        name: "bigxz",
        version: "1",
        arch: "all",
        compression: "xz",
        level: 0,
        files: { "opt/big.bin": big },
      },
      dir.path,
    );
    const deb = await openDeb(createReadStream(path), { packageName: "bigxz" });
    let chunks = 0;
    for await (const e of deb.entries) {
      if (e.path !== "opt/big.bin") continue;
      const hash = createHash("sha256");
      for await (const c of e.body) {
        hash.update(c);
        chunks++;
      }
      assert.equal(hash.digest("hex"), createHash("sha256").update(big).digest("hex"));
    }
    assert.ok(chunks > 8);
  });
});

describe("member layouts", () => {
  let members: ArInput[];
  let smallDeb: string;
  const byName = (prefix: string) => members.find((m) => m.name.startsWith(prefix))!;
  before(async () => {
    smallDeb = await buildDeb(
      { name: "small", version: "1", arch: "all", compression: "gzip", files: { "usr/x": "x\n" } },
      dir.path,
    );
    members = await arMembers(smallDeb);
    assert.deepEqual(
      members.map((m) => m.name),
      ["debian-binary", "control.tar.gz", "data.tar.gz"],
    );
  });

  async function* bytesOf(bytes: Buffer): AsyncGenerator<Buffer> {
    // Odd slices, so that member and tar headers straddle reads.
    for (let i = 0; i < bytes.length; i += 333) yield bytes.subarray(i, i + 333);
  }

  async function paths(bytes: Buffer): Promise<string[]> {
    const { entries } = await readDeb(bytesOf(bytes), "small");
    return [...entries.keys()];
  }

  async function refused(code: ErrorCode, bytes: Buffer): Promise<void> {
    await assert.rejects(readDeb(bytesOf(bytes), "small"), (err) => {
      assert.ok(isCudasealError(err, code), `expected ${code}, got ${String(err)}`);
      assert.equal(err.details?.package, "small");
      return true;
    });
  }

  test("members packed again by hand read the same", async () => {
    assert.deepEqual(await paths(arArchive(members)), ["", "usr", "usr/x"]);
  });

  test("GNU-style member names (binutils ar) are read", async () => {
    const work = join(dir.path, "gnu");
    execFileSync("mkdir", ["-p", work]);
    for (const m of members) writeFileSync(join(work, m.name), m.data);
    execFileSync("ar", ["rcSD", "x.deb", ...members.map((m) => m.name)], { cwd: work });
    const { entries } = await readDeb(createReadStream(join(work, "x.deb")), "small");
    assert.ok(entries.has("usr/x"));
  });

  test("reserved _ members before data.tar are skipped, members after it ignored", async () => {
    const bytes = arArchive([
      members[0],
      { name: "_gpgbuilder", data: Buffer.from("signature") },
      byName("control"),
      byName("data"),
      { name: "extra.bin", data: Buffer.from("future member") },
    ]);
    assert.deepEqual(await paths(bytes), ["", "usr", "usr/x"]);
  });

  test("debian-binary 2.1 with a further line is read, as deb(5) asks", async () => {
    const bytes = arArchive([
      { name: "debian-binary", data: Buffer.from("2.1\nfuture\n") },
      ...members.slice(1),
    ]);
    assert.deepEqual(await paths(bytes), ["", "usr", "usr/x"]);
  });

  const broken: [string, () => Buffer][] = [
    ["debian-binary not first", () => arArchive([byName("control"), members[0], byName("data")])],
    [
      "debian-binary 1.0",
      () => arArchive([{ name: "debian-binary", data: Buffer.from("1.0\n") }, ...members.slice(1)]),
    ],
    ["data.tar before control.tar", () => arArchive([members[0], byName("data"), byName("control")])],
    [
      "two control.tar members",
      () => arArchive([members[0], byName("control"), byName("control"), byName("data")]),
    ],
    ["no data.tar", () => arArchive([members[0], byName("control")])],
    ["no control.tar", () => arArchive([members[0]])],
    [
      "an unknown member before data.tar",
      () => arArchive([members[0], { name: "evil.sh", data: Buffer.from("x") }, ...members.slice(1)]),
    ],
    [
      "data.tar.bz2",
      () => arArchive([members[0], byName("control"), { name: "data.tar.bz2", data: Buffer.from("BZh9") }]),
    ],
  ];
  for (const [what, make] of broken) {
    test(`${what} is DEB_INVALID`, () => refused("DEB_INVALID", make()));
  }

  test("bytes after data.tar's end-of-archive block are TAR_INVALID: tar -i would read them", async () => {
    const tar = execFileSync("gzip", ["-dc"], { input: byName("data").data });
    const junk = execFileSync("xz", ["-c"], { input: Buffer.concat([tar, Buffer.from("hidden entries")]) });
    await refused("TAR_INVALID", await withDataMember(smallDeb, junk, "data.tar.xz"));
  });

  test("a data.tar written by our own writer reads, and its size lie is TAR_INVALID", async () => {
    const entries: TarWriteEntry[] = [
      { path: "usr", type: "directory", mode: 0o755, uid: 0, gid: 0, mtime: 0 },
      {
        path: "usr/ok",
        type: "file",
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 0,
        size: 3,
        body: Buffer.from("ok\n"),
      },
    ];
    const parts: Buffer[] = [];
    for await (const c of writeTar(entries)) parts.push(c);
    const tar = Buffer.concat(parts);
    assert.deepEqual(
      await paths(arArchive([members[0], byName("control"), { name: "data.tar", data: tar }])),
      ["usr", "usr/ok"],
    );
    // Claim 1 MB for usr/ok: the header's size field, checksum fixed up.
    const lie = Buffer.from(tar);
    const h = 512;
    lie.write("00004000000\0", h + 124, 12, "latin1");
    lie.fill(0x20, h + 148, h + 156);
    let sum = 0;
    for (let i = h; i < h + 512; i++) sum += lie[i];
    lie.write(`${sum.toString(8).padStart(6, "0")}\0 `, h + 148, 8, "latin1");
    await refused("TAR_INVALID", arArchive([members[0], byName("control"), { name: "data.tar", data: lie }]));
  });
});

describe("the source is released", () => {
  let path: string;
  before(async () => {
    path = await buildDeb(
      {
        name: "rel",
        version: "1",
        arch: "all",
        compression: "xz",
        files: { "a/1": "1", "a/2": "2", "a/3": randomBytes(100_000) },
      },
      dir.path,
    );
  });

  function tracked(): { stream: ReadStream; closed: Promise<void> } {
    const stream = createReadStream(path, { highWaterMark: 1024 });
    return { stream, closed: new Promise((resolve) => stream.on("close", resolve)) };
  }

  test("after the entries are read to the end", async () => {
    const { stream, closed } = tracked();
    await readDeb(stream, "rel");
    await closed;
  });

  test("after breaking out of the entries", async () => {
    const { stream, closed } = tracked();
    const deb = await openDeb(stream, { packageName: "rel" });
    for await (const _ of deb.entries) break;
    await closed;
  });

  test("after close() without reading any entry", async () => {
    const { stream, closed } = tracked();
    const deb = await openDeb(stream, { packageName: "rel" });
    await deb.close();
    await closed;
  });

  test("after openDeb itself fails", async () => {
    const members = await arMembers(path);
    const bytes = arArchive([members[0], members[2], members[1]]);
    const file = join(dir.path, "swapped.deb");
    writeFileSync(file, bytes);
    const stream = createReadStream(file, { highWaterMark: 1024 });
    const closed = new Promise<void>((resolve) => stream.on("close", resolve));
    await assert.rejects(openDeb(stream, { packageName: "rel" }), (err) =>
      isCudasealError(err, "DEB_INVALID"),
    );
    await closed;
  });
});
