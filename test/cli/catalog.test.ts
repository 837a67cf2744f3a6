// `cudaseal catalog plan` and `catalog run` end to end, as a team's catalog
// runs: three images × two CUDA variants × two architectures from a signed
// apt repository on 127.0.0.1, pushed to a real registry, one image copying
// files out of another (contents: image:). The run builds and joins all 18
// units in dependency order; the registry then holds every index under its
// tags with its key, and a second run finds everything done and runs nothing.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { runCli } from "../helpers/cli.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { hasTool } from "../oci/fixture-image.ts";

const skip = !hasTool("docker-registry") && "docker-registry is not installed (npm run setup-test-tools)";

describe("catalog run builds a catalog into a registry, and a second run finds it done", {
  skip,
  timeout: 600_000,
}, () => {
  let work = "";
  let repo: AptRepo | undefined;
  let registry: TestRegistry | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "cudaseal-catalog-"));
    const file = (name: string, text: string) => ({
      name,
      version: "1.0",
      arch: "all",
      files: { [`usr/share/${name}/data`]: text },
    });
    [repo, registry] = await Promise.all([
      startAptRepo({
        arches: ["amd64", "arm64"],
        packages: [
          file("cuda-cudart-12-4", "12.4\n"),
          file("cuda-cudart-12-8", "12.8\n"),
          file("base-data", "base\n"),
          file("tools-data", "tools\n"),
          file("app-data", "app\n"),
        ],
      }),
      startRegistry(),
    ]);
  });

  after(async () => {
    await Promise.all([repo?.close(), registry?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A spec of `packages` from the test repository, plus `extra` lines. */
  function spec(name: string, packages: string[], extra = ""): string {
    assert.ok(repo);
    return (
      `name: ${name}\npackages: [${packages.join(", ")}]\nsources:\n  - uri: ${repo.url}\n    suites: [${repo.suite}]\n` +
      `    components: [main]\n    keyring: [${repo.publicKeyPath}]\n${extra}`
    );
  }

  it("plans 18 units, runs them in order, and a second run runs none", async () => {
    assert.ok(registry);
    const reg = registry.host;
    mkdirSync(join(work, "specs"));
    writeFileSync(join(work, "specs/base.yaml"), spec("base", ["base-data"]));
    writeFileSync(join(work, "specs/tools.yaml"), spec("tools", ["tools-data"]));
    writeFileSync(
      join(work, "specs/app.yaml"),
      spec(
        "app",
        ["app-data"],
        `contents:\n  - image: ${reg}/team/base:12.4-base\n    path: /usr/share/base-data\n    destination: /opt/base\n`,
      ),
    );
    const images = ["base", "tools", "app"].map(
      (name) =>
        `  - name: ${name}\n    spec: specs/${name}.yaml\n    repository: ${reg}/team/${name}\n    archs: [amd64, arm64]\n` +
        `    variants: { cuda: ["12.4", "12.8"] }\n    tags: ["{cuda}-${name}", "cuda{cuda}"]\n`,
    );
    writeFileSync(join(work, "catalog.yaml"), `images:\n${images.join("")}`);
    const cache = join(work, "cache");

    const planned = await runCli(["catalog", "plan", "catalog.yaml", "--json"], { cwd: work });
    assert.equal(planned.status, 0, planned.stderr);
    const plan = JSON.parse(planned.stdout);
    assert.equal(plan.units.length, 18);
    assert.equal(plan.units.filter((u: { kind: string }) => u.kind === "index").length, 6);
    assert.ok(plan.units.every((u: { done: boolean }) => !u.done));
    const appBuild = plan.units.find((u: { id: string }) => u.id === "app-cuda12-8-arm64");
    assert.deepEqual(appBuild.needs, ["base-cuda12-4"]);
    assert.equal(appBuild.level, 2);

    const ran = await runCli(
      ["catalog", "run", "catalog.yaml", "--jobs", "2", "--cache-dir", cache, "--json"],
      { cwd: work },
    );
    assert.equal(ran.status, 0, ran.stderr);
    const summary = JSON.parse(ran.stdout);
    assert.equal(summary.ran, 18);
    assert.deepEqual(summary.failed, []);
    // Progress lines name each unit as it ends.
    assert.match(ran.stderr, /\[18\/18\] ran /);

    // Each index lists both architectures under both tags, with its unit's key.
    for (const tag of ["12.8-app", "cuda12.8"]) {
      const res = await fetch(`http://${reg}/v2/team/app/manifests/${tag}`, {
        headers: { accept: "application/vnd.oci.image.index.v1+json" },
      });
      assert.equal(res.status, 200);
      const index = (await res.json()) as {
        manifests: { platform: { architecture: string } }[];
        annotations: Record<string, string>;
      };
      assert.deepEqual(
        index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture).sort(),
        ["amd64", "arm64"],
      );
      const unit = plan.units.find((u: { id: string }) => u.id === "app-cuda12-8");
      assert.equal(index.annotations["dev.cudaseal.catalog.unit-key"], unit.key);
    }

    const again = await runCli(["catalog", "run", "catalog.yaml", "--cache-dir", cache, "--json"], {
      cwd: work,
    });
    assert.equal(again.status, 0, again.stderr);
    const second = JSON.parse(again.stdout);
    assert.equal(second.ran, 0);
    assert.equal(second.done, 18);

    // A changed spec makes its units, and the units that copy from it, run again; the rest stay done.
    writeFileSync(join(work, "specs/base.yaml"), spec("base", ["base-data", "tools-data"]));
    const replanned = JSON.parse(
      (await runCli(["catalog", "plan", "catalog.yaml", "--json"], { cwd: work })).stdout,
    );
    const notDone = replanned.units
      .filter((u: { done: boolean }) => !u.done)
      .map((u: { id: string }) => u.id);
    assert.deepEqual(
      notDone.filter((id: string) => id.startsWith("tools")),
      [],
    );
    assert.ok(notDone.includes("base-cuda12-4-amd64"));
    assert.ok(notDone.includes("app-cuda12-8-arm64"), "the app copies from base, so its key changed too");
  });

  it("stops the units downstream of a failed one and ends with CATALOG_UNIT_FAILED", async () => {
    assert.ok(registry);
    const reg = registry.host;
    writeFileSync(join(work, "specs/broken.yaml"), spec("broken", ["no-such-package"]));
    writeFileSync(
      join(work, "specs/user.yaml"),
      spec(
        "user",
        ["app-data"],
        `contents:\n  - image: ${reg}/team/broken:1\n    path: /usr\n    destination: /opt/x\n`,
      ),
    );
    const image = (name: string) =>
      `  - name: ${name}\n    spec: specs/${name}.yaml\n    repository: ${reg}/team/${name}\n    archs: [amd64]\n    tags: ["1"]\n`;
    writeFileSync(join(work, "broken.yaml"), `images:\n${image("broken")}${image("user")}`);
    const r = await runCli(["catalog", "run", "broken.yaml", "--cache-dir", join(work, "cache"), "--json"], {
      cwd: work,
    });
    assert.equal(r.status, 1, r.stderr);
    const { error } = JSON.parse(r.stdout);
    assert.equal(error.code, "CATALOG_UNIT_FAILED");
    assert.deepEqual(error.details.failed, ["broken-amd64"]);
    assert.deepEqual(error.details.blocked.sort(), ["broken", "user", "user-amd64"]);
    assert.match(error.message, /no-such-package/);
  });
});
