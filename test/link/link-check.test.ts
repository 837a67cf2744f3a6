// The link check on real files: gcc-built programs and libraries in a
// Debian-shaped root with this machine's glibc, read into an ImageTree as
// the build reads layers.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { checkLinks, type ImageTree, linkError, sonameConflictError } from "../../src/link/index.ts";
import { readImageTree } from "../helpers/image-tree.ts";
import {
  CUDA_LIB,
  debianRoot,
  gcc,
  link,
  nvidiaRoot,
  put,
  removeCompiled,
  sharedObject,
  tempRoot,
} from "../helpers/link-roots.ts";

let root: string;
let remove: () => Promise<void>;
/** Every program below; with-runpath cannot start (its library's need is found only through DT_RPATH). */
let full: ImageTree;
/** The same without with-runpath: nothing in it is unresolved but what each test removes. */
let base: ImageTree;

const owners: Record<string, string> = {
  "usr/bin/app": "app",
  "opt/tool/bin/tool": "tool",
  "usr/bin/uses-cuda": "uses-cuda",
  "usr/bin/driver-user": "driver-user",
};

before(
  async () => {
    ({ root, remove } = await tempRoot());
    await debianRoot(root);
    await nvidiaRoot(root);
    const main = "int cudart_version(void); int main(void) { return cudart_version() == 42 ? 0 : 1; }\n";
    // Linked against the CUDA runtime, found at run time through the cache (ld.so.conf.d).
    gcc(root, "usr/bin/app", main, [`-L${join(root, CUDA_LIB)}`, "-lcudart"]);
    // A bundled library found only through RUNPATH $ORIGIN/../lib.
    await sharedObject(root, "opt/tool/lib/libhelper.so.1", "libhelper.so.1", "cudart_version");
    await mkdir(join(root, "opt/tool/bin"), { recursive: true });
    gcc(root, "opt/tool/bin/tool", main, [
      `-L${join(root, "opt/tool/lib")}`,
      "-l:libhelper.so.1",
      "-Wl,--enable-new-dtags",
      "-Wl,-rpath,$ORIGIN/../lib",
    ]);
    // The CUDA driver library comes from the host at run time.
    await sharedObject(root, "tmp-build/libcuda.so.1", "libcuda.so.1", "cuInit");
    gcc(root, "usr/bin/driver-user", "int cuInit(void); int main(void) { return cuInit(); }\n", [
      `-L${join(root, "tmp-build")}`,
      "-l:libcuda.so.1",
    ]);
    await rm(join(root, "tmp-build"), { recursive: true });
    // A library needing another found only through the DT_RPATH of the program that loads it:
    // ld.so inherits DT_RPATH down the loading chain, never DT_RUNPATH.
    const rp = join(root, "opt/rp/lib");
    await sharedObject(root, "opt/rp/lib/libinner.so.1", "libinner.so.1", "inner");
    gcc(root, "opt/rp/lib/libouter.so.1", "int inner(void); int outer(void) { return inner(); }\n", [
      "-shared",
      "-fPIC",
      "-Wl,-soname,libouter.so.1",
      `-L${rp}`,
      "-l:libinner.so.1",
    ]);
    await mkdir(join(root, "opt/rp/bin"), { recursive: true });
    const outerMain = "int outer(void); int main(void) { return outer() == 42 ? 0 : 1; }\n";
    const chain = [`-L${rp}`, "-l:libouter.so.1", `-Wl,-rpath-link,${rp}`, "-Wl,-rpath,$ORIGIN/../lib"];
    gcc(root, "opt/rp/bin/with-rpath", outerMain, [...chain, "-Wl,--disable-new-dtags"]);
    gcc(root, "opt/rp/bin/with-runpath", outerMain, [...chain, "-Wl,--enable-new-dtags"]);
    // A program whose RUNPATH finds both a library and what that library needs (systemd and
    // libsystemd-core): the library finds it already loaded, though no path of its own leads there.
    gcc(root, "opt/rp/bin/loads-both", outerMain, [
      "-Wl,--no-as-needed",
      `-L${rp}`,
      "-l:libouter.so.1",
      "-l:libinner.so.1",
      "-Wl,--enable-new-dtags",
      "-Wl,-rpath,$ORIGIN/../lib",
    ]);
    await put(root, "usr/bin/needs-sh", "#!/bin/sh\necho hi\n", 0o755);
    await put(root, "usr/bin/py-tool", "#!/usr/bin/env python3\nprint('hi')\n", 0o755);
    await put(root, "usr/bin/not-run", "#!/nowhere/interp\n", 0o644);
    await put(root, "usr/bin/env", "#!/not/checked/here\n", 0o644);
    full = await readImageTree(root, "amd64", (p) => owners[p]);
    base = edit(full, { "opt/rp/bin/with-runpath": null });
    assert.ok(base.nodes.get("usr/bin/app")?.type === "file");
  },
  { timeout: 60_000 },
);

after(async () => {
  await remove();
  await removeCompiled();
});

/** The tree with paths removed or replaced. */
function edit(
  tree: ImageTree,
  changes: Record<string, ImageTree["nodes"] extends Map<string, infer N> ? N | null : never>,
): ImageTree {
  const nodes = new Map(tree.nodes);
  for (const [p, n] of Object.entries(changes)) {
    if (n === null) nodes.delete(p);
    else nodes.set(p, n);
  }
  return { arch: tree.arch, nodes };
}

const pythonPresent = (t: ImageTree) =>
  edit(t, { "usr/bin/python3": { type: "file", mode: 0o755, size: 1, owner: "python3" } });

const summary = (t: ImageTree, waive?: string[]) =>
  checkLinks(t, { waive }).problems.map((p) => `${p.kind} ${p.path} ${p.missing}`);

test("programs built by gcc resolve: through the cache, RUNPATH $ORIGIN, and the host's driver library", () => {
  const result = checkLinks(pythonPresent(base));
  // Only the script whose /bin/sh is not in this root is left.
  assert.deepEqual(
    result.problems.map((p) => `${p.kind} ${p.path} ${p.missing}`),
    ["interpreter usr/bin/needs-sh /bin/sh"],
  );
  assert.deepEqual(result.conflicts, []);
});

test("a script's missing interpreter is reported; one that is not executable is not checked", () => {
  const problems = checkLinks(base).problems;
  assert.ok(
    problems.some(
      (p) => p.path === "usr/bin/needs-sh" && p.kind === "interpreter" && p.missing === "/bin/sh",
    ),
  );
  assert.ok(!problems.some((p) => p.path === "usr/bin/not-run"));
});

test("#!/usr/bin/env python3 resolves when python3 is on the path and is reported when it is not", () => {
  assert.ok(summary(base).includes("interpreter usr/bin/py-tool python3"));
  assert.ok(!summary(pythonPresent(base)).some((s) => s.includes("py-tool")));
  const sh = edit(pythonPresent(base), { "usr/bin/sh": { type: "file", mode: 0o755, size: 1 } });
  assert.deepEqual(summary(sh), []);
});

test("removing the library a program needs gives a problem naming the file, the soname and its package", () => {
  const t = edit(pythonPresent(base), { [`${CUDA_LIB}/libcudart.so.12.8.90`]: null });
  const problems = checkLinks(t).problems.filter((p) => p.kind === "needed");
  assert.deepEqual(problems, [
    { path: "usr/bin/app", kind: "needed", missing: "libcudart.so.12", owner: "app" },
  ]);
  const err = linkError(problems, (p) => (p.missing === "libcudart.so.12" ? "cuda-cudart-12-8" : undefined));
  assert.ok(isCudasealError(err, "LINK_UNRESOLVED"));
  assert.match(err.message, /\/usr\/bin\/app \(from app\) needs libcudart\.so\.12.*cuda-cudart-12-8/);
  assert.match(err.hint ?? "", /cuda-cudart-12-8.*allow\.unresolved.*"libcudart\.so\.12"/);
});

test("a library found only in the cache's folder without its soname link counts, as the build adds the link", () => {
  // libcublas.so.12 has no soname link on disk; ldconfig would make it.
  const t = edit(pythonPresent(base), {});
  const withNeed = edit(t, {
    "usr/bin/app": (() => {
      const n = structuredClone(t.nodes.get("usr/bin/app"));
      if (n?.type !== "file" || !n.elf) throw new Error("no app");
      n.elf.needed.push("libcublas.so.12");
      return n;
    })(),
  });
  assert.deepEqual(
    summary(withNeed).filter((s) => s.startsWith("needed")),
    [],
  );
});

test("RUNPATH $ORIGIN is what finds the bundled library: without the library it is a problem", () => {
  const t = edit(pythonPresent(base), { "opt/tool/lib/libhelper.so.1": null });
  assert.deepEqual(
    summary(t).filter((s) => s.startsWith("needed")),
    ["needed opt/tool/bin/tool libhelper.so.1"],
  );
});

test("DT_RPATH is inherited down the loading chain and DT_RUNPATH is not, as the host's own loader shows", () => {
  // This machine's loader agrees: the same programs run from the temporary root.
  assert.equal(spawnSync(join(root, "opt/rp/bin/with-rpath")).status, 0);
  const failed = spawnSync(join(root, "opt/rp/bin/with-runpath"));
  assert.notEqual(failed.status, 0);
  assert.match(String(failed.stderr), /libinner\.so\.1/);
  const problems = summary(pythonPresent(full)).filter((s) => s.startsWith("needed"));
  assert.deepEqual(problems, ["needed opt/rp/lib/libouter.so.1 libinner.so.1"]);
  // Only because with-runpath loads it: with that program gone, the inherited DT_RPATH finds it.
  assert.deepEqual(
    summary(edit(pythonPresent(full), { "opt/rp/bin/with-runpath": null })).filter((s) =>
      s.startsWith("needed"),
    ),
    [],
  );
});

test("a library finds what the program loading it has loaded already", () => {
  const both = spawnSync(join(root, "opt/rp/bin/loads-both"));
  assert.equal(both.status, 0, String(both.stderr));
  const elf = base.nodes.get("opt/rp/bin/loads-both");
  assert.ok(elf?.type === "file" && elf.elf?.needed.includes("libinner.so.1"));
  // Only loads-both and with-rpath load libouter here; both provide libinner.
  const t = edit(pythonPresent(base), { "opt/rp/bin/with-rpath": null });
  assert.deepEqual(
    summary(t).filter((s) => s.startsWith("needed")),
    [],
  );
});

test("libraries that load only one another are checked as if dlopen'd: what none of them finds is missing", () => {
  const lib = (soname: string, needed: string[]) => ({
    type: "file" as const,
    mode: 0o644,
    size: 1,
    elf: { bits: 64 as const, machine: 62, type: "dyn" as const, soname, needed, rpath: [], runpath: [] },
  });
  const t = edit(pythonPresent(base), {
    "usr/lib/x86_64-linux-gnu/libring-a.so.1": lib("libring-a.so.1", ["libring-b.so.1", "libgone.so.1"]),
    "usr/lib/x86_64-linux-gnu/libring-b.so.1": lib("libring-b.so.1", ["libring-a.so.1", "libgone.so.1"]),
  });
  assert.deepEqual(
    summary(t).filter((p) => p.startsWith("needed")),
    [
      "needed usr/lib/x86_64-linux-gnu/libring-a.so.1 libgone.so.1",
      "needed usr/lib/x86_64-linux-gnu/libring-b.so.1 libgone.so.1",
    ],
  );
});

test("a waiver glob on the soname or on the file's path waives the problem", () => {
  const t = edit(pythonPresent(base), {
    [`${CUDA_LIB}/libcudart.so.12.8.90`]: null,
    "opt/tool/lib/libhelper.so.1": null,
  });
  const r = checkLinks(t, { waive: ["libcudart.so.*", "opt/tool/**", "/bin/sh"] });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.waived.map((p) => p.missing),
    ["libhelper.so.1", "libcudart.so.12", "/bin/sh"],
  );
});

test("the driver library counts as present only because the host provides it", () => {
  assert.ok(!summary(base).some((s) => s.includes("driver-user")));
  // A soname that is not the driver's stays missing.
  const t = edit(base, {
    "usr/bin/driver-user": (() => {
      const n = structuredClone(base.nodes.get("usr/bin/driver-user"));
      if (n?.type !== "file" || !n.elf) throw new Error("no driver-user");
      n.elf.needed = ["libcudax.so.1"];
      return n;
    })(),
  });
  assert.ok(summary(t).includes("needed usr/bin/driver-user libcudax.so.1"));
});

test("a missing PT_INTERP is a loader problem", () => {
  const t = edit(pythonPresent(base), { "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": null });
  const loader = checkLinks(t).problems.filter((p) => p.kind === "loader");
  assert.ok(loader.some((p) => p.path === "usr/bin/app" && p.missing === "/lib64/ld-linux-x86-64.so.2"));
});

test("files never loaded and files for another machine are listed as skipped, not checked", () => {
  const elf = {
    bits: 64 as const,
    machine: 62,
    type: "dyn" as const,
    needed: ["libnowhere.so.1"],
    rpath: [],
    runpath: [],
  };
  const t = edit(pythonPresent(base), {
    "usr/lib/debug/.build-id/ab/cdef.debug": { type: "file", mode: 0o644, size: 1, elf },
    "usr/lib/modules/6.1/kernel/nvidia.ko": {
      type: "file",
      mode: 0o644,
      size: 1,
      elf: { ...elf, type: "other" },
    },
    "usr/lib/firmware/nvidia/gsp.bin": { type: "file", mode: 0o644, size: 1, elf },
    "opt/x/thing.o": { type: "file", mode: 0o644, size: 1, elf: { ...elf, type: "other" } },
    "opt/x/reloc": { type: "file", mode: 0o644, size: 1, elf: { ...elf, type: "other" } },
    "opt/x/arm-tool": { type: "file", mode: 0o755, size: 1, elf: { ...elf, machine: 183, type: "exec" } },
  });
  const r = checkLinks(t);
  assert.deepEqual(
    r.skipped.map((s) => `${s.reason} ${s.path}`),
    [
      "other-machine opt/x/arm-tool",
      "not-loaded opt/x/reloc",
      "object-file opt/x/thing.o",
      "debug usr/lib/debug/.build-id/ab/cdef.debug",
      "firmware usr/lib/firmware/nvidia/gsp.bin",
      "kernel-module usr/lib/modules/6.1/kernel/nvidia.ko",
    ],
  );
  assert.ok(!r.problems.some((p) => p.missing === "libnowhere.so.1"));
});

test("two packages' files with one soname in the cache's folders are a conflict; links to one file are not", async () => {
  const { root: r2, remove: rm2 } = await tempRoot();
  try {
    await debianRoot(r2);
    await nvidiaRoot(r2);
    await sharedObject(
      r2,
      "usr/lib/x86_64-linux-gnu/libcudart.so.12.0.1",
      "libcudart.so.12",
      "cudart_version",
    );
    await link(r2, "usr/lib/x86_64-linux-gnu/libcudart.so.12", "libcudart.so.12.0.1");
    const t = await readImageTree(r2, "amd64", (p) =>
      p.startsWith("usr/local/") ? "cuda-cudart-12-8" : p.includes("libcudart") ? "libcudart12" : "libc6",
    );
    const r = checkLinks(t);
    assert.deepEqual(r.conflicts, [
      {
        soname: "libcudart.so.12",
        files: [
          { path: "usr/lib/x86_64-linux-gnu/libcudart.so.12.0.1", owner: "libcudart12" },
          { path: `${CUDA_LIB}/libcudart.so.12.8.90`, owner: "cuda-cudart-12-8" },
        ],
      },
    ]);
    const err = sonameConflictError(r.conflicts);
    assert.ok(isCudasealError(err, "LINK_SONAME_CONFLICT"));
    assert.match(err.message, /libcudart\.so\.12: .*libcudart12.*cuda-cudart-12-8/);
  } finally {
    await rm2();
  }
});
