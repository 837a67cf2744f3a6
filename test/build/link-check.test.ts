// The build's link check end to end, on real ELF files: a real glibc (this
// machine's), a library built by gcc into a directory the loader finds only
// through an ld.so.conf.d file (and without its soname link, which ldconfig
// would have made), and a program needing it, published in a signed apt
// repository on 127.0.0.1. Missing, the library fails the build naming the
// file, the soname and the package that ships it; waived, the build goes
// on; present, the written ld.so.cache lets the program start under
// `cudaseal run`.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { AptSource } from "../../src/apt/sources.ts";
import { type BuildOptions, build } from "../../src/build/build.ts";
import { parseOutput } from "../../src/build/output.ts";
import { isCudasealError } from "../../src/errors.ts";
import { parseLdCache } from "../../src/link/index.ts";
import type { Spec } from "../../src/spec/types.ts";
import { type AptRepo, type PackageSpec, startAptRepo } from "../helpers/apt-repo.ts";
import { cudasealRun, unavailable } from "../run/fixture.ts";

const TRIPLET = "x86_64-linux-gnu";
const skip = process.arch !== "x64" ? "the host libc is amd64's only on x64" : false;

let repo: AptRepo;
let work: string;
let sources: AptSource[];

function hostLib(name: string): Buffer {
  return readFileSync(`/lib/${TRIPLET}/${name}`);
}

function packages(dir: string): PackageSpec[] {
  writeFileSync(join(dir, "foo.c"), "int foo(void){return 3;}\n");
  writeFileSync(
    join(dir, "app.c"),
    '#include <stdio.h>\nint foo(void);\nint main(void){printf("foo=%d\\n", foo());return 0;}\n',
  );
  const gcc = (args: string[]) => execFileSync("gcc", args, { cwd: dir, stdio: "pipe" });
  gcc(["-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", "-o", "libfoo.so.1", "foo.c"]);
  gcc(["-o", "app", "app.c", "-L.", "-l:libfoo.so.1"]);
  const exe = (path: string) => ({ content: readFileSync(join(dir, path)), mode: 0o755 });
  return [
    {
      name: "libc6",
      version: "2.36-9",
      fields: { "Multi-Arch": "same" },
      files: {
        [`lib/${TRIPLET}/libc.so.6`]: { content: hostLib("libc.so.6"), mode: 0o755 },
        // The kernel maps the loader only if it may execute it, as Debian ships it.
        [`lib/${TRIPLET}/ld-linux-x86-64.so.2`]: { content: hostLib("ld-linux-x86-64.so.2"), mode: 0o755 },
        "lib64/ld-linux-x86-64.so.2": { symlink: `/lib/${TRIPLET}/ld-linux-x86-64.so.2` },
      },
    },
    {
      // NVIDIA-style: a directory of its own, named in ld.so.conf.d; the soname link left to ldconfig.
      name: "libfoo1",
      version: "1.0-1",
      fields: { Depends: "libc6" },
      files: {
        "usr/lib/foo/libfoo.so.1.0": readFileSync(join(dir, "libfoo.so.1")),
        "etc/ld.so.conf.d/foo.conf": "/usr/lib/foo\n",
      },
    },
    { name: "app", version: "1.0-1", fields: { Depends: "libc6" }, files: { "usr/bin/app": exe("app") } },
  ];
}

function options(name: string, spec: Partial<Spec>): BuildOptions {
  const dir = join(work, name);
  return {
    spec: { name: "linkimg", entrypoint: ["/usr/bin/app"], ...spec },
    archs: ["amd64"],
    sources,
    cacheDir: join(work, "cache"),
    output: parseOutput(`oci:${join(dir, "out")}:v1`, name),
    compression: { algorithm: "gzip", level: 1 },
  };
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), "cudaseal-link-"));
  repo = await startAptRepo({ packages: packages(work) });
  sources = [
    {
      uri: repo.url,
      suites: [repo.suite],
      components: ["main"],
      keyring: [repo.publicKeyPath],
      priority: 500,
    },
  ];
});

after(async () => {
  await repo?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test("a program whose library no package in the image ships fails the build, naming both and the package that would", {
  skip,
}, async () => {
  const opts = options("missing", { packages: ["app"] });
  await assert.rejects(build(opts), (err) => {
    assert.ok(isCudasealError(err, "LINK_UNRESOLVED"), String(err));
    const details = err.details as { problems: Record<string, string>[] };
    assert.deepEqual(details.problems, [
      { path: "usr/bin/app", kind: "needed", missing: "libfoo.so.1", owner: "app", provider: "libfoo1" },
    ]);
    assert.match(err.message, /\/usr\/bin\/app .*libfoo\.so\.1.*libfoo1/);
    return true;
  });
  assert.ok(!existsSync(join(work, "missing", "out")), "the failed build wrote its output");
});

test("allow.unresolved waives it, and the build reports the waiver", { skip }, async () => {
  const result = await build(
    options("waived", { packages: ["app"], allow: { unresolved: ["libfoo.so.*"] } }),
  );
  const link = result.links[0];
  assert.deepEqual(
    link.waived.map((p) => [p.path, p.missing]),
    [["usr/bin/app", "libfoo.so.1"]],
  );
  assert.ok(link.filesChecked >= 3, `${link.filesChecked} files checked`);
});

test("with the library, the ld.so.cache the build writes finds it in its ld.so.conf.d directory, and the program starts", {
  skip,
}, async (t) => {
  const result = await build(options("present", { packages: ["app", "libfoo1"] }));
  const link = result.links[0];
  assert.deepEqual(link.waived, []);
  assert.ok(link.cacheEntries >= 3);
  // The cache the loader reads, and the soname link ldconfig would have made, are in the image.
  const tree = result.platforms[0].tree;
  assert.deepEqual(tree.nodes.get("usr/lib/foo/libfoo.so.1"), {
    type: "symlink",
    target: "libfoo.so.1.0",
    owner: "system",
  });
  assert.ok(
    tree.nodes.get("etc/ld.so.conf")?.type === "file",
    "libc-bin's ld.so.conf is written where no package ships it",
  );
  // Reproducible: written again, not from the layer cache, the system layer (the cache in it) is the same blob.
  const again = await build({
    ...options("present-again", { packages: ["app", "libfoo1"] }),
    layerCache: false,
  });
  const system = (r: typeof result) => r.platforms[0].layers.find((l) => l.name === "system")?.digest;
  assert.equal(system(again), system(result));
  const layout = join(work, "present", "out");
  const unpacked = join(work, "present", "unpacked");
  execFileSync("umoci", ["unpack", "--rootless", "--image", `${layout}:v1`, unpacked], { stdio: "pipe" });
  const cache = parseLdCache(readFileSync(join(unpacked, "rootfs/etc/ld.so.cache")));
  assert.ok(cache.entries.some((e) => e.soname === "libfoo.so.1" && e.path === "/usr/lib/foo/libfoo.so.1"));
  const why = await unavailable();
  if (why) {
    t.skip(why);
    return;
  }
  const run = cudasealRun(join(work, "cache"), [`oci:${layout}:v1`]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), "foo=3");
});

test("trim: elf's list of sonames it found nowhere agrees with the link check, which finds the library through ld.so.conf.d", {
  skip,
}, async () => {
  const result = await build(options("trimmed", { packages: ["app", "libfoo1"], trim: "elf" }));
  assert.deepEqual(result.platforms[0].unresolvedLibraries, []);
  assert.deepEqual(result.links[0].waived, []);
});
