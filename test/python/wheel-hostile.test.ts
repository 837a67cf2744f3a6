// Hostile and malformed wheels, each built byte by byte in the test, refused
// with their codes; and the zip forms real tools write (zip64, data
// descriptors, stored members) read correctly.

import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { deflateRawSync } from "node:zlib";
import { LayerStack } from "../../src/build/layer-stack.ts";
import { CudasealError, type ErrorCode } from "../../src/errors.ts";
import type { LayerEntry } from "../../src/layer/entry.ts";
import {
  checkWheelConflicts,
  DEFAULT_ZIP_LIMITS,
  emptyWheelMeta,
  inspectWheel,
  schemeFor,
  type WheelFile,
  wheelLayerEntries,
  type ZipLimits,
} from "../../src/python/index.ts";
import { storeFiles, tempStore } from "../helpers/store.ts";
import { wheelMembers, type ZipMember, type ZipOptions, zipArchive } from "../helpers/wheels.ts";

const scheme = schemeFor({ kind: "system" }, [3, 13], "/usr/bin/python3");
const SITE = "usr/local/lib/python3.13/dist-packages";
let dir: string;
let n = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "cudaseal-wheel-hostile-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes the archive as `filename` and returns it as a wheel file. */
async function wheelFile(
  members: ZipMember[],
  filename = "evil-1.0-py3-none-any.whl",
  options?: ZipOptions,
): Promise<WheelFile> {
  const path = join(dir, `${n++}-${filename}`);
  await writeFile(path, zipArchive(members, options));
  return { path, filename };
}

/** Installs into entries, reading every body as a layer writer would. */
async function install(
  wheels: WheelFile[],
  limits?: ZipLimits,
): Promise<Map<string, LayerEntry & { text?: string }>> {
  const out = new Map<string, LayerEntry & { text?: string }>();
  for await (const e of wheelLayerEntries(wheels, { scheme, mtime: 0, limits }, emptyWheelMeta())) {
    let text: string | undefined;
    if (e.body) {
      const chunks: Buffer[] = [];
      if (e.body instanceof Uint8Array) chunks.push(Buffer.from(e.body));
      else for await (const c of e.body) chunks.push(Buffer.from(c));
      text = Buffer.concat(chunks).toString("latin1");
    }
    out.set(e.path, { ...e, text });
  }
  return out;
}

async function refused(code: ErrorCode, work: Promise<unknown>): Promise<CudasealError> {
  try {
    await work;
  } catch (err) {
    assert.ok(err instanceof CudasealError, `a coded error, not ${err}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

const ok = { "evil/__init__.py": "x = 1\n" };

describe("unsafe paths are WHEEL_UNSAFE_PATH", () => {
  for (const [label, name] of [
    ["zip-slip with ..", "../../../../etc/cron.d/evil"],
    ["zip-slip inside a package", "evil/../../outside.py"],
    ["an absolute path", "/etc/passwd"],
    ["a backslash path", "evil\\..\\..\\x.py"],
    ["a drive letter", "C:/x.py"],
    ["an empty segment", "evil//x.py"],
    ["a control character", "evil/x\n.py"],
    ["climbing out of .data/data", "evil-1.0.data/data/../../../../etc/shadow"],
  ]) {
    test(`${label}: ${JSON.stringify(name)}`, async () => {
      const w = await wheelFile(wheelMembers("evil", "1.0", { ...ok, [name as string]: "pwned\n" }));
      await refused("WHEEL_UNSAFE_PATH", install([w]));
      await refused("WHEEL_UNSAFE_PATH", inspectWheel(w, scheme));
    });
  }

  test("a symlink member", async () => {
    const members = wheelMembers("evil", "1.0", { ...ok, "evil/link": "/etc/shadow" });
    const link = members.find((m) => m.name === "evil/link") as ZipMember;
    link.mode = 0o120777;
    await refused("WHEEL_UNSAFE_PATH", install([await wheelFile(members)]));
  });

  test("a file where the wheel also needs a folder", async () => {
    const w = await wheelFile(
      wheelMembers("evil", "1.0", { ...ok, "evil/sub": "file\n", "evil/sub/x.py": "y = 2\n" }),
    );
    await refused("WHEEL_UNSAFE_PATH", install([w]));
  });

  test("a METADATA Name that climbs out of the headers folder", async () => {
    const w = await wheelFile(
      wheelMembers("evil", "1.0", {
        ...ok,
        "evil-1.0.data/headers/x.h": "pwned\n",
        "evil-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: ../../../../etc\nVersion: 1.0\n",
      }),
    );
    await refused("WHEEL_UNSAFE_PATH", install([w]));
    await refused("WHEEL_UNSAFE_PATH", inspectWheel(w, scheme));
  });

  test("an entry point named to climb out of bin/", async () => {
    const w = await wheelFile(
      wheelMembers("evil", "1.0", {
        ...ok,
        "evil-1.0.dist-info/entry_points.txt": "[console_scripts]\n../../etc/profile.d/x = evil:main\n",
      }),
    );
    await refused("WHEEL_UNSAFE_PATH", install([w]));
  });
});

describe("zip bombs are WHEEL_TOO_LARGE", () => {
  test("a member whose declared ratio is a bomb is refused before inflating", async () => {
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const w = await wheelFile(wheelMembers("evil", "1.0", { ...ok, "evil/zeros.bin": zeros }));
    const err = await refused("WHEEL_TOO_LARGE", install([w]));
    assert.match(err.message, /expands \d+×/);
  });

  test("a member that inflates past its declared size stops at the declared size", async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 0x61);
    const members = wheelMembers(
      "evil",
      "1.0",
      { ...ok, "evil/big.txt": big },
      {
        record: (lines) => lines.map((l) => (l.startsWith("evil/big.txt,") ? l.replace(/,\d+$/, ",") : l)),
      },
    );
    (members.find((m) => m.name === "evil/big.txt") as ZipMember).declaredSize = 1000;
    const err = await refused("WHEEL_TOO_LARGE", install([await wheelFile(members)]));
    assert.match(err.message, /inflates past its declared 1000 bytes/);
  });

  test("members whose data overlap (the overlapping-entry construction)", async () => {
    const members = wheelMembers("evil", "1.0", { ...ok, "evil/a.txt": "a".repeat(1000) });
    // A second central entry pointing at the first member's local header and data.
    members.splice(1, 0, { ...(members[0] as ZipMember), offset: 0 });
    await refused("WHEEL_TOO_LARGE", install([await wheelFile(members)]));
  });

  test("a local header whose extra field runs its data into the next member's (overlap by local header)", async () => {
    const same = "s".repeat(1000);
    const members = wheelMembers("evil", "1.0", { "evil/a.txt": same, "evil/b.txt": same, ...ok });
    const bytes = zipArchive(members);
    // a.txt's local header claims an extra field spanning its own data and b.txt's header,
    // so its data would be b.txt's: one stored stream read for two members.
    const packed = deflateRawSync(Buffer.from(same)).length;
    bytes.writeUInt16LE(packed + 30 + "evil/b.txt".length, 28);
    const path = join(dir, `${n++}-evil-1.0-py3-none-any.whl`);
    await writeFile(path, bytes);
    await refused("WHEEL_TOO_LARGE", install([{ path, filename: "evil-1.0-py3-none-any.whl" }]));
  });

  test("caps on entry count, entry size and total size", async () => {
    const w = await wheelFile(
      wheelMembers("evil", "1.0", { ...ok, "evil/a.txt": "a".repeat(5000), "evil/b.txt": "b".repeat(5000) }),
    );
    await refused("WHEEL_TOO_LARGE", install([w], { ...DEFAULT_ZIP_LIMITS, maxEntries: 3 }));
    // The central directory is read whole, so its size is capped too (not only by the file's).
    await refused("WHEEL_TOO_LARGE", install([w], { ...DEFAULT_ZIP_LIMITS, maxDirectorySize: 200 }));
    await refused("WHEEL_TOO_LARGE", install([w], { ...DEFAULT_ZIP_LIMITS, maxEntrySize: 4096 }));
    await refused("WHEEL_TOO_LARGE", install([w], { ...DEFAULT_ZIP_LIMITS, maxTotalSize: 8192 }));
    assert.ok((await install([w])).has(`${SITE}/evil/b.txt`));
  });
});

describe("RECORD mismatches are WHEEL_RECORD_MISMATCH", () => {
  test("a member changed after RECORD was written fails its layer, which leaves nothing in the store", async () => {
    const members = wheelMembers("evil", "1.0", { ...ok, "evil/code.py": "print('good')\n" });
    (members.find((m) => m.name === "evil/code.py") as ZipMember).data = "print('evil')\n";
    const w = await wheelFile(members);
    const { store, root, remove } = await tempStore();
    try {
      const stack = new LayerStack({
        cacheDir: join(root, "layers"),
        store,
        compression: { algorithm: "gzip", level: 1 },
        useCache: true,
      });
      const meta = emptyWheelMeta();
      await refused(
        "WHEEL_RECORD_MISMATCH",
        stack.make(
          "a".repeat(64),
          (_m: unknown): _m is typeof meta => true,
          () => ({
            entries: wheelLayerEntries([w], { scheme, mtime: 0 }, meta),
            meta,
          }),
        ),
      );
      assert.deepEqual(await storeFiles(root), [], "no blob, temporary file or cache entry");
      assert.deepEqual(meta.wheels, [], "the wheel is not recorded as installed");
    } finally {
      await remove();
    }
  });

  test("a member RECORD does not list", async () => {
    const members = wheelMembers("evil", "1.0", ok);
    members.splice(0, 0, { name: "evil/extra.py", data: "import os\n" });
    await refused("WHEEL_RECORD_MISMATCH", install([await wheelFile(members)]));
  });

  test("a file RECORD lists that the wheel lacks", async () => {
    const w = await wheelFile(
      wheelMembers("evil", "1.0", ok, { extraRecord: ["evil/missing.py,sha256=AAAA,4"] }),
    );
    await refused("WHEEL_RECORD_MISMATCH", install([w]));
  });

  test("a size in RECORD that is not the member's", async () => {
    const members = wheelMembers("evil", "1.0", ok, {
      record: (lines) =>
        lines.map((l) => (l.startsWith("evil/__init__.py,") ? l.replace(/,\d+$/, ",999") : l)),
    });
    await refused("WHEEL_RECORD_MISMATCH", install([await wheelFile(members)]));
  });

  test("a member with no hash in RECORD", async () => {
    const members = wheelMembers("evil", "1.0", ok, {
      record: (lines) => lines.map((l) => (l.startsWith("evil/__init__.py,") ? "evil/__init__.py,," : l)),
    });
    await refused("WHEEL_RECORD_MISMATCH", install([await wheelFile(members)]));
  });
});

describe("two wheels writing one file are WHEEL_DUPLICATE_FILE", () => {
  test("different bytes at one path, before installing and while installing", async () => {
    const a = await wheelFile(
      wheelMembers("first", "1.0", { "shared/mod.py": "A = 1\n" }),
      "first-1.0-py3-none-any.whl",
    );
    const b = await wheelFile(
      wheelMembers("second", "1.0", { "shared/mod.py": "B = 2\n" }),
      "second-1.0-py3-none-any.whl",
    );
    const infos = [await inspectWheel(a, scheme), await inspectWheel(b, scheme)];
    const err = await refused(
      "WHEEL_DUPLICATE_FILE",
      Promise.resolve().then(() => checkWheelConflicts(infos)),
    );
    assert.deepEqual(err.details?.wheels, [a.filename, b.filename]);
    await refused("WHEEL_DUPLICATE_FILE", install([a, b]));
  });

  test("one wheel's file is another's folder", async () => {
    const a = await wheelFile(
      wheelMembers("first", "1.0", { "shared/mod": "file\n" }),
      "first-1.0-py3-none-any.whl",
    );
    const b = await wheelFile(
      wheelMembers("second", "1.0", { "shared/mod/x.py": "B = 2\n" }),
      "second-1.0-py3-none-any.whl",
    );
    await refused("WHEEL_DUPLICATE_FILE", install([a, b]));
    await refused("WHEEL_DUPLICATE_FILE", install([b, a]));
    const infos = [await inspectWheel(a, scheme), await inspectWheel(b, scheme)];
    await refused(
      "WHEEL_DUPLICATE_FILE",
      Promise.resolve().then(() => checkWheelConflicts(infos)),
    );
  });

  test("the same bytes at one path (nvidia-*-cu12's shared nvidia/__init__.py) are written once", async () => {
    const a = await wheelFile(
      wheelMembers("nvidia_a", "1.0", { "nvidia/__init__.py": "", "nvidia/a/x.so": "A" }),
      "nvidia_a-1.0-py3-none-any.whl",
    );
    const b = await wheelFile(
      wheelMembers("nvidia_b", "1.0", { "nvidia/__init__.py": "", "nvidia/b/y.so": "B" }),
      "nvidia_b-1.0-py3-none-any.whl",
    );
    checkWheelConflicts([await inspectWheel(a, scheme), await inspectWheel(b, scheme)]);
    const paths: string[] = [];
    for await (const e of wheelLayerEntries([a, b], { scheme, mtime: 0 }, emptyWheelMeta())) {
      paths.push(e.path);
      if (e.body && !(e.body instanceof Uint8Array)) for await (const _ of e.body);
    }
    assert.equal(paths.filter((p) => p === `${SITE}/nvidia/__init__.py`).length, 1);
    assert.ok(paths.includes(`${SITE}/nvidia/b/y.so`));
  });
});

describe("malformed wheels are WHEEL_INVALID", () => {
  const cases: [string, () => Promise<WheelFile>][] = [
    [
      "not a zip",
      async () => {
        const path = join(dir, "notzip-1.0-py3-none-any.whl");
        await writeFile(path, "this is not a zip archive at all\n");
        return { path, filename: "notzip-1.0-py3-none-any.whl" };
      },
    ],
    ["no .dist-info", () => wheelFile([{ name: "evil/__init__.py", data: "" }])],
    [
      "two .dist-info folders",
      () =>
        wheelFile([
          ...wheelMembers("evil", "1.0", ok),
          { name: "other-1.0.dist-info/METADATA", data: "Name: other\n" },
        ]),
    ],
    ["a .dist-info of another distribution", () => wheelFile(wheelMembers("other", "1.0", ok))],
    [
      "Wheel-Version 2.0",
      () =>
        wheelFile(
          wheelMembers("evil", "1.0", {
            ...ok,
            "evil-1.0.dist-info/WHEEL": "Wheel-Version: 2.0\nRoot-Is-Purelib: true\n",
          }),
        ),
    ],
    [
      "a member named twice",
      () => wheelFile([...wheelMembers("evil", "1.0", ok), { name: "evil/__init__.py", data: "x = 2\n" }]),
    ],
    [
      "a local header naming another file",
      async () => {
        const members = wheelMembers("evil", "1.0", ok);
        (members[0] as ZipMember).localName = "evil/other.py";
        return wheelFile(members);
      },
    ],
    [
      "a CRC-32 that does not match",
      async () => {
        const members = wheelMembers("evil", "1.0", ok);
        const path = join(dir, "crc-1.0-py3-none-any.whl");
        const bytes = zipArchive(members.map((m) => ({ ...m, method: 0 as const })));
        // Flip a byte of the first member's stored data (after its 30-byte header and name).
        const at = 30 + "evil/__init__.py".length;
        bytes[at] = (bytes[at] as number) ^ 0x20;
        await writeFile(path, bytes);
        return { path: path, filename: "evil-1.0-py3-none-any.whl" };
      },
    ],
    [
      "corrupt deflate data",
      async () => {
        const members = wheelMembers("evil", "1.0", ok);
        const path = join(dir, "deflate-1.0-py3-none-any.whl");
        const bytes = zipArchive(members);
        const at = 30 + "evil/__init__.py".length;
        bytes.fill(0xff, at, at + 4);
        await writeFile(path, bytes);
        return { path, filename: "evil-1.0-py3-none-any.whl" };
      },
    ],
    [
      "an entry point that is code, not module:attribute",
      () =>
        wheelFile(
          wheelMembers("evil", "1.0", {
            ...ok,
            "evil-1.0.dist-info/entry_points.txt": "[console_scripts]\nevil = os; os.system('id') #:x\n",
          }),
        ),
    ],
    [
      "a RECORD hash weaker than sha256",
      () =>
        wheelFile(
          wheelMembers("evil", "1.0", ok, {
            record: (l) => l.map((x) => x.replace(/,sha256=[^,]+,/, ",md5=AAAA,")),
          }),
        ),
    ],
    [
      "an unknown .data scheme folder",
      () => wheelFile(wheelMembers("evil", "1.0", { ...ok, "evil-1.0.data/etc/x": "y" })),
    ],
    ["a file name that is not a wheel's", () => wheelFile(wheelMembers("evil", "1.0", ok), "evil.zip")],
  ];
  for (const [label, make] of cases) {
    test(label, async () => {
      await refused(
        "WHEEL_INVALID",
        make().then((w) => install([w])),
      );
    });
  }
});

describe("zip forms real tools write", () => {
  for (const [label, options] of [
    ["zip64 records and extra fields", { zip64: true }],
    ["data descriptors", { dataDescriptors: true }],
    ["zip64 data descriptors", { zip64: true, dataDescriptors: true }],
  ] as [string, ZipOptions][]) {
    test(label, async () => {
      const payload = Buffer.from(deflateRawSync(Buffer.alloc(1)).toString("hex").repeat(5000));
      const w = await wheelFile(
        wheelMembers("evil", "1.0", { ...ok, "evil/data.bin": payload }),
        undefined,
        options,
      );
      const out = await install([w]);
      assert.equal(out.get(`${SITE}/evil/data.bin`)?.text, payload.toString("latin1"));
      assert.equal(out.get(`${SITE}/evil/__init__.py`)?.text, "x = 1\n");
    });
  }

  test("stored members, executable bits and a #!python script", async () => {
    const members = wheelMembers("evil", "1.0", {
      ...ok,
      "evil/run.sh": "#!/bin/sh\n",
      "evil-1.0.data/scripts/tool": "#!python -u\nprint(1)\n",
    }).map((m) => ({ ...m, method: 0 as const, mode: m.name === "evil/run.sh" ? 0o100755 : undefined }));
    const out = await install([await wheelFile(members)]);
    assert.equal(out.get(`${SITE}/evil/run.sh`)?.mode, 0o755);
    assert.equal(out.get(`${SITE}/evil/__init__.py`)?.mode, 0o644);
    assert.equal(out.get("usr/local/bin/tool")?.text, "#!/usr/bin/python3 -u\nprint(1)\n");
    assert.equal(out.get("usr/local/bin/tool")?.mode, 0o755);
    // `#!python3` starts with `#!python` too (pip rewrites it): the interpreter word is replaced whole.
    const more = await install([
      await wheelFile(
        wheelMembers("evil", "1.0", {
          ...ok,
          "evil-1.0.data/scripts/three": "#!python3 -u\nprint(3)\n",
          "evil-1.0.data/scripts/crlf": "#!python\r\nprint(4)\n",
        }),
      ),
    ]);
    assert.equal(more.get("usr/local/bin/three")?.text, "#!/usr/bin/python3 -u\nprint(3)\n");
    assert.equal(more.get("usr/local/bin/crlf")?.text, "#!/usr/bin/python3\nprint(4)\n");
    const record = out.get(`${SITE}/evil-1.0.dist-info/RECORD`)?.text ?? "";
    assert.match(record, /^\.\.\/\.\.\/\.\.\/bin\/tool,sha256=[\w-]+,31$/m);
    assert.equal(out.get(`${SITE}/evil-1.0.dist-info/INSTALLER`)?.text, "cudaseal\n");
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith(".pyc")),
      [],
    );
  });
});
