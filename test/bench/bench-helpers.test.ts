import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { providesFor } from "../../bench/flat-repo.ts";
import { median, runInterleaved, timeShell } from "../../bench/measure.ts";
import { formatTable, type Row, ratios, targets } from "../../bench/report.ts";

const INDEX = `Package: base-files
Version: 13.8
Pre-Depends: awk

Package: ca-certificates
Version: 20250419
Depends: openssl (>= 1.1.1), debconf (>= 0.5) | debconf-2.0

Package: tzdata
Version: 2026f
Depends: debconf (>= 0.5) | debconf-2.0, openssl (<< 4)
`;

test("the stub provides each name at a version every dependency on it accepts", () => {
  assert.equal(
    providesFor(INDEX, ["awk", "debconf", "debconf-2.0", "openssl"]),
    "awk, debconf (= 0.5), debconf-2.0, openssl (= 1.1.1)",
  );
});

test("a name no version can satisfy is refused, not papered over", () => {
  const index = "Package: a\nVersion: 1\nDepends: x (>= 2), x (<< 1)\n";
  assert.throws(() => providesFor(index, ["x"]), /no version of x/);
});

test("median of odd and even counts", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test("timeShell measures a whole pipeline and reports a failing one's exit status", async (t) => {
  try {
    execFileSync("/usr/bin/time", ["-f", "%e", "true"], { stdio: "ignore" });
  } catch {
    t.skip("GNU time is not at /usr/bin/time");
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "bench-measure-"));
  try {
    const files = (name: string) => ({
      stdoutFile: join(dir, `${name}.out`),
      stderrFile: join(dir, `${name}.err`),
      timeFile: join(dir, `${name}.time`),
    });
    const ok = await timeShell("head -c 1000000 /dev/zero | wc -c", { shell: "sh", ...files("ok") });
    assert.equal(ok.exitCode, 0);
    assert.ok(ok.peakRssKiB > 0 && ok.wallS >= 0 && ok.cpuS >= 0);
    const bad = await timeShell("set -o pipefail; false | cat", { shell: "bash", ...files("bad") });
    assert.equal(bad.exitCode, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("ratios and targets come from medians, and rows that did not run give n/a", () => {
  const row = (id: string, wall: number[], bytes: number | null): Row => ({
    id,
    label: `row ${id} | piped`,
    command: "",
    samples: wall.map((wallS) => ({
      wallS,
      userS: wallS,
      sysS: 0,
      cpuS: wallS,
      peakRssKiB: 300 * 1024,
      exitCode: 0,
    })),
    outputBytes: wall.map(() => bytes),
    details: [],
  });
  const rows = [row("a", [60, 62, 100], 1000), row("b", [62, 61, 90], 1010), row("d", [2.5], 1000)];
  const r = ratios(rows);
  assert.equal(r.coldVsPeerWall, 62 / 62);
  assert.equal(r.coldVsFloorWall, undefined);
  const verdicts = Object.fromEntries(targets(rows, ["a", "d"]).map((t) => [t.name, t.verdict]));
  assert.deepEqual(verdicts, {
    "cold vs peer (wall)": "PASS",
    "cold vs floor (wall)": "n/a",
    "warm rebuild (wall)": "PASS",
    "cudaseal peak RSS": "PASS",
  });
  assert.match(formatTable(rows), /row a \\\| piped \| 62\.00 \|/);
});

test("runInterleaved runs the rows in turn, each run's stdout and a failure's stderr tail handed back", async (t) => {
  const work = await mkdtemp(join(tmpdir(), "cudaseal-bench-interleave-"));
  t.after(() => rm(work, { recursive: true, force: true }));
  const seen: string[] = [];
  const rows = [
    { id: "a", label: "echoes", command: (i: number) => `echo a${i}` },
    { id: "b", label: "fails", command: (i: number) => `echo oops${i} >&2; exit 3` },
  ];
  const notes: string[] = [];
  await runInterleaved(
    rows,
    2,
    work,
    (n) => notes.push(n),
    (row, i, result) => {
      seen.push(`${row.id}${i}:${result.sample.exitCode}:${result.stdout.trim()}:${result.failure ?? ""}`);
    },
  );
  assert.deepEqual(seen, ["a0:0:a0:", "b0:3::oops0", "a1:0:a1:", "b1:3::oops1"]);
  assert.ok(notes.some((n) => n.startsWith("[b 2/2]")));
});
