// What a root workload can reach from inside `cudaseal run`, through the
// CLI with real namespaces and the real launcher, in every way a run gets
// its privileges: as root with the image's root user, as root with
// `--user 0` on a non-root image, as an unprivileged caller (a user
// namespace), and as root of a user namespace (a rootless container). The
// probe (isolation-probe.ts) tries the double-chroot escape first and then
// reports what it sees, so every check below holds after an escape
// attempt. Needs root, gcc with a static libc and util-linux.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CLI, cudasealRun, facts, unavailable } from "./fixture.ts";
import {
  DOCKER_MASKED,
  type IsolationImages,
  makeIsolationImages,
  NODE_DIRS,
  READ_ONLY,
} from "./isolation-probe.ts";

const NOBODY = 65534;

/** Files root may write on the host, which the container's root must not. */
const WRITABLE_FILES = ["/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger"];

/** How a run got its privileges, and the network it asked for. */
interface Mode {
  name: string;
  hostNetwork: boolean;
  /** Whether the run's user namespace is the host's. */
  hostUser: boolean;
  /** Whether the workload's root is the host's uid 0 (so only the mount's flag stops a write to /proc/sys). */
  hostRoot: boolean;
  run(): Record<string, string>;
}

function why(): string | false {
  if (process.getuid?.() !== 0) return "needs root, to run as root, as another user and in a user namespace";
  for (const tool of ["setpriv", "unshare"])
    if (spawnSync(tool, ["--version"]).error !== undefined) return `${tool} is not installed`;
  return false;
}

describe("cudaseal run isolation", { skip: (await unavailable()) || why() }, () => {
  let work: string;
  let images: IsolationImages;
  let marker: string;
  let outside: string;
  let probeArgs: string[];
  let cacheDir: string;
  let env: NodeJS.ProcessEnv;
  const results = new Map<string, Record<string, string>>();
  const modes: Mode[] = [];

  before(async () => {
    // World-readable, so that an unprivileged caller can read the images and an escape could reach the marker.
    work = mkdtempSync(join(tmpdir(), "cudaseal-isolation-"));
    chmodSync(work, 0o755);
    images = await makeIsolationImages(work);
    marker = join(work, "host-marker");
    writeFileSync(marker, "only on the host\n", { mode: 0o644 });
    outside = join(work, "outside");
    mkdirSync(outside);
    chmodSync(outside, 0o777);
    cacheDir = join(work, "cache");
    const runTmp = join(work, "tmp");
    mkdirSync(runTmp);
    const userCache = join(work, "user-cache");
    const userTmp = join(work, "user-tmp");
    for (const dir of [userCache, userTmp]) {
      mkdirSync(dir);
      chownSync(dir, NOBODY, NOBODY);
    }
    const masked = [...DOCKER_MASKED, ...thermalThrottleDirs()];
    probeArgs = ["--", marker, outside, hostDisk(work), ...masked];
    env = { ...process.env, TMPDIR: runTmp };
    modes.push(
      {
        name: "root, an image whose user is root",
        hostNetwork: true,
        hostUser: true,
        hostRoot: true,
        run: () => ok(cudasealRun(cacheDir, [images.root, ...probeArgs], env)),
      },
      {
        name: "root, --user 0 on a non-root image, --network none, --writable",
        hostNetwork: false,
        hostUser: true,
        hostRoot: true,
        run: () =>
          ok(
            cudasealRun(
              cacheDir,
              ["--user", "0", "--network", "none", "--writable", images.user, ...probeArgs],
              env,
            ),
          ),
      },
      {
        name: "an unprivileged caller, in a user namespace",
        hostNetwork: true,
        hostUser: false,
        hostRoot: false,
        run: () =>
          spawned(
            [
              "setpriv",
              `--reuid=${NOBODY}`,
              `--regid=${NOBODY}`,
              "--clear-groups",
              "--",
              ...cli,
              userCache,
            ].concat([images.root, ...probeArgs]),
            { ...process.env, TMPDIR: userTmp, HOME: userCache, XDG_CACHE_HOME: userCache },
          ),
      },
      {
        name: "root of a user namespace that maps root (a rootless container)",
        hostNetwork: true,
        hostUser: false,
        hostRoot: true,
        run: () =>
          spawned(
            ["unshare", "--user", "--map-root-user", "--", ...cli, cacheDir, images.root, ...probeArgs],
            env,
          ),
      },
    );
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** `cudaseal run --quiet --cache-dir`, to be followed by the cache folder. */
  const cli = [process.execPath, CLI, "run", "--quiet", "--cache-dir"];

  /** Run argv (a wrapper, then the CLI) and read the probe's facts. */
  function spawned(argv: string[], spawnEnv: NodeJS.ProcessEnv): Record<string, string> {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env: spawnEnv, timeout: 120_000 });
    assert.equal(r.status, 0, `${argv.join(" ")}: ${r.stderr}`);
    return facts(r.stdout);
  }

  function ok(r: ReturnType<typeof cudasealRun>): Record<string, string> {
    assert.equal(r.status, 0, r.stderr);
    return r.facts;
  }

  /** The probe's facts in a mode, run once and kept for the other tests. */
  function probe(mode: Mode): Record<string, string> {
    let f = results.get(mode.name);
    if (f === undefined) {
      f = mode.run();
      results.set(mode.name, f);
    }
    return f;
  }

  function assertContained(mode: Mode): void {
    const f = probe(mode);
    assert.equal(f.uid, "0", mode.name);
    // The escape was really tried: root kept CAP_SYS_CHROOT, as under docker.
    assert.equal(f["escape.chroot"], "ok", mode.name);
    assert.equal(f["host.marker"], "No such file or directory", `${mode.name}: the host's marker file`);
    assert.equal(f["host.hostname"], "No such file or directory", `${mode.name}: the host's /etc/hostname`);
    assert.doesNotMatch(f["host.proc1_marker"], /^read:/, `${mode.name}: the marker through /proc/1/root`);
    assert.equal(f["write.outside"], "No such file or directory", `${mode.name}: a write into a host folder`);
    assert.deepEqual(readdirSync(outside), [], `${mode.name}: a file appeared in the host folder`);
    // The launcher (PID 1) and the probe: no host process.
    assert.equal(f.procs, "2", `${mode.name}: processes in /proc`);
    for (const ns of ["cgroup", "ipc", "mnt", "pid", "uts"])
      assert.notEqual(f[`ns.${ns}`], hostNamespace(ns), `${mode.name}: the ${ns} namespace is the host's`);
    assert.equal(f["ns.net"] === hostNamespace("net"), mode.hostNetwork, `${mode.name}: network namespace`);
    assert.equal(f["ns.user"] === hostNamespace("user"), mode.hostUser, `${mode.name}: user namespace`);
  }

  test("a root image cannot chroot back to the host: no host file, no write outside, no host process", () => {
    assertContained(modes[0]);
  });

  test("--user 0 on a non-root image cannot chroot back to the host either (--network none, --writable)", () => {
    assertContained(modes[1]);
  });

  test("an unprivileged caller's run (a user namespace) cannot chroot back to the host", () => {
    assertContained(modes[2]);
  });

  test("a run as root of a user namespace (a rootless container) cannot chroot back to the host", () => {
    assertContained(modes[3]);
  });

  test("a root workload cannot write /proc/sys (core_pattern), /proc/sysrq-trigger, /proc/irq, /proc/bus, /proc/fs or /sys, in any mode", () => {
    // A kernel without magic SysRq has no /proc/sysrq-trigger: then the container has none either.
    const present = READ_ONLY.filter((p) => existsSync(p));
    assert.ok(present.includes("/proc/sys/kernel/core_pattern"));
    for (const mode of modes) {
      const f = probe(mode);
      for (const path of READ_ONLY) {
        if (!present.includes(path)) {
          assert.equal(f[`ro.${path}`], "No such file or directory", `${mode.name}: ${path}`);
          continue;
        }
        assert.equal(f[`ro.${path}`], "read-only", `${mode.name}: ${path}'s mount`);
        assert.notEqual(f[`w.${path}`], "ok", `${mode.name}: ${path} is writable`);
      }
      // The caller's own uid meets the files' modes first; the host's root meets only the mount.
      if (!mode.hostRoot) continue;
      for (const file of WRITABLE_FILES.filter((p) => existsSync(p)))
        assert.equal(f[`w.${file}`], "Read-only file system", `${mode.name}: ${file}`);
      assert.equal(
        f["open.core_pattern"],
        "Read-only file system",
        `${mode.name}: core_pattern opens for writing`,
      );
    }
  });

  test("docker's masked paths (/proc/keys, /proc/timer_list, /proc/interrupts, /sys/firmware…) read as empty, in any mode", () => {
    const present = DOCKER_MASKED.filter((p) => existsSync(p));
    assert.ok(present.length >= 3, `only ${present.join(", ")} exist here: the test would prove little`);
    for (const mode of modes) {
      const f = probe(mode);
      for (const path of [...DOCKER_MASKED, ...thermalThrottleDirs()]) {
        const seen = f[`masked.${path}`];
        if (!existsSync(path)) assert.equal(seen, "absent", `${mode.name}: ${path}`);
        else assert.match(seen, /^(bytes|entries):0$/, `${mode.name}: ${path} shows ${seen}`);
      }
    }
  });

  test("a device node a root workload makes cannot be opened, so it cannot read the host's disk; /dev/null works", () => {
    for (const mode of modes) {
      const f = probe(mode);
      for (const dir of NODE_DIRS) {
        const seen = f[`node.${dir}`];
        assert.ok(seen !== undefined, `${mode.name}: no result for ${dir}`);
        // Refused at mknod (read-only, or no CAP_MKNOD in a user namespace) or at open (nodev): never opened.
        assert.match(
          seen,
          /^(open:Permission denied|mknod:(Read-only file system|Operation not permitted))$/,
          `${mode.name}: a node in ${dir}: ${seen}`,
        );
      }
      // Where the root is writable as root, the node is made and only nodev stops it.
      if (mode.hostUser) assert.equal(f["node./dev"], "open:Permission denied", mode.name);
      assert.equal(f["dev.null"], "ok", mode.name);
    }
    assert.equal(probe(modes[1])["node./"], "open:Permission denied");
  });

  test("/sys is mounted read-only with the PCI devices NVML reads, and /dev has pseudo-terminals of its own, in any mode", () => {
    const pci = readdirSync("/sys/bus/pci/devices").length;
    for (const mode of modes) {
      const f = probe(mode);
      assert.equal(f["sys.pci"], "", `${mode.name}: /sys/bus/pci/devices`);
      assert.equal(f["sys.pci_devices"], String(pci), mode.name);
      assert.equal(f["dev.pty"], "ok", mode.name);
    }
  });

  test("a capability the caller left inheritable does not reach a root workload (moby's CVE-2022-24769)", () => {
    // Exec adds the inheritable set to a root process's bounding set, whatever the bounding set says.
    const f = spawned(
      ["setpriv", "--inh-caps=+sys_admin,+sys_module", "--", ...cli, cacheDir, images.root, ...probeArgs],
      env,
    );
    assert.equal(f.uid, "0");
    assert.equal(f.capinh, "0000000000000000");
    assert.equal(f.capamb, "0000000000000000");
    // Docker's set without NET_RAW, and nothing else: no SYS_ADMIN (bit 21), no SYS_MODULE (bit 16).
    assert.equal(f.capeff, "00000000a80405fb");
    assert.equal(f.capprm, "00000000a80405fb");
  });

  test("a root workload gets a session keyring of its own, not its caller's", () => {
    // Without the seccomp filter, which refuses keyctl outright.
    const f = ok(
      cudasealRun(cacheDir, ["--security-opt", "seccomp=unconfined", images.root, ...probeArgs], env),
    );
    const host = facts(spawnSync(images.probe, ["keyring"], { encoding: "utf8" }).stdout);
    assert.equal(host["keyring.session"], "", "the caller has a session keyring to compare");
    assert.equal(f["keyring.session"], "", f["keyring.session"]);
    assert.notEqual(f["keyring.id"], host["keyring.id"]);
    // With the filter, keyctl is refused: the keyring is out of reach either way.
    assert.equal(probe(modes[0])["keyring.session"], "Operation not permitted");
  });

  test("a caller's umask 000 does not reach the workload, which starts with 022 as under runc", () => {
    const f = spawned(
      ["sh", "-c", 'umask 000 && exec "$@"', "sh", ...cli, cacheDir, images.root, ...probeArgs],
      env,
    );
    assert.equal(f.umask, "0022");
  });

  test("with the host's network a root workload has no NET_RAW (it could sniff the host's traffic); with its own it keeps docker's set", () => {
    const NET_RAW = 1n << 13n;
    // Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
    const docker = 0xa80425fbn;
    assert.equal(BigInt(`0x${probe(modes[0]).capbnd}`), docker & ~NET_RAW);
    assert.equal(BigInt(`0x${probe(modes[1]).capbnd}`), docker);
  });
});

/** This process's namespace of a kind, as /proc names it. */
function hostNamespace(kind: string): string {
  return readlinkSync(`/proc/self/ns/${kind}`);
}

/** The per-CPU thermal_throttle folders docker also masks, where this machine has them. */
function thermalThrottleDirs(): string[] {
  const cpus = "/sys/devices/system/cpu";
  return readdirSync(cpus)
    .filter((name) => /^cpu\d+$/.test(name))
    .map((name) => join(cpus, name, "thermal_throttle"))
    .filter((path) => existsSync(path));
}

/** MAJOR:MINOR of the block device holding `path` (glibc's encoding of st_dev). */
function hostDisk(path: string): string {
  const dev = statSync(path, { bigint: true }).dev;
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}
