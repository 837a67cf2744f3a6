// `cudaseal deploy` on real OCI layouts: the Kubernetes output validated
// against the Kubernetes v1.32 JSON schemas and the Pod Security Standards'
// restricted profile, the Compose output parsed back, the docker line split
// by a real shell, and the refusals by code.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parse } from "yaml";
import { deploy, parseSize } from "../../src/deploy/index.ts";
import { isCudasealError } from "../../src/errors.ts";
import { INFERENCE_ENV, makeImage } from "./fixture.ts";
import { kubernetesValidator } from "./kubernetes-schemas.ts";
import { evaluatePodSecurity, podOf } from "./pod-security.ts";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const REF = "registry.example/team/app";
const dir = mkdtempSync(join(tmpdir(), "cudaseal-deploy-"));
let image: { ref: string; digest: string };
let rootImage: { ref: string; digest: string };
let namedImage: { ref: string; digest: string };
let cpuImage: { ref: string; digest: string };
let archive: { ref: string; digest: string };

before(async () => {
  image = await makeImage(dir, "inference");
  rootImage = await makeImage(dir, "root", { user: "" });
  namedImage = await makeImage(dir, "named", { user: "app" });
  cpuImage = await makeImage(dir, "cpu", {
    env: INFERENCE_ENV.filter((e) => !e.startsWith("NVIDIA_REQUIRE_CUDA") && !e.startsWith("HF_HOME")),
  });
  archive = await makeImage(dir, "archive", {}, "docker-archive");
});
after(() => rmSync(dir, { recursive: true, force: true }));

const base = () => ({ image: image.ref, arch: "amd64", imageRef: REF });

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped data, read field by field
type Obj = Record<string, any>;

for (const kind of ["Deployment", "Job", "Pod"] as const) {
  test(`k8s ${kind}: valid against the Kubernetes schema and PSS restricted`, async () => {
    const r = await deploy({
      ...base(),
      target: "k8s",
      kind,
      gpus: "2",
      runtimeClass: "nvidia",
      shmSize: "2Gi",
    });
    const manifest = parse(r.text) as Obj;
    assert.deepEqual(manifest, r.document, "the YAML is the document");
    const validate = kubernetesValidator(kind);
    assert.ok(validate(manifest), JSON.stringify(validate.errors, null, 2));
    assert.deepEqual(evaluatePodSecurity(manifest, "restricted"), []);

    const { spec } = podOf(manifest);
    const c = spec.containers[0];
    assert.equal(c.image, `${REF}@${image.digest}`);
    assert.match(image.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(c.resources.limits["nvidia.com/gpu"], "2");
    assert.equal(spec.runtimeClassName, "nvidia");
    assert.equal(spec.automountServiceAccountToken, false);
    assert.equal(spec.securityContext.runAsUser, 65532);
    assert.equal(spec.securityContext.runAsGroup, 65532);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(c.ports, [{ containerPort: 8000, protocol: "TCP" }]);
    if (kind === "Job") assert.equal(spec.restartPolicy, "Never");
    // Writable where the image writes: /tmp (covering TRITON_CACHE_DIR), the volume, HOME, HF_HOME; not the WORKDIR.
    const mounts = Object.fromEntries((c.volumeMounts as Obj[]).map((m) => [m.mountPath, m.name]));
    assert.deepEqual(Object.keys(mounts).sort(), ["/data", "/dev/shm", "/home/app", "/models/hf", "/tmp"]);
    const volumes = Object.fromEntries((spec.volumes as Obj[]).map((v) => [v.name, v]));
    assert.deepEqual(volumes[mounts["/dev/shm"]].emptyDir, { medium: "Memory", sizeLimit: "2Gi" });
    assert.deepEqual(volumes[mounts["/tmp"]].emptyDir, {});
    assert.ok(r.plan.notes.some((n) => n.includes("PersistentVolumeClaim")));
  });
}

test("k8s output is the same bytes on every run", async () => {
  const a = await deploy({ ...base(), target: "k8s" });
  const b = await deploy({ ...base(), target: "k8s" });
  assert.equal(a.text, b.text);
  // Defaults: one GPU for a CUDA image, 1Gi of shared memory, named from the title label.
  const m = parse(a.text) as Obj;
  assert.equal(m.metadata.name, "inference-server");
  assert.equal(podOf(m).spec.containers[0].resources.limits["nvidia.com/gpu"], "1");
});

test("the PSS evaluator fails a deliberately bad manifest, control by control", () => {
  const bad = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "bad",
      annotations: { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" },
    },
    spec: {
      hostNetwork: true,
      hostPID: true,
      securityContext: { runAsUser: 0, sysctls: [{ name: "kernel.msgmax", value: "1" }] },
      volumes: [{ name: "root", hostPath: { path: "/" } }],
      containers: [
        {
          name: "app",
          image: "registry.example/team/app:latest",
          ports: [{ containerPort: 80, hostPort: 80 }],
          securityContext: {
            privileged: true,
            capabilities: { add: ["SYS_ADMIN"] },
            procMount: "Unmasked",
            seccompProfile: { type: "Unconfined" },
            seLinuxOptions: { type: "spc_t" },
          },
        },
      ],
    },
  };
  const controls = new Set(evaluatePodSecurity(bad, "restricted").map((v) => v.control));
  for (const control of [
    "Host Namespaces",
    "Privileged Containers",
    "Capabilities",
    "HostPath Volumes",
    "Host Ports",
    "AppArmor",
    "SELinux",
    "/proc Mount Type",
    "Seccomp",
    "Sysctls",
    "Volume Types",
    "Privilege Escalation",
    "Running as Non-root",
    "Running as Non-root user",
  ]) {
    assert.ok(controls.has(control), control);
  }
  // The schema is strict: a misspelt field fails it too.
  const validate = kubernetesValidator("Pod");
  const misspelt = {
    ...bad,
    spec: { containers: [{ name: "a", image: "b", securityContext: { readOnlyRootFileSystem: true } }] },
  };
  assert.equal(validate(misspelt), false);
  // A container that only drops ALL but lets the pod default the rest still fails restricted.
  const partial = {
    kind: "Pod",
    spec: { containers: [{ name: "a", securityContext: { capabilities: { drop: ["ALL"] } } }] },
  };
  const names = evaluatePodSecurity(partial, "restricted").map((v) => v.control);
  assert.deepEqual(names.sort(), ["Privilege Escalation", "Running as Non-root", "Seccomp"]);
  assert.deepEqual(evaluatePodSecurity(partial, "baseline"), []);
});

test("an image that runs as root or as a name is refused unless --user says who", async () => {
  await assert.rejects(deploy({ ...base(), image: rootImage.ref, target: "k8s" }), (e) =>
    isCudasealError(e, "DEPLOY_USER_ROOT"),
  );
  await assert.rejects(deploy({ ...base(), image: namedImage.ref, target: "compose" }), (e) =>
    isCudasealError(e, "DEPLOY_USER_NOT_NUMERIC"),
  );
  await assert.rejects(deploy({ ...base(), image: namedImage.ref, target: "docker", user: "0:0" }), (e) =>
    isCudasealError(e, "DEPLOY_USER_ROOT"),
  );
  const r = await deploy({ ...base(), image: rootImage.ref, target: "k8s", user: "1001:1002" });
  const { spec } = podOf(r.document as Obj);
  assert.equal(spec.securityContext.runAsUser, 1001);
  assert.equal(spec.securityContext.runAsGroup, 1002);
  assert.deepEqual(evaluatePodSecurity(r.document as Obj, "restricted"), []);
});

test("bad flags are USAGE", async () => {
  const cases: Obj[] = [
    { target: "k8s", gpus: "all" },
    { target: "nomad" },
    { target: "k8s", kind: "DaemonSet" },
    { target: "k8s", name: "Not_A_Name" },
    { target: "k8s", imageRef: `${REF}@sha256:${"0".repeat(64)}` },
    { target: "k8s", digest: "sha256:abc" },
    { target: "docker", shmSize: "lots" },
    { target: "docker", user: "app" },
  ];
  for (const c of cases) {
    await assert.rejects(
      deploy({ ...base(), ...c } as never),
      (e) => isCudasealError(e, "USAGE"),
      JSON.stringify(c),
    );
  }
});

test("sizes: Kubernetes quantities and Docker's binary suffixes", () => {
  assert.equal(parseSize("2Gi", "x"), 2 * 1024 ** 3);
  assert.equal(parseSize("512Mi", "x"), 512 * 1024 ** 2);
  assert.equal(parseSize("2g", "x"), 2 * 1024 ** 3);
  assert.equal(parseSize("1gb", "x"), 1024 ** 3);
  assert.equal(parseSize("1G", "x"), 1e9);
});

test("compose: one hardened service, parsed back", async () => {
  const r = await deploy({ ...base(), target: "compose", shmSize: "2Gi", memory: "16Gi", cpu: "4" });
  const doc = parse(r.text) as Obj;
  const svc = doc.services["inference-server"];
  assert.equal(svc.image, `${REF}@${image.digest}`);
  assert.equal(svc.user, "65532:65532");
  assert.equal(svc.read_only, true);
  assert.deepEqual(svc.cap_drop, ["ALL"]);
  assert.deepEqual(svc.security_opt, ["no-new-privileges:true"]);
  assert.equal(svc.shm_size, "2g");
  assert.deepEqual(svc.tmpfs, ["/home/app:rw,nosuid,nodev", "/tmp:rw,nosuid,nodev"]);
  assert.deepEqual(svc.volumes, ["data:/data", "models-hf:/models/hf"]);
  assert.deepEqual(Object.keys(doc.volumes), ["data", "models-hf"]);
  assert.deepEqual(svc.ports, ["8000:8000/tcp"]);
  assert.deepEqual(svc.deploy.resources, {
    limits: { cpus: "4", memory: "16g" },
    reservations: { devices: [{ driver: "nvidia", count: "all", capabilities: ["gpu"] }] },
  });
});

test("docker: one run line, token by token as sh splits it", async () => {
  const r = await deploy({ ...base(), target: "docker", gpus: "device=0,1", shmSize: "2g" });
  const split = spawnSync("sh", ["-c", `set -- ${r.text.trim()}; printf '%s\\0' "$@"`], { encoding: "utf8" });
  assert.equal(split.status, 0, split.stderr);
  const tokens = split.stdout.split("\0").slice(0, -1);
  assert.deepEqual(tokens, r.document);
  assert.deepEqual(tokens, [
    "docker",
    "run",
    "--rm",
    "--name",
    "inference-server",
    "--gpus",
    '"device=0,1"',
    "--read-only",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    "--user",
    "65532:65532",
    "--shm-size",
    "2g",
    "-v",
    "inference-server-data:/data",
    "--tmpfs",
    "/home/app:rw,nosuid,nodev",
    "-v",
    "inference-server-models-hf:/models/hf",
    "--tmpfs",
    "/tmp:rw,nosuid,nodev",
    "-p",
    "8000:8000/tcp",
    `${REF}@${image.digest}`,
  ]);
});

test("an image that asks for no GPU gets none, and NVIDIA_VISIBLE_DEVICES=void", async () => {
  const r = await deploy({ ...base(), image: cpuImage.ref, target: "k8s", gpus: "0" });
  const c = podOf(r.document as Obj).spec.containers[0];
  assert.equal(c.resources, undefined);
  assert.deepEqual(c.env, [{ name: "NVIDIA_VISIBLE_DEVICES", value: "void" }]);
  // No GPU, no default shared memory either.
  assert.ok(!(c.volumeMounts as Obj[]).some((m) => m.mountPath === "/dev/shm"));
});

test("a docker archive is pinned by image ID, with a note, or by --digest", async () => {
  const r = await deploy({ ...base(), image: archive.ref, target: "docker" });
  assert.ok(r.plan.notes.some((n) => n.includes("--digest")));
  const pinned = await deploy({
    ...base(),
    image: archive.ref,
    target: "docker",
    digest: `sha256:${"a".repeat(64)}`,
  });
  assert.equal(pinned.plan.image, `${REF}@sha256:${"a".repeat(64)}`);
  assert.ok(!pinned.plan.notes.some((n) => n.includes("--digest")));
});

test("the CLI: YAML on stdout, notes on stderr, codes and exit status", () => {
  const ok = spawnSync(
    process.execPath,
    [BIN, "deploy", image.ref, "--arch", "amd64", "--target", "k8s", "--image-ref", REF, "--kind", "Job"],
    { encoding: "utf8" },
  );
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal((parse(ok.stdout) as Obj).kind, "Job");
  assert.match(ok.stderr, /note: /);
  const refused = spawnSync(
    process.execPath,
    [BIN, "deploy", rootImage.ref, "--arch", "amd64", "--target", "docker", "--json"],
    {
      encoding: "utf8",
    },
  );
  assert.equal(refused.status, 1);
  assert.equal(JSON.parse(refused.stdout).error.code, "DEPLOY_USER_ROOT");
  const noTarget = spawnSync(process.execPath, [BIN, "deploy", image.ref], { encoding: "utf8" });
  assert.equal(noTarget.status, 2);
});

test("User 00 is root too, and ids past Kubernetes' int32 are refused", async () => {
  const zeros = await makeImage(dir, "zeros", { user: "00:00" });
  await assert.rejects(deploy({ ...base(), image: zeros.ref, target: "k8s" }), (e) =>
    isCudasealError(e, "DEPLOY_USER_ROOT"),
  );
  await assert.rejects(deploy({ ...base(), image: zeros.ref, target: "docker" }), (e) =>
    isCudasealError(e, "DEPLOY_USER_ROOT"),
  );
  const huge = await makeImage(dir, "huge-uid", { user: "4294967294" });
  await assert.rejects(deploy({ ...base(), image: huge.ref, target: "k8s" }), (e) =>
    isCudasealError(e, "IMAGE_INVALID"),
  );
  await assert.rejects(deploy({ ...base(), target: "k8s", user: "1000:4294967294" }), (e) =>
    isCudasealError(e, "USAGE"),
  );
});

test("a writable path with a colon or comma cannot add mount options", async () => {
  const hostile = await makeImage(dir, "mount-options", {
    labels: { "dev.cudaseal.writable-paths": "/cache:exec,/ok" },
    volumes: ["/vol:rw"],
    env: [...INFERENCE_ENV.filter((e) => !e.startsWith("HF_HOME=")), "HF_HOME=/models,exec"],
  });
  for (const target of ["k8s", "compose", "docker"] as const) {
    const r = await deploy({ ...base(), image: hostile.ref, target });
    assert.deepEqual(
      r.plan.mounts.map((m) => m.path).filter((p) => /[:,]/.test(p)),
      [],
      target,
    );
    assert.ok(
      r.plan.mounts.some((m) => m.path === "/ok"),
      target,
    );
    assert.doesNotMatch(r.text, /exec|:rw,nosuid,nodev.*:rw:/, target);
    for (const p of ["/cache:exec", "/vol:rw", "/models,exec"]) {
      assert.ok(
        r.plan.notes.some((n) => n.includes(p)),
        `${target} ${p}`,
      );
    }
  }
});

test("k8s: every combination of kind, --user, --gpus, --runtime-class and limits stays valid and restricted", async () => {
  for (const kind of ["Deployment", "Job", "Pod"] as const) {
    const validate = kubernetesValidator(kind);
    for (const user of [undefined, "1000:0", "2147483647:2147483647"]) {
      for (const gpus of [undefined, "0", "1"]) {
        for (const runtimeClass of [undefined, "nvidia"]) {
          for (const limits of [{}, { memory: "512Mi", cpu: "500m", shmSize: "1Gi" }]) {
            const options = { ...base(), target: "k8s" as const, kind, user, gpus, runtimeClass, ...limits };
            const r = await deploy(options);
            const manifest = parse(r.text) as Obj;
            const what = JSON.stringify({ kind, user, gpus, runtimeClass, limits });
            assert.ok(validate(manifest), `${what}: ${JSON.stringify(validate.errors)}`);
            assert.deepEqual(evaluatePodSecurity(manifest, "restricted"), [], what);
          }
        }
      }
    }
  }
});
