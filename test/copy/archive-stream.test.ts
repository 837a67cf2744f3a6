// A copy to an archive writes the tar as the blobs arrive: no layout is
// staged beside it (it needed twice the archive's disk), a blob that does not
// match its descriptor leaves nothing behind, and what is written is an
// archive skopeo and podman read.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ArchiveStream } from "../../src/copy/archive-stream.ts";
import { copyImage } from "../../src/copy/copy-image.ts";
import { isCudasealError } from "../../src/errors.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { hasTool, makeFixture, run } from "../oci/fixture-image.ts";

let work: string;
let multi: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-archive-stream-"));
  multi = join(work, "multi");
  await writeOciLayout(multi, makeFixture(join(work, "fx")).multi);
});

after(() => rmSync(work, { recursive: true, force: true }));

/** Every name that appears in `dir` while `work` runs (inotify reports them in order). */
async function namesSeen(dir: string, work: () => Promise<unknown>): Promise<Set<string>> {
  const seen = new Set<string>();
  const sentinel = `sentinel-${process.pid}`;
  let sawSentinel: () => void = () => undefined;
  const sentinelSeen = new Promise<void>((done) => {
    sawSentinel = done;
  });
  const watcher = watch(dir, (_event, name) => {
    if (name === null) return;
    if (name === sentinel) sawSentinel();
    else seen.add(name);
  });
  try {
    await work();
    // Events come in order: once the sentinel's is in, every earlier one is.
    writeFileSync(join(dir, sentinel), "");
    await sentinelSeen;
  } finally {
    watcher.close();
    rmSync(join(dir, sentinel), { force: true });
  }
  return seen;
}

test("a copy to oci-archive: or docker-archive: never stages a layout: only the archive and its temporary file appear", {
  skip: !hasTool("skopeo") && "skopeo missing",
}, async () => {
  for (const [transport, name, arch] of [
    ["oci-archive", "app.oci.tar", undefined],
    ["docker-archive", "app.docker.tar", "arm64"],
  ] as const) {
    const dir = join(work, `watched-${transport}`);
    mkdirSync(dir);
    const seen = await namesSeen(dir, () =>
      copyImage(`oci:${multi}:v1`, `${transport}:${join(dir, name)}`, { arch }),
    );
    for (const n of seen)
      assert.ok(n === name || n.startsWith(`.${name}.tmp-`), `${transport}: ${n} appeared`);
    // The watcher saw the writing: the temporary tar, renamed into place.
    assert.ok(
      [...seen].some((n) => n.startsWith(`.${name}.tmp-`)),
      [...seen].join(" "),
    );
    assert.deepEqual(readdirSync(dir), [name]);
    const inspected = JSON.parse(
      run("skopeo", ["inspect", "--override-arch", "arm64", `${transport}:${join(dir, name)}`]),
    );
    assert.equal(inspected.Architecture, "arm64");
  }
});

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function* chunks(...parts: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

test("a blob whose bytes do not match its digest fails the archive and leaves no file", async () => {
  const dir = join(work, "mismatch");
  mkdirSync(dir);
  const file = join(dir, "x.tar");
  const archive = new ArchiveStream(file);
  const good = Buffer.from("layer one");
  await archive.add({
    name: "blobs/sha256/a",
    size: good.length,
    digest: digestOf(good),
    open: () => chunks(good),
  });
  // Same size, other bytes: only the digest tells.
  const lie = Buffer.from("layer two");
  await assert.rejects(
    archive.add({
      name: "blobs/sha256/b",
      size: lie.length,
      digest: digestOf(good),
      open: () => chunks(lie),
    }),
    (err) => isCudasealError(err, "IMAGE_INVALID"),
  );
  await assert.rejects(archive.commit());
  assert.deepEqual(readdirSync(dir), []);
});

test("a blob shorter than its size fails the archive; an aborted archive leaves no file; a committed one is a tar", async () => {
  const dir = join(work, "short");
  mkdirSync(dir);
  const short = new ArchiveStream(join(dir, "short.tar"));
  const bytes = Buffer.from("0123456789");
  await assert.rejects(
    short.add({ name: "blobs/sha256/a", size: 11, digest: digestOf(bytes), open: () => chunks(bytes) }),
    (err) => isCudasealError(err, "IMAGE_INVALID"),
  );
  await short.abort();
  const aborted = new ArchiveStream(join(dir, "aborted.tar"));
  await aborted.add({ name: "blobs/sha256/a", size: 10, digest: digestOf(bytes), open: () => chunks(bytes) });
  await aborted.abort();
  assert.deepEqual(readdirSync(dir), []);

  const file = join(dir, "whole.tar");
  const whole = new ArchiveStream(file);
  // Arrival order is kept; parent folders come once, before their first file.
  await whole.add({
    name: "blobs/sha256/b",
    size: 10,
    digest: digestOf(bytes),
    open: () => chunks(bytes.subarray(0, 4), bytes.subarray(4)),
  });
  await whole.add({ name: "blobs/sha256/a", size: 10, open: () => chunks(bytes) });
  await whole.add({ name: "index.json", size: 2, open: () => chunks(Buffer.from("{}")) });
  assert.equal(existsSync(file), false);
  await whole.commit();
  assert.deepEqual(run("tar", ["-tf", file]).trim().split("\n"), [
    "blobs/",
    "blobs/sha256/",
    "blobs/sha256/b",
    "blobs/sha256/a",
    "index.json",
  ]);
  assert.deepEqual(readdirSync(dir), ["whole.tar"]);
});
