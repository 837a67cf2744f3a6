// The copying gzip blob writer for wheel layers: the blob must decompress,
// with GNU gzip and GNU tar, to exactly the tar the ordinary blob writer
// compresses (same diff_id), and must refuse what it cannot copy safely.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { deflateRawSync } from "node:zlib";
import { LayerStack } from "../../src/build/layer-stack.ts";
import { CudasealError } from "../../src/errors.ts";
import { writeBlob } from "../../src/layer/blob-writer.ts";
import { layerTar } from "../../src/layer/layer-tar.ts";
import {
  emptyWheelMeta,
  schemeFor,
  type WheelFile,
  wheelLayerEntries,
  writeWheelLayerBlob,
} from "../../src/python/index.ts";
import { tempStore } from "../helpers/store.ts";
import { wheelMembers, type ZipMember, zipArchive } from "../helpers/wheels.ts";

const scheme = schemeFor({ kind: "venv", path: "/opt/venv" }, [3, 13], "/usr/bin/python3");
let dir: string;
let wheels: WheelFile[];

/** Text that compresses like source code, different for each seed. */
function text(bytes: number, seed: number): string {
  const words = ["tensor", "device", "return", "self", "import", "layer", "batch", "shape"];
  let s = "";
  let x = seed;
  while (s.length < bytes) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    s += `${words[x % words.length]}_${x % 997}${x % 5 === 0 ? "\n" : " "}`;
  }
  return s.slice(0, bytes);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "cudaseal-wheel-blob-"));
  const write = async (name: string, members: ZipMember[]) => {
    const path = join(dir, name);
    await writeFile(path, zipArchive(members));
    return { path, filename: name };
  };
  wheels = [
    await write(
      "alpha-1.0-py3-none-any.whl",
      wheelMembers("alpha", "1.0", {
        "alpha/__init__.py": "A = 1\n",
        "alpha/big.py": text(3 * 1024 * 1024 + 17, 1),
        "alpha/mid.py": text(70_000, 2),
        "alpha-1.0.data/scripts/alpha-tool": "#!python\nprint('alpha')\n",
        "alpha-1.0.dist-info/entry_points.txt": "[console_scripts]\nalpha = alpha:main\n",
      }),
    ),
    await write(
      "beta-2.0-py3-none-any.whl",
      wheelMembers("beta", "2.0", {
        "beta/__init__.py": "",
        "beta/data.bin": text(500_000, 3),
        "beta/tiny.txt": "t",
      }).map((m) => (m.name === "beta/data.bin" ? { ...m, method: 0 as const } : m)),
    ),
  ];
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("the blob is the same tar as writeBlob's, readable by GNU gzip and tar", async () => {
  const mine = await writeWheelLayerBlob(
    wheelLayerEntries(wheels, { scheme, mtime: 1 }, emptyWheelMeta()),
    join(dir, "mine.tar.gz"),
  );
  const plain = await writeBlob(
    layerTar(wheelLayerEntries(wheels, { scheme, mtime: 1 }, emptyWheelMeta())),
    join(dir, "plain.tar.gz"),
    { algorithm: "gzip", level: 1 },
  );
  assert.equal(mine.diffId, plain.diffId);
  assert.equal(mine.uncompressedSize, plain.uncompressedSize);
  assert.equal(mine.mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
  const bytes = await readFile(mine.path);
  assert.equal(`sha256:${createHash("sha256").update(bytes).digest("hex")}`, mine.digest);
  assert.equal(bytes.length, mine.size);
  const unpacked = execFileSync("gzip", ["-dc", mine.path], { maxBuffer: 64 * 1024 * 1024 });
  assert.equal(`sha256:${createHash("sha256").update(unpacked).digest("hex")}`, mine.diffId);
  const listing = execFileSync("tar", ["-tzf", mine.path], { encoding: "utf8" });
  assert.match(listing, /^opt\/venv\/lib\/python3\.13\/site-packages\/alpha\/big\.py$/m);
  assert.match(listing, /^opt\/venv\/bin\/alpha$/m);
  // The same entries give the same blob.
  const again = await writeWheelLayerBlob(
    wheelLayerEntries(wheels, { scheme, mtime: 1 }, emptyWheelMeta()),
    join(dir, "again.tar.gz"),
  );
  assert.equal(again.digest, mine.digest);
});

test("bytes after a member's deflate stream are refused, not copied", async () => {
  const body = text(100_000, 9);
  const members = wheelMembers("junk", "1.0", { "junk/__init__.py": "", "junk/x.py": body }).map((m) =>
    m.name === "junk/x.py"
      ? { ...m, packed: Buffer.concat([deflateRawSync(Buffer.from(body)), Buffer.from("\x1f\x8b hidden")]) }
      : m,
  );
  const path = join(dir, "junk-1.0-py3-none-any.whl");
  await writeFile(path, zipArchive(members));
  await assert.rejects(
    writeWheelLayerBlob(
      wheelLayerEntries(
        [{ path, filename: "junk-1.0-py3-none-any.whl" }],
        { scheme, mtime: 1 },
        emptyWheelMeta(),
      ),
      join(dir, "junk.tar.gz"),
    ),
    (err) => err instanceof CudasealError && err.code === "WHEEL_INVALID",
  );
});

test("a RECORD mismatch in a copied member fails the blob", async () => {
  const members = wheelMembers("bad", "1.0", { "bad/__init__.py": "", "bad/x.py": text(100_000, 4) });
  (members.find((m) => m.name === "bad/x.py") as ZipMember).data = text(100_000, 5);
  const path = join(dir, "bad-1.0-py3-none-any.whl");
  await writeFile(path, zipArchive(members));
  await assert.rejects(
    writeWheelLayerBlob(
      wheelLayerEntries(
        [{ path, filename: "bad-1.0-py3-none-any.whl" }],
        { scheme, mtime: 1 },
        emptyWheelMeta(),
      ),
      join(dir, "bad.tar.gz"),
    ),
    (err) => err instanceof CudasealError && err.code === "WHEEL_RECORD_MISMATCH",
  );
});

test("a layer stack writes a wheel layer through the copying writer when asked", async () => {
  const { store, root, remove } = await tempStore();
  try {
    const stack = new LayerStack({
      cacheDir: join(root, "layers"),
      store,
      compression: { algorithm: "gzip", level: 1 },
      useCache: false,
    });
    const content = () => {
      const meta = emptyWheelMeta();
      return { entries: wheelLayerEntries(wheels, { scheme, mtime: 1 }, meta), meta };
    };
    // Made here, never read back from a cache: any meta passes.
    const isMeta = (_m: unknown): _m is ReturnType<typeof emptyWheelMeta> => true;
    const copied = await stack.make("b".repeat(64), isMeta, content, (entries, path) =>
      writeWheelLayerBlob(entries, path),
    );
    const plain = await stack.make("c".repeat(64), isMeta, content);
    assert.equal(copied.blob.diffId, plain.blob.diffId);
    assert.notEqual(copied.blob.digest, plain.blob.digest);
    assert.equal(copied.meta.wheels.length, 2);
  } finally {
    await remove();
  }
});
