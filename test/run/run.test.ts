// `cudaseal run` end to end, through the CLI as a user runs it: real
// namespaces (util-linux unshare), the real static launcher, real images
// holding a static probe and the project's GPU smoke program, and a fake
// NVIDIA driver tree (fixture.ts) passed with --driver-root. Needs root or
// unprivileged user namespaces, and gcc with a static libc.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { staticBinary } from "../../src/native/static-binary.ts";
import {
  CLI,
  cudasealRun,
  facts,
  hostileLayer,
  makeRunFixture,
  type RunFixture,
  TRIPLET,
  tarDirectory,
  unavailable,
  writeImage,
} from "./fixture.ts";

describe("cudaseal run", { skip: await unavailable() }, () => {
  let work: string;
  let fx: RunFixture;
  let cacheDir: string;
  let runTmp: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "cudaseal-run-test-"));
    fx = await makeRunFixture(work);
    cacheDir = join(work, "cache");
    runTmp = join(work, "tmp");
    mkdirSync(runTmp);
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** The CLI, with the cache and temporary directory of this test. */
  function cudaseal(args: string[], env: Record<string, string> = {}) {
    return cudasealRun(cacheDir, args, { ...process.env, TMPDIR: runTmp, ...env });
  }

  function noRunDirsLeft(): void {
    assert.deepEqual(readdirSync(runTmp), [], "a run directory was left behind");
  }

  test("runs the entrypoint and cmd as the image's user, in its workdir, with its env", () => {
    const r = cudaseal([fx.probe]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.facts.uid, "1234"); // User "app", from the image's /etc/passwd
    assert.equal(r.facts.gid, "2345");
    assert.equal(r.facts.cwd, "/work");
    assert.equal(r.facts.arg0, "/usr/local/bin/probe");
    assert.equal(r.facts.arg1, "from-cmd");
    assert.equal(r.facts["env.GREETING"], "hello");
    assert.equal(r.facts["env.PATH"], "/usr/local/bin:/usr/bin");
    assert.equal(r.facts.pid, "2"); // a PID namespace of its own, the launcher as PID 1
    assert.equal(r.facts.capeff, "0000000000000000");
    assert.equal(r.facts.nnp, "1");
    noRunDirsLeft();
  });

  test("the root is read-only and /tmp is writable; --writable opts out", () => {
    const r = cudaseal([fx.probe]);
    assert.equal(r.facts["write.root"], "Read-only file system");
    assert.equal(r.facts["write.tmp"], "ok");
    const w = cudaseal(["--writable", "--user", "0:0", fx.probe]);
    assert.equal(w.facts["write.root"], "ok");
    // Root inside keeps only docker's default capabilities, less NET_RAW on the host's network.
    assert.equal(w.facts.capbnd, "00000000a80405fb");
    // Writes go to the run's own layer: the cached image is untouched for the next run.
    assert.equal(cudaseal(["--user", "0:0", fx.probe]).facts["write.root"], "Read-only file system");
  });

  test("-- replaces Cmd; -e, --user and --workdir override the image; the exit code comes back", () => {
    const r = cudaseal([
      "-e",
      "FROM_CLI=yes",
      "-e",
      "GREETING=bye",
      "-u",
      "7:8",
      "-w",
      "/",
      fx.probe,
      "--",
      "exit",
      "42",
    ]);
    assert.equal(r.status, 42);
    assert.equal(r.facts.arg1, "exit");
    assert.equal(r.facts.arg2, "42");
    assert.equal(r.facts["env.FROM_CLI"], "yes");
    assert.equal(r.facts["env.GREETING"], "bye");
    assert.deepEqual([r.facts.uid, r.facts.gid, r.facts.cwd], ["7", "8", "/"]);
  });

  test("the workload gets no supplementary group and no descriptor beyond stdio from its caller", () => {
    // setpriv gives the caller groups to keep; fd 3 is left open without close-on-exec.
    const r = spawnSync(
      "setpriv",
      ["--groups", "4,24", "--", process.execPath, CLI, "run", "--quiet", "--cache-dir", cacheDir, fx.probe],
      {
        encoding: "utf8",
        env: { ...process.env, TMPDIR: runTmp },
        stdio: ["ignore", "pipe", "pipe", "pipe"],
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const f = facts(r.stdout);
    assert.equal(f.uid, "1234");
    assert.equal(f.groups, "");
    assert.equal(f.fds, "0,1,2");
    noRunDirsLeft();
  });

  test("a user change the kernel refuses stops the run before the command (125), never runs it as root", () => {
    // In a user namespace that maps only root, the image's user 1234 cannot be taken.
    const r = spawnSync(
      "unshare",
      ["--user", "--map-root-user", "--", process.execPath, CLI, "run", "--cache-dir", cacheDir, fx.probe],
      { encoding: "utf8", env: { ...process.env, TMPDIR: runTmp } },
    );
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /cudaseal-launch: set gid 2345/);
    assert.doesNotMatch(r.stdout, /uid=/);
  });

  test("the launcher refuses an id past uid_t, which would wrap to root", async () => {
    const launcher = await staticBinary("cudaseal-launch", { cacheDir });
    for (const id of ["4294967296", "-2"]) {
      const r = spawnSync(
        launcher,
        ["--lower", "/l", "--upper", "/u", "--work", "/w", "--merged", "/m", "--uid", id, "--", "true"],
        {
          encoding: "utf8",
        },
      );
      assert.equal(r.status, 125);
      assert.match(r.stderr, new RegExp(`--uid ${id}: Numerical result out of range`));
    }
  });

  test("a seccomp filter refuses keyrings, namespaces, io_uring and ASLR-off; seccomp=unconfined lifts it", () => {
    const filtered = cudaseal([fx.probe, "--", "syscalls"]);
    assert.equal(filtered.status, 0, filtered.stderr);
    const f = filtered.facts;
    for (const call of ["keyctl", "unshare", "clone_newuser", "io_uring", "personality_norandom"])
      assert.equal(f[`sys.${call}`], "Operation not permitted", call);
    // clone3's flags are out of a filter's reach: ENOSYS sends glibc back to clone.
    assert.equal(f["sys.clone3"], "Function not implemented");
    for (const call of ["fork", "personality_query", "getpid"]) assert.equal(f[`sys.${call}`], "ok", call);

    const open = cudaseal(["--security-opt", "seccomp=unconfined", fx.probe, "--", "syscalls"]);
    assert.equal(open.status, 0, open.stderr);
    // Unprivileged and allowed by the kernel everywhere: only the filter refused them.
    for (const call of ["keyctl", "personality_norandom", "fork"])
      assert.equal(open.facts[`sys.${call}`], "ok", call);
    assert.notEqual(open.facts["sys.clone3"], "Function not implemented");

    const bad = cudaseal(["--security-opt", "apparmor=docker-default", fx.probe]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /USAGE/);
  });

  test("-v binds host folders read-write or read-only, nosuid and nodev; bad volumes are usage errors", () => {
    const shared = join(work, "volume-rw");
    const models = join(work, "volume-ro");
    for (const dir of [shared, models]) {
      mkdirSync(dir, { recursive: true, mode: 0o777 });
      chmodSync(dir, 0o777); // the probe runs as the image's user, not root
      writeFileSync(join(dir, "in.txt"), `host ${dir}\n`);
    }
    const rw = cudaseal(["-v", `${shared}:/srv/shared`, fx.probe, "--", "volume", "/srv/shared"]);
    assert.equal(rw.status, 0, rw.stderr);
    assert.equal(rw.facts["volume.read"], `host ${shared}`);
    assert.equal(rw.facts["volume.write"], "ok");
    assert.equal(readFileSync(join(shared, "out.txt"), "utf8"), "from the container\n");
    assert.deepEqual([rw.facts["volume.nosuid"], rw.facts["volume.nodev"]], ["1", "1"]);
    // The root stays read-only around the volume.
    assert.equal(rw.facts["write.root"], "Read-only file system");

    const ro = cudaseal(["--volume", `${models}:/models:ro`, fx.probe, "--", "volume", "/models"]);
    assert.equal(ro.status, 0, ro.stderr);
    assert.equal(ro.facts["volume.read"], `host ${models}`);
    assert.equal(ro.facts["volume.write"], "Read-only file system");
    assert.ok(!existsSync(join(models, "out.txt")));

    for (const bad of [
      `${models}:/models/../etc`,
      `${models}:/proc/x`,
      `${models}:models`,
      `${models}:/m:rx`,
      `${join(work, "absent")}:/m`,
    ]) {
      const r = cudaseal(["-v", bad, fx.probe]);
      assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /\[USAGE\]/, bad);
    }
    noRunDirsLeft();
  });

  test("a command that is not in the image exits 127", () => {
    const r = cudaseal([fx.probe, "--"], {});
    assert.equal(r.status, 0);
    const missing = cudaseal(["--entrypoint", "/no/such/program", fx.probe]);
    assert.equal(missing.status, 127);
    assert.match(missing.stderr, /cannot run \/no\/such\/program/);
  });

  test("without --gpus the smoke program finds no driver and says so; its exit code comes back", () => {
    const r = cudaseal([fx.smoke]);
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.errorCode, "NO_DRIVER");
    assert.equal(report.runtimeVersion, 12040);
  });

  test("with --gpus all the fake driver is injected and the smoke program passes", () => {
    const r = cudaseal(["--gpus", "all", "--driver-root", fx.driverRoot, fx.smoke]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, true);
    assert.equal(report.driverVersion, 12080); // from the fake libcuda.so.1, bound into the image
    assert.equal(report.deviceCount, 1);
    const p = cudaseal(["--gpus", "all", "--driver-root", fx.driverRoot, "-u", "0:0", fx.probe]);
    assert.deepEqual(
      [p.facts.libcuda, p.facts.nvml, p.facts.nvidiactl, p.facts.nvidia0, p.facts.nvidia1],
      ["yes", "yes", "yes", "yes", "yes"],
    );
    noRunDirsLeft();
  });

  test("--gpus device=1 passes only that GPU; NVIDIA_DRIVER_CAPABILITIES narrows the libraries", () => {
    const one = cudaseal(["--gpus", "device=1", "--driver-root", fx.driverRoot, fx.probe]);
    assert.deepEqual([one.facts.nvidia0, one.facts.nvidia1, one.facts.nvidiactl], ["no", "yes", "yes"]);
    const compute = cudaseal([
      "--gpus",
      "all",
      "--driver-root",
      fx.driverRoot,
      "-e",
      "NVIDIA_DRIVER_CAPABILITIES=compute",
      fx.probe,
    ]);
    assert.deepEqual([compute.facts.libcuda, compute.facts.nvml], ["yes", "no"]);
    const utility = cudaseal([
      "--gpus",
      "1",
      "--driver-root",
      fx.driverRoot,
      "-e",
      "NVIDIA_DRIVER_CAPABILITIES=utility",
      fx.probe,
    ]);
    assert.deepEqual([utility.facts.libcuda, utility.facts.nvml, utility.facts.nvidia1], ["no", "yes", "no"]);
  });

  test("refuses a driver older than NVIDIA_REQUIRE_CUDA (RUN_DRIVER_TOO_OLD), before starting anything", () => {
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        "run",
        "--json",
        "--cache-dir",
        cacheDir,
        "--gpus",
        "all",
        "--driver-root",
        fx.oldDriverRoot,
        fx.smoke,
      ],
      { encoding: "utf8", env: { ...process.env, TMPDIR: runTmp } },
    );
    assert.equal(r.status, 1);
    assert.equal(JSON.parse(r.stdout).error.code, "RUN_DRIVER_TOO_OLD");
    assert.equal(r.stdout.includes('"ok"'), false, "the smoke program ran");
    noRunDirsLeft();
  });

  test("--gpus with no driver is RUN_NO_DRIVER", () => {
    const empty = join(work, "no-driver");
    mkdirSync(empty, { recursive: true });
    const r = spawnSync(
      process.execPath,
      [CLI, "run", "--json", "--cache-dir", cacheDir, "--gpus", "all", "--driver-root", empty, fx.smoke],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 1);
    assert.equal(JSON.parse(r.stdout).error.code, "RUN_NO_DRIVER");
  });

  test("Ctrl-C reaches the container, which stops; the exit code is 130 and no temporary directory is left", async () => {
    const child = spawn(
      process.execPath,
      [CLI, "run", "--quiet", "--cache-dir", cacheDir, fx.probe, "--", "wait"],
      {
        env: { ...process.env, TMPDIR: runTmp },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d) => {
        stdout += d;
        if (stdout.includes("ready\n")) resolve();
      });
      child.once("exit", () => reject(new Error(`exited early: ${stderr}`)));
    });
    assert.notDeepEqual(readdirSync(runTmp), [], "the run directory exists while it runs");
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    assert.equal(code, 130, stderr);
    noRunDirsLeft();
  });

  test("^C on a terminal reaches the workload once, not once from the terminal and again from cudaseal", (t) => {
    if (spawnSync("python3", ["-c", "import os; os.openpty()"]).status !== 0) {
      t.skip("no pseudo-terminal can be opened here");
      return;
    }
    // A real pseudo-terminal (python3's pty): ^C makes the terminal send SIGINT
    // to its foreground process group, which is where a user's Ctrl-C comes from.
    const driver = String.raw`
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
deadline = time.time() + 60
while b"ready" not in out and time.time() < deadline:
    try: out += os.read(fd, 4096)
    except OSError: break
os.write(fd, b"\x03")
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk: break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.stdout.write("\nstatus=%d\n" % os.waitstatus_to_exitcode(status))
`;
    const r = spawnSync(
      "python3",
      [
        "-c",
        driver,
        process.execPath,
        CLI,
        "run",
        "--quiet",
        "--cache-dir",
        cacheDir,
        fx.probe,
        "--",
        "count",
      ],
      { encoding: "utf8", env: { ...process.env, TMPDIR: runTmp }, timeout: 120_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /interrupts=1\r?$/m, r.stdout);
    assert.match(r.stdout, /^status=0\r?$/m, r.stdout);
    noRunDirsLeft();
  });

  test("an image whose /tmp is a symlink cannot make the launcher mount or write through it", async () => {
    const outside = join(work, "host-dir");
    mkdirSync(outside);
    const ref = await writeImage(
      join(work, "tmp-link-image"),
      [
        tarDirectory(join(work, "probe-root")),
        hostileLayer([{ name: "tmp", type: "symlink", linkname: outside }]),
      ],
      { user: "0:0", entrypoint: ["/usr/local/bin/probe"] },
    );
    const r = cudaseal([ref]);
    assert.equal(r.status, 125);
    assert.match(r.stderr, /cudaseal-launch: the image's \/tmp is a symlink/);
    assert.deepEqual(readdirSync(outside), []);
    noRunDirsLeft();
  });

  test("a volume never lands outside the root through a symlink in the image", async () => {
    const outside = join(work, "host-volume-escape");
    const volume = join(work, "host-volume-source");
    mkdirSync(outside);
    mkdirSync(volume);
    const ref = await writeImage(
      join(work, "volume-link-image"),
      [
        tarDirectory(join(work, "probe-root")),
        hostileLayer([
          { name: "srv", type: "symlink", linkname: outside },
          { name: "data", type: "symlink", linkname: outside },
        ]),
      ],
      { user: "0:0", entrypoint: ["/usr/local/bin/probe"] },
    );
    for (const target of ["/srv/models", "/data"]) {
      const r = cudaseal(["-v", `${volume}:${target}`, ref]);
      assert.equal(r.status, 125, r.stderr);
      assert.match(r.stderr, /cudaseal-launch: the image's \/(srv|data) is a symlink/);
    }
    assert.deepEqual(readdirSync(outside), []);
    noRunDirsLeft();
  });

  test("--gpus binds never land outside the root through the image's library folder or a library link", async () => {
    const outside = join(work, "host-lib-dir");
    mkdirSync(outside);
    const dirLink = await writeImage(
      join(work, "libdir-link-image"),
      [
        tarDirectory(join(work, "probe-root")),
        hostileLayer([
          { name: "usr/lib", type: "dir" },
          { name: `usr/lib/${TRIPLET}`, type: "symlink", linkname: outside },
        ]),
      ],
      { user: "0:0", entrypoint: ["/usr/local/bin/probe"] },
    );
    const r = cudaseal(["--gpus", "all", "--driver-root", fx.driverRoot, dirLink]);
    assert.equal(r.status, 125);
    assert.match(r.stderr, new RegExp(`the image's /usr/lib/${TRIPLET} is a symlink`));
    assert.deepEqual(readdirSync(outside), []);

    // A link as the library's own name is replaced in the run's layer; its target stays as it was.
    const victim = join(outside, "victim");
    writeFileSync(victim, "host file\n");
    const fileLink = await writeImage(
      join(work, "lib-link-image"),
      [
        tarDirectory(join(work, "probe-root")),
        hostileLayer([
          { name: "usr/lib", type: "dir" },
          { name: `usr/lib/${TRIPLET}`, type: "dir" },
          { name: `usr/lib/${TRIPLET}/libcuda.so.1`, type: "symlink", linkname: victim },
        ]),
      ],
      { user: "0:0", entrypoint: ["/usr/local/bin/probe"] },
    );
    const ok = cudaseal(["--gpus", "all", "--driver-root", fx.driverRoot, fileLink]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.facts.libcuda, "yes");
    assert.equal(readFileSync(victim, "utf8"), "host file\n");
    assert.deepEqual(readdirSync(outside), ["victim"]);
    noRunDirsLeft();
  });

  test("in a user namespace (as without root) it still runs, as the caller mapped to root", async () => {
    const { runImage } = await import("../../src/run/run.ts");
    const r = await runImage(fx.probe, {
      cacheDir,
      tmpDir: runTmp,
      privilege: "userns",
      stdio: "ignore",
      command: ["exit", "5"],
    });
    assert.equal(r.exitCode, 5);
    noRunDirsLeft();
  });
});
