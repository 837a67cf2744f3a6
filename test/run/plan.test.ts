// The pure parts of a run: the plan's argv and the decisions in it, the
// --gpus and size parsers, the capability sets, and the privilege check
// against a fake /proc and a failing unshare.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { capabilities, parseGpuRequest } from "../../src/run/gpu.ts";
import { mergeEnv, type PlanInput, parseSize, planRun, resolveUser } from "../../src/run/plan.ts";
import { privilegeMode } from "../../src/run/privileges.ts";
import { parseVolume } from "../../src/run/volumes.ts";

const PATHS = { launcher: "/c/launch", rootfs: "/c/rootfs/ab", upper: "/t/u", work: "/t/w", merged: "/t/m" };

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    config: { User: "65532:65532", Env: ["PATH=/usr/bin", "A=1"], Entrypoint: ["/app"], Cmd: ["--serve"] },
    command: [],
    env: [],
    readOnly: true,
    seccomp: true,
    network: "host",
    shmBytes: 64 << 20,
    tmpBytes: 0,
    mode: "root",
    paths: PATHS,
    ...overrides,
  };
}

describe("planRun", () => {
  test("as root: unshare mount, PID, UTS, IPC and cgroup namespaces, the launcher with the image's user, env and command", () => {
    const plan = planRun(input());
    assert.deepEqual(plan.argv.slice(0, 9), [
      "unshare",
      "--mount",
      "--pid",
      "--uts",
      "--ipc",
      "--cgroup",
      "--fork",
      "--kill-child=SIGKILL",
      "--",
    ]);
    const launcher = plan.argv.slice(9);
    assert.equal(launcher[0], "/c/launch");
    const after = (flag: string) => launcher[launcher.indexOf(flag) + 1];
    assert.equal(after("--uid"), "65532");
    assert.equal(after("--gid"), "65532");
    assert.equal(after("--readonly"), "1");
    assert.equal(after("--seccomp"), "1");
    assert.equal(after("--net-raw"), "0");
    assert.equal(after("--cwd"), "/");
    assert.deepEqual(launcher.slice(launcher.indexOf("--") + 1), ["/app", "--serve"]);
    assert.deepEqual(plan.env, ["PATH=/usr/bin", "A=1"]);
  });

  test("in a user namespace: --user --map-root-user and no user switch; --network none adds --net", () => {
    const plan = planRun(input({ mode: "userns", network: "none" }));
    assert.ok(plan.argv.includes("--map-root-user"));
    assert.ok(plan.argv.includes("--net"));
    assert.ok(!plan.argv.includes("--uid"));
    // Raw sockets only where the network namespace is the container's own.
    assert.equal(plan.argv[plan.argv.indexOf("--net-raw") + 1], "1");
    const unconfined = planRun(input({ seccomp: false })).argv;
    assert.equal(unconfined[unconfined.indexOf("--seccomp") + 1], "0");
  });

  test("the command after -- replaces Cmd; --entrypoint replaces both", () => {
    assert.deepEqual(planRun(input({ command: ["--once"] })).command, ["/app", "--once"]);
    assert.deepEqual(planRun(input({ entrypoint: "/bin/other" })).command, ["/bin/other"]);
    assert.deepEqual(planRun(input({ entrypoint: "", command: ["/x", "y"] })).command, ["/x", "y"]);
  });

  test("no entrypoint, cmd or command is RUN_NO_COMMAND", () => {
    assert.throws(
      () => planRun(input({ config: { User: "1" } })),
      (err) => isCudasealError(err, "RUN_NO_COMMAND"),
    );
  });

  test("a NUL byte in the image's Env, Cmd or WorkingDir is IMAGE_INVALID, not a crash at spawn", () => {
    for (const config of [
      { Env: ["A=x\0y"], Cmd: ["/app"] },
      { Cmd: ["/app", "a\0b"] },
      { Cmd: ["/app"], WorkingDir: "/w\0rk" },
    ]) {
      assert.throws(
        () => planRun(input({ config })),
        (err) => isCudasealError(err, "IMAGE_INVALID"),
        JSON.stringify(config),
      );
    }
  });

  test("overlayfs cannot take a directory with a comma or colon", () => {
    assert.throws(
      () => planRun(input({ paths: { ...PATHS, upper: "/t/a,b" } })),
      (err) => isCudasealError(err, "USAGE"),
    );
  });

  test("GPU devices and files become --dev and --ro-bind pairs", () => {
    const gpu = {
      driverVersion: "550.54.15",
      devices: [{ source: "/dev/nvidia0", target: "/dev/nvidia0" }],
      files: [
        { source: "/usr/lib/x/libcuda.so.550.54.15", target: "/usr/lib/x86_64-linux-gnu/libcuda.so.1" },
      ],
    };
    const argv = planRun(input({ gpu })).argv;
    const dev = argv.indexOf("--dev");
    assert.deepEqual(argv.slice(dev, dev + 3), ["--dev", "/dev/nvidia0", "/dev/nvidia0"]);
    const bind = argv.indexOf("--ro-bind");
    assert.deepEqual(
      argv.slice(bind + 1, bind + 3),
      gpu.files.flatMap((f) => [f.source, f.target]),
    );
  });
});

describe("resolveUser and mergeEnv", () => {
  const passwd = new Map([["app", { uid: 1000, gid: 1001 }]]);
  const groups = new Map([["video", 44]]);
  test("numbers, names, a group by name, and root when unset", () => {
    assert.deepEqual(resolveUser("", passwd), { uid: 0, gid: 0 });
    assert.deepEqual(resolveUser("5"), { uid: 5, gid: 5 });
    assert.deepEqual(resolveUser("1000", passwd), { uid: 1000, gid: 1001 });
    assert.deepEqual(resolveUser("app", passwd), { uid: 1000, gid: 1001 });
    assert.deepEqual(resolveUser("app:video", passwd, groups), { uid: 1000, gid: 44 });
    assert.throws(
      () => resolveUser("nobody", passwd),
      (err) => isCudasealError(err, "IMAGE_INVALID"),
    );
  });
  test("-e K=V overrides, -e K copies from the host, PATH is never missing", () => {
    assert.deepEqual(mergeEnv(["A=1", "B=2"], ["B=3", "C", "D"], { C: "host" }), [
      "A=1",
      "B=3",
      "C=host",
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ]);
  });
});

describe("flag parsers", () => {
  test("--gpus takes docker's forms", () => {
    assert.deepEqual(parseGpuRequest("all"), { kind: "all" });
    assert.deepEqual(parseGpuRequest("2"), { kind: "count", count: 2 });
    assert.deepEqual(parseGpuRequest('"device=0,2"'), { kind: "devices", ids: ["0", "2"] });
    assert.throws(
      () => parseGpuRequest("some"),
      (err) => isCudasealError(err, "USAGE"),
    );
  });
  test("sizes", () => {
    assert.equal(parseSize("1g", "--shm-size"), 1024 ** 3);
    assert.equal(parseSize("512m", "--shm-size"), 512 * 1024 ** 2);
    assert.equal(parseSize("4096", "--shm-size"), 4096);
    assert.throws(
      () => parseSize("lots", "--shm-size"),
      (err) => isCudasealError(err, "USAGE"),
    );
  });
  test("NVIDIA_DRIVER_CAPABILITIES: unset is compute and utility, all is everything", () => {
    assert.deepEqual([...capabilities(undefined)].sort(), ["compute", "utility"]);
    assert.deepEqual([...capabilities("utility")], ["utility"]);
    assert.ok(capabilities("all").has("compute"));
  });
});

describe("privilegeMode", () => {
  const made: string[] = [];
  after(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  function fakeProc(clone: string | undefined, max: string): string {
    const proc = mkdtempSync(join(tmpdir(), "cudaseal-proc-"));
    made.push(proc);
    mkdirSync(join(proc, "sys/kernel"), { recursive: true });
    mkdirSync(join(proc, "sys/user"), { recursive: true });
    if (clone !== undefined) writeFileSync(join(proc, "sys/kernel/unprivileged_userns_clone"), `${clone}\n`);
    writeFileSync(join(proc, "sys/user/max_user_namespaces"), `${max}\n`);
    return proc;
  }
  test("root needs nothing more", async () => {
    assert.equal(await privilegeMode({ uid: 0 }), "root");
  });
  test("without root, switched-off user namespaces are RUN_NO_PRIVILEGES with the sysctl named", async () => {
    await assert.rejects(privilegeMode({ uid: 1000, procRoot: fakeProc("0", "15000") }), (err) => {
      assert.ok(isCudasealError(err, "RUN_NO_PRIVILEGES"));
      assert.match(err.message, /unprivileged_userns_clone is 0/);
      assert.match(err.hint ?? "", /sudo/);
      return true;
    });
    await assert.rejects(privilegeMode({ uid: 1000, procRoot: fakeProc(undefined, "0") }), (err) =>
      isCudasealError(err, "RUN_NO_PRIVILEGES"),
    );
  });
  test("without root, a trial unshare that fails is RUN_NO_PRIVILEGES", async () => {
    await assert.rejects(
      privilegeMode({ uid: 1000, procRoot: fakeProc("1", "15000"), unshare: "false" }),
      (err) => isCudasealError(err, "RUN_NO_PRIVILEGES"),
    );
  });
  test("without root, working user namespaces are used", async () => {
    assert.equal(await privilegeMode({ uid: 1000, procRoot: fakeProc("1", "15000") }), "userns");
  });
});

describe("parseVolume", () => {
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-volume-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "models"));

  test("HOST:CONTAINER[:ro|rw], a relative host path from the working directory, the target normalised", () => {
    assert.deepEqual(parseVolume(`${dir}/models:/models:ro`), {
      source: join(dir, "models"),
      target: "/models",
      readOnly: true,
    });
    assert.deepEqual(parseVolume("models:/srv//data/", dir), {
      source: join(dir, "models"),
      target: "/srv/data",
      readOnly: false,
    });
    assert.equal(parseVolume(`${dir}:/x:rw`).readOnly, false);
  });

  test("what cannot be a volume is USAGE, with the reason", () => {
    const cases: [string, RegExp][] = [
      [`${dir}`, /not HOST:CONTAINER/],
      [`:/x`, /not HOST:CONTAINER/],
      [`${dir}:/x:ro:z`, /not HOST:CONTAINER/],
      [`${dir}:/x:rx`, /ro or rw/],
      [`${dir}:x`, /not absolute/],
      [`${dir}:/a/../etc`, /may not hold \.\./],
      [`${dir}:/`, /does not mount over \//],
      [`${dir}:/proc/sys`, /over \/proc\/sys/],
      [`${dir}:/dev`, /over \/dev/],
      [`${dir}/absent:/x`, /does not exist on this host/],
    ];
    for (const [spec, message] of cases) {
      assert.throws(
        () => parseVolume(spec),
        (err) => isCudasealError(err, "USAGE") && message.test((err as Error).message),
        spec,
      );
    }
    // /device and /processes are not /dev and /proc.
    assert.equal(parseVolume(`${dir}:/device`).target, "/device");
  });

  test("the plan passes each volume to the launcher, read-only ones as --volume-ro", () => {
    const argv = planRun(
      input({
        volumes: [
          { source: "/srv/a", target: "/a", readOnly: false },
          { source: "/srv/b", target: "/b", readOnly: true },
        ],
      }),
    ).argv;
    const at = argv.indexOf("--volume");
    assert.deepEqual(argv.slice(at, at + 6), ["--volume", "/srv/a", "/a", "--volume-ro", "/srv/b", "/b"]);
  });
});
