import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  createReadStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { openDeb } from "../../src/deb/deb-reader.ts";
import { buildDeb, type DebCompression, type PackageSpec } from "../helpers/apt-repo.ts";
import { liveArrayBuffers } from "../helpers/memory.ts";
import { type PyTarEntry, pythonList, pythonTar } from "../helpers/python-tar.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-deb-reader-"));
after(() => rmSync(root, { recursive: true, force: true }));

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

function dpkgDeb(args: string[]): Buffer {
  return execFileSync("dpkg-deb", args, { maxBuffer: 256 * 1024 * 1024 });
}

interface ReadEntry {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
  sha256?: string;
}

async function readDeb(path: string, packageName = "test") {
  const deb = await openDeb(createReadStream(path), { packageName });
  const entries: ReadEntry[] = [];
  const bodies = new Map<string, Buffer>();
  for await (const e of deb.entries) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c);
    const body = Buffer.concat(parts);
    if (e.type === "file") bodies.set(e.path, body);
    entries.push({
      path: e.path,
      type: e.type,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      linkname: e.linkname,
      sha256: e.type === "file" ? sha256(body) : undefined,
    });
  }
  return { deb, entries, bodies };
}

/** Read every entry and body of the .deb at `path`, for tests that expect it to fail. */
async function drain(path: string): Promise<void> {
  await readDeb(path);
}

const LIB = noise(200_000, "libx");
const PATH_300 = `usr/share/${Array.from({ length: 9 }, (_, i) => String(i).repeat(31)).join("/")}`;
const POSTINST = `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  update-alternatives --install /usr/lib/libx.so libx.so /usr/lib/x86_64-linux-gnu/libx.so.1 50
fi
`;

const SPEC: PackageSpec & { arch: string } = {
  name: "libx1",
  version: "1:1.2.3-4",
  arch: "amd64",
  fields: {
    Source: "libx",
    Section: "libs",
    "Multi-Arch": "same",
    Depends: "libc6 (>= 2.36), libgcc-s1",
    Description: "test library\n more text on a continuation line\n .\n and a paragraph",
  },
  files: {
    "usr/lib/x86_64-linux-gnu/libx.so.1.2.3": LIB,
    "usr/lib/x86_64-linux-gnu/libx.so.1": { symlink: "libx.so.1.2.3" },
    "usr/lib/x86_64-linux-gnu/libx-abs.so": { symlink: "/usr/lib/x86_64-linux-gnu/libx.so.1" },
    "usr/bin/xtool": { content: "#!/bin/sh\necho x\n", mode: 0o4755 },
    "etc/x/secret.conf": { content: "token=1\n", mode: 0o600 },
    "usr/share/doc/libx1/copyright": "Copyright: nobody\n",
    "usr/share/doc/libx1/empty": "",
    "usr/share/doc/libx1/ñandú-日本.txt": "non-ascii\n",
    [PATH_300]: "a long path\n",
  },
  scripts: { postinst: POSTINST },
};

const COMPRESSIONS: [DebCompression, string][] = [
  ["xz", "xz"],
  ["gzip", "gzip"],
  ["zstd", "zstd"],
  ["none", "none"],
];
const debs = new Map<DebCompression, Promise<string>>();

/** SPEC built by dpkg-deb with -Z`compression`, once. */
function specDeb(compression: DebCompression): Promise<string> {
  let deb = debs.get(compression);
  if (!deb) {
    const dir = mkdtempSync(join(root, `spec-${compression}-`));
    deb = buildDeb(SPEC, dir, compression);
    debs.set(compression, deb);
  }
  return deb;
}

describe("real .debs from dpkg-deb", () => {
  for (const [compression, expected] of COMPRESSIONS) {
    describe(`-Z${compression}`, () => {
      test("the members are the ones dpkg-deb -Z names", async () => {
        const path = await specDeb(compression);
        const members = execFileSync("ar", ["t", path], { encoding: "utf8" }).trim().split("\n");
        const suffix = { xz: ".xz", gzip: ".gz", zstd: ".zst", none: "" }[compression];
        assert.deepEqual(members, ["debian-binary", `control.tar${suffix}`, `data.tar${suffix}`]);
        const { deb } = await readDeb(path);
        assert.equal(deb.dataCompression, expected);
      });

      test("control fields, md5sums and postinst (kept as data) read as dpkg-deb shows them", async () => {
        const path = await specDeb(compression);
        const { deb } = await readDeb(path);
        const c = deb.control;
        assert.equal(c.raw, dpkgDeb(["--info", path, "control"]).toString("utf8"));
        assert.equal(c.package, "libx1");
        assert.equal(c.version, "1:1.2.3-4");
        assert.equal(c.architecture, "amd64");
        assert.equal(c.fields.get("Multi-Arch"), "same");
        assert.equal(c.fields.get("Depends"), "libc6 (>= 2.36), libgcc-s1");
        assert.equal(c.md5sums, dpkgDeb(["--info", path, "md5sums"]).toString("utf8"));
        const md5 = createHash("md5").update(LIB).digest("hex");
        assert.ok(c.md5sums?.includes(`${md5}  usr/lib/x86_64-linux-gnu/libx.so.1.2.3\n`));
        assert.equal(c.scripts.postinst, POSTINST);
        assert.deepEqual(Object.keys(c.scripts), ["postinst"]);
        assert.equal(c.conffiles, undefined);
      });

      test("every file, directory and symlink, as tarfile reads dpkg-deb --fsys-tarfile", async () => {
        const path = await specDeb(compression);
        const fsys = join(root, `fsys-${compression}.tar`);
        writeFileSync(fsys, dpkgDeb(["--fsys-tarfile", path]));
        const expected = pythonList(fsys).map((m) => {
          const p = m.name.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
          return {
            path: p === "." ? "" : p,
            type: m.type === "dir" ? "directory" : m.type,
            mode: m.mode,
            uid: m.uid,
            gid: m.gid,
            linkname: m.type === "symlink" || m.type === "hardlink" ? m.linkname : undefined,
            sha256: m.sha256,
          };
        });
        const { entries, bodies } = await readDeb(path);
        assert.deepEqual(entries, expected);

        // And against what went in.
        const byPath = new Map(entries.map((e) => [e.path, e]));
        assert.deepEqual(bodies.get("usr/lib/x86_64-linux-gnu/libx.so.1.2.3"), LIB);
        assert.equal(byPath.get("usr/lib/x86_64-linux-gnu/libx.so.1")?.linkname, "libx.so.1.2.3");
        assert.equal(
          byPath.get("usr/lib/x86_64-linux-gnu/libx-abs.so")?.linkname,
          "/usr/lib/x86_64-linux-gnu/libx.so.1",
        );
        assert.equal(byPath.get("usr/bin/xtool")?.mode, 0o4755);
        assert.equal(bodies.get("usr/bin/xtool")?.toString(), "#!/bin/sh\necho x\n");
        assert.equal(byPath.get("etc/x/secret.conf")?.mode, 0o600);
        assert.equal(bodies.get("usr/share/doc/libx1/empty")?.length, 0);
        assert.equal(bodies.get("usr/share/doc/libx1/ñandú-日本.txt")?.toString(), "non-ascii\n");
        assert.equal(bodies.get(PATH_300)?.toString(), "a long path\n");
        assert.equal(byPath.get("")?.type, "directory");
        assert.equal(byPath.get("usr/lib/x86_64-linux-gnu")?.type, "directory");
        assert.ok(entries.every((e) => e.uid === 0 && e.gid === 0));
      });
    });
  }
});

describe("a 50 MB file streams through", () => {
  test("its SHA-256 matches, hashed chunk by chunk, and no chunk or buffer holds it whole", async () => {
    const SIZE = 50 * 1024 * 1024;
    const dir = mkdtempSync(join(root, "big-"));
    let expected: string;
    let path: string;
    {
      const big = randomBytes(SIZE);
      expected = sha256(big);
      path = await buildDeb(
        {
          name: "big",
          version: "1.0",
          arch: "amd64",
          files: { "usr/share/big/blob.bin": big, "usr/share/big/after": "after\n" },
        },
        dir,
        "zstd",
      );
    }
    assert.ok(statSync(path).size > SIZE);
    const deb = await openDeb(createReadStream(path), { packageName: "big" });
    let maxChunk = 0;
    let chunks = 0;
    let peak = 0;
    const base = liveArrayBuffers();
    let got: string | undefined;
    let after: string | undefined;
    for await (const e of deb.entries) {
      if (e.path === "usr/share/big/blob.bin") {
        assert.equal(e.size, SIZE);
        const hash = createHash("sha256");
        for await (const c of e.body) {
          hash.update(c);
          chunks++;
          maxChunk = Math.max(maxChunk, c.length);
          if (chunks % 64 === 0) peak = Math.max(peak, liveArrayBuffers() - base);
        }
        got = hash.digest("hex");
      } else if (e.path === "usr/share/big/after") {
        after = "";
        for await (const c of e.body) after += c.toString();
      }
    }
    assert.equal(got, expected);
    assert.equal(after, "after\n");
    assert.ok(chunks > 100, `${chunks} chunks`);
    assert.ok(maxChunk <= 1024 * 1024, `largest chunk ${maxChunk} bytes`);
    // Only what is still reachable counts: a few chunks and the tar and zstd windows.
    assert.ok(peak < 16 * 1024 * 1024, `array buffers grew by ${peak} bytes while streaming`);
  });
});

// ---------------------------------------------------------------- hostile .debs

const CONTROL =
  "Package: evil\nVersion: 1.0\nArchitecture: amd64\nMaintainer: tests <tests@localhost>\nDescription: evil\n";

/** A .deb put together by hand: python3 tarfile for the tars, binutils `ar rc` for the container. */
function craftDeb(
  name: string,
  data: PyTarEntry[] | Buffer,
  options: { debianBinary?: string; control?: Buffer } = {},
): string {
  const dir = mkdtempSync(join(root, `craft-${name}-`));
  writeFileSync(join(dir, "debian-binary"), options.debianBinary ?? "2.0\n");
  const control =
    options.control ??
    pythonTar(
      [
        { name: "./", type: "dir" },
        { name: "./control", data: CONTROL },
      ],
      { compression: "gz" },
    );
  writeFileSync(join(dir, "control.tar.gz"), control);
  const dataTar = Buffer.isBuffer(data)
    ? data
    : pythonTar([{ name: "./", type: "dir" }, { name: "./usr/", type: "dir" }, ...data], {
        compression: "gz",
      });
  writeFileSync(join(dir, "data.tar.gz"), dataTar);
  const out = join(root, `${name}.deb`);
  execFileSync("ar", ["rc", out, "debian-binary", "control.tar.gz", "data.tar.gz"], { cwd: dir });
  return out;
}

describe("hostile .debs (python3 tarfile + ar)", () => {
  test("a crafted .deb with harmless entries reads, so the crafting is sound", async () => {
    const { deb, entries } = await readDeb(craftDeb("harmless", [{ name: "./usr/ok", data: "ok\n" }]));
    assert.equal(deb.control.package, "evil");
    assert.deepEqual(
      entries.map((e) => e.path),
      ["", "usr", "usr/ok"],
    );
  });

  test("path traversal: ./../../etc/passwd is TAR_PATH_TRAVERSAL", async () => {
    const path = craftDeb("traversal", [{ name: "./../../etc/passwd", data: "root::0:0::/:/bin/sh\n" }]);
    await assert.rejects(drain(path), { code: "TAR_PATH_TRAVERSAL" });
  });

  test("absolute path: /etc/cron.d/evil is TAR_ABSOLUTE_PATH", async () => {
    const path = craftDeb("absolute", [{ name: "/etc/cron.d/evil", data: "* * * * * root sh\n" }]);
    await assert.rejects(drain(path), { code: "TAR_ABSOLUTE_PATH" });
  });

  test("escaping symlink: ./usr/lib/evil -> ../../../../etc/shadow is TAR_LINK_ESCAPE", async () => {
    const path = craftDeb("symlink", [
      { name: "./usr/lib/", type: "dir" },
      { name: "./usr/lib/evil", type: "symlink", linkname: "../../../../etc/shadow" },
    ]);
    await assert.rejects(drain(path), { code: "TAR_LINK_ESCAPE" });
  });

  test("escaping hardlink: ./usr/h -> ../outside is TAR_LINK_ESCAPE", async () => {
    const path = craftDeb("hardlink", [{ name: "./usr/h", type: "hardlink", linkname: "../outside" }]);
    await assert.rejects(drain(path), { code: "TAR_LINK_ESCAPE" });
  });

  test("write through a symlink: ./usr/d -> /etc, then ./usr/d/passwd is TAR_LINK_ESCAPE", async () => {
    const path = craftDeb("through-link", [
      { name: "./usr/d", type: "symlink", linkname: "/etc" },
      { name: "./usr/d/passwd", data: "root::0:0::/:/bin/sh\n" },
    ]);
    await assert.rejects(drain(path), { code: "TAR_LINK_ESCAPE" });
  });

  for (const type of ["chardev", "blockdev", "fifo"] as const) {
    test(`device node: a ${type} in data.tar is TAR_DEVICE_NODE`, async () => {
      const path = craftDeb(`device-${type}`, [{ name: "./dev/node", type }]);
      await assert.rejects(drain(path), { code: "TAR_DEVICE_NODE" });
    });
  }

  test("a hostile control.tar (path traversal) is refused too", async () => {
    const control = pythonTar(
      [
        { name: "./control", data: CONTROL },
        { name: "../../etc/passwd", data: "x" },
      ],
      { compression: "gz" },
    );
    const path = craftDeb("control-traversal", [{ name: "./usr/ok", data: "ok\n" }], { control });
    await assert.rejects(drain(path), { code: "TAR_PATH_TRAVERSAL" });
  });
});

describe("files that are not good .debs", () => {
  test("a text file is DEB_INVALID", async () => {
    const path = join(root, "not-a-deb.txt");
    writeFileSync(path, "Package: nothing\nthis is not an ar archive\n");
    await assert.rejects(drain(path), { code: "DEB_INVALID" });
  });

  test("an empty file is DEB_INVALID", async () => {
    const path = join(root, "empty.deb");
    writeFileSync(path, "");
    await assert.rejects(drain(path), { code: "DEB_INVALID" });
  });

  test("a tar file is DEB_INVALID", async () => {
    const path = join(root, "a-tar.deb");
    writeFileSync(path, pythonTar([{ name: "debian-binary", data: "2.0\n" }]));
    await assert.rejects(drain(path), { code: "DEB_INVALID" });
  });

  test("debian-binary 3.0 is DEB_INVALID", async () => {
    const path = craftDeb("format-3", [{ name: "./usr/ok", data: "ok\n" }], { debianBinary: "3.0\n" });
    await assert.rejects(drain(path), { code: "DEB_INVALID" });
  });

  test("a .deb cut short inside data.tar.xz fails (DEB_INVALID or TAR_INVALID)", async () => {
    const path = join(root, "cut.deb");
    writeFileSync(path, readFileSync(await specDeb("xz")));
    truncateSync(path, Math.floor(statSync(path).size * 0.6));
    await assert.rejects(drain(path), (err: { code?: string }) => {
      assert.ok(err.code === "DEB_INVALID" || err.code === "TAR_INVALID", `code ${err.code}`);
      return true;
    });
  });

  test("a whole .deb whose data.tar.xz member is itself truncated fails (DEB_INVALID or TAR_INVALID)", async () => {
    const dir = mkdtempSync(join(root, "cut-member-"));
    execFileSync("ar", ["x", await specDeb("xz")], { cwd: dir });
    const member = join(dir, "data.tar.xz");
    truncateSync(member, Math.floor(statSync(member).size / 2));
    const path = join(root, "cut-member.deb");
    execFileSync("ar", ["rc", path, "debian-binary", "control.tar.xz", "data.tar.xz"], { cwd: dir });
    await assert.rejects(drain(path), (err: { code?: string }) => {
      assert.ok(err.code === "DEB_INVALID" || err.code === "TAR_INVALID", `code ${err.code}`);
      return true;
    });
  });

  test("a data.tar.xz with a corrupt byte in its middle fails (DEB_INVALID or TAR_INVALID)", async () => {
    const dir = mkdtempSync(join(root, "flip-member-"));
    execFileSync("ar", ["x", await specDeb("xz")], { cwd: dir });
    const member = join(dir, "data.tar.xz");
    const bytes = readFileSync(member);
    bytes[Math.floor(bytes.length / 2)] ^= 0x55;
    writeFileSync(member, bytes);
    const path = join(root, "flip-member.deb");
    execFileSync("ar", ["rc", path, "debian-binary", "control.tar.xz", "data.tar.xz"], { cwd: dir });
    await assert.rejects(drain(path), (err: { code?: string }) => {
      assert.ok(err.code === "DEB_INVALID" || err.code === "TAR_INVALID", `code ${err.code}`);
      return true;
    });
  });
});
