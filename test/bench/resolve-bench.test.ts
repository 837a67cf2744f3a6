import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import type { Sample } from "../../bench/measure.ts";
import type { Row } from "../../bench/report.ts";
import { aptConf, aptSources, makeAptRoot, simulatedInstalls } from "../../bench/resolve-apt-root.ts";
import { packageSet } from "../../bench/resolve-preset.ts";
import { resolveRatios, resolveTargets } from "../../bench/resolve-report.ts";
import { loadSpec } from "../../src/spec/load.ts";
import { startAptRepo } from "../helpers/apt-repo.ts";

const run = promisify(execFile);

test("the preset's package set is its top-level packages, includes merged, and what it leaves to the host", () => {
  const set = packageSet(loadSpec("preset:cuda-base").spec);
  assert.ok(set.packages.includes("libcudart12"), "cuda-base's own package");
  assert.ok(set.packages.includes("libc6"), "from the included cc preset");
  assert.ok(set.packages.includes("base-files"), "from static, included by cc");
  assert.ok(!set.packages.includes("gcc-14-base"), "a dependency is apt's to find, not named");
  assert.equal(new Set(set.packages).size, set.packages.length);
  assert.ok(set.provided.includes("debconf"));
  assert.equal(set.suite, "trixie");
  assert.equal(set.recommends, false);
});

test("a spec apt in a Debian-only root could not be asked the same is refused", () => {
  assert.throws(() => packageSet({ packages: ["x"], cuda: "12.8" }), /cuda/);
  assert.throws(() => packageSet({ packages: ["x"], sources: [{ name: "debian" }] }), /sources/);
  assert.throws(() => packageSet({}), /no packages/);
});

test("the apt.conf keeps apt inside its root, on one architecture, without Recommends", () => {
  const conf = aptConf("/r", "amd64");
  assert.match(conf, /^Dir "\/r\/";$/m);
  assert.match(conf, /^Dir::State::status "\/r\/var\/lib\/dpkg\/status";$/m);
  assert.match(conf, /^APT::Architectures \{ "amd64"; \};$/m);
  assert.match(conf, /^APT::Install-Recommends "false";$/m);
  assert.match(aptConf("/r", "arm64", true), /^APT::Install-Recommends "true";$/m);
  assert.throws(() => aptConf('/a"b', "amd64"), /cannot hold/);
});

test("each source becomes a deb822 stanza signed by the keyring", () => {
  const text = aptSources(
    [
      {
        uri: "http://m/debian",
        suites: ["trixie", "trixie-updates"],
        components: ["main", "non-free"],
        keyring: "debian",
        priority: 500,
      },
      { uri: "http://m/flat", suites: ["./"], components: [], keyring: "debian", priority: 500 },
    ],
    "/k.pgp",
  );
  assert.equal(
    text,
    "Types: deb\nURIs: http://m/debian\nSuites: trixie trixie-updates\nComponents: main non-free\nSigned-By: /k.pgp\n\n" +
      "Types: deb\nURIs: http://m/flat\nSuites: ./\nSigned-By: /k.pgp\n",
  );
});

test("the simulated install set is read from apt's Inst lines only", () => {
  const output = [
    "Reading package lists...",
    "Inst libc6 (2.41-12 Debian:13.8/stable [amd64])",
    "Inst base-files (13.8 Debian:13.8/stable [amd64])",
    "Conf libc6 (2.41-12 Debian:13.8/stable [amd64])",
  ].join("\n");
  assert.deepEqual(simulatedInstalls(output), ["libc6", "base-files"]);
});

test("apt-get resolves in the made root from a signed repository, builds its binary cache, and reads no host config", async (t) => {
  if (spawnSync("sh", ["-c", "command -v apt-get"]).status !== 0) {
    t.skip("apt-get is not installed");
    return;
  }
  const repo = await startAptRepo({
    packages: [
      { name: "app", version: "1.0", fields: { Depends: "libx (>= 2)" } },
      { name: "libx", version: "2.1" },
      { name: "unrelated", version: "1" },
    ],
  });
  const dir = await mkdtemp(join(tmpdir(), "bench-apt-root-"));
  t.after(async () => {
    await repo.close();
    await rm(dir, { recursive: true, force: true });
  });
  const root = await makeAptRoot(dir, {
    arch: "amd64",
    sources: [{ uri: repo.url, suites: ["trixie"], components: ["main"], keyring: "debian", priority: 500 }],
    keyring: repo.publicKeyPath,
  });
  const env = { ...process.env, ...root.env };
  // The configuration apt ends up with is the root's own, whatever the host's apt.conf.d says.
  const { stdout: dump } = await run("apt-config", ["dump"], { env });
  assert.match(dump, new RegExp(`^Dir "${dir}/";$`, "m"));
  assert.doesNotMatch(dump, /^Dir::Cache::pkgcache "";$/m);
  await run("apt-get", ["update"], { env });
  const { stdout } = await run("apt-get", ["install", "-s", "app"], { env });
  assert.deepEqual(simulatedInstalls(stdout).sort(), ["app", "libx"]);
  assert.ok((await stat(root.pkgcache)).size > 0, "apt kept its binary package cache");
});

const sample = (wallS: number, peakMiB: number, exitCode = 0): Sample => ({
  wallS,
  userS: wallS,
  sysS: 0,
  cpuS: wallS,
  peakRssKiB: peakMiB * 1024,
  exitCode,
});
const row = (id: string, samples: Sample[], details: unknown[] = []): Row => ({
  id,
  label: id,
  command: "",
  samples,
  outputBytes: samples.map(() => null),
  details,
});

test("the targets: one arch against apt, two arches against one, the largest unlocked peak, cold against the before", () => {
  const rows = [
    row("a", [sample(2, 80), sample(2.2, 80), sample(1.8, 80)]),
    row("b", [sample(2, 200), sample(1.9, 210)], [{ resolveMs: 1500 }, { resolveMs: 1300 }]),
    row("c", [sample(3.2, 250)]),
    row("d", [sample(1, 900)]),
    row("e", [sample(9, 300), sample(99, 300, 1)]),
  ];
  const r = resolveRatios(rows);
  assert.equal(r.unlockedVsAptWall, 1.95 / 2);
  assert.equal(r.twoArchesVsOneWall, 3.2 / 1.95);
  assert.equal(r.resolveStageOneArchS, 1.4);
  assert.equal(r.coldWallS, 9, "a failed run is left out");
  assert.equal(r.offlineWallS, undefined, "row g did not run");
  const offline = resolveRatios([...rows, row("g", [sample(1.5, 150)], [{ resolveMs: 200 }])]);
  assert.deepEqual([offline.offlineWallS, offline.resolveStageOfflineS], [1.5, 0.2]);
  const verdicts = Object.fromEntries(
    resolveTargets(rows, { wallS: 10, cpuS: 8 }).map((t) => [t.name.slice(0, 2), [t.value, t.verdict]]),
  );
  assert.deepEqual(verdicts["b:"], ["0.97×", "PASS"]);
  assert.deepEqual(verdicts["c:"], ["1.64×", "FAIL"]);
  // The locked row's 900 MiB is not an unlocked build's: e's 300 is the largest.
  assert.deepEqual(verdicts.pe, ["300 MiB", "FAIL"]);
  const cold = resolveTargets(rows, { wallS: 10, cpuS: 8 }).slice(-2);
  assert.deepEqual(
    cold.map((t) => [t.value, t.verdict]),
    [
      ["9.00 s", "PASS"],
      ["9.00 s", "FAIL"],
    ],
    "faster in wall time but not in CPU time is slower",
  );
  const none = resolveTargets(rows, { wallS: 0, cpuS: 0 }).slice(-2);
  assert.deepEqual(
    none.map((t) => t.verdict),
    ["n/a", "n/a"],
    "no recorded before: nothing to judge",
  );
  const aptMissing = resolveTargets([row("b", [sample(1, 1)])], { wallS: 10, cpuS: 8 });
  assert.equal(aptMissing[0].verdict, "n/a", "without apt's row");
});

test("with the tree before in the same run (row f), the cold target is e against f, not the recorded figure", () => {
  const rows = [row("e", [sample(9, 500), sample(11, 520)]), row("f", [sample(8, 700), sample(12, 760)])];
  const cold = resolveTargets(rows, { wallS: 100, cpuS: 100 }).slice(-2);
  assert.deepEqual(
    cold.map((t) => [t.name, t.value, t.verdict]),
    [
      ["e: cold resolve (wall) / f, the tree before", "1.000×", "PASS"],
      ["e: cold resolve (CPU) / f, the tree before", "1.000×", "PASS"],
    ],
  );
  const slower = [row("e", [sample(10, 500)]), row("f", [sample(8, 700)])];
  assert.deepEqual(
    resolveTargets(slower, { wallS: 100, cpuS: 100 })
      .slice(-2)
      .map((t) => t.verdict),
    ["FAIL", "FAIL"],
    "faster than the recorded figure, slower than the tree before: slower",
  );
  // Row f's peak is the old tree's: the memory target covers this tree's unlocked rows only.
  assert.equal(resolveTargets(rows, { wallS: 0, cpuS: 0 })[2].value, "510 MiB");
});
