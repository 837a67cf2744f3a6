// Planning a catalog without a registry (--offline): the units and their
// edges, keys that follow the inputs and not the folder, deterministic JSON,
// and each kind of bad catalog with its code.

import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  type CatalogPlan,
  catalogImages,
  formatPlan,
  loadCatalog,
  planCatalog,
} from "../../src/catalog/index.ts";
import { CudasealError } from "../../src/errors.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A folder with `files` (relative path → text) written in it. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-plan-"));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const BASE = "name: base\npackages: [hello]\n";
const APP =
  "name: app\npackages: [hello]\ncontents:\n  - source: files\n    destination: /opt/app\n" +
  "  - image: reg.example/team/base:12.8-base\n    path: /usr/lib\n    destination: /usr/lib\n";
const CATALOG = `images:
  - name: base
    spec: specs/base.yaml
    repository: reg.example/team/base
    variants: { cuda: ["12.4", "12.8"] }
    tags: ["{cuda}-base"]
  - name: app
    spec: specs/app.yaml
    repository: reg.example/team/app
    archs: [amd64]
    variants: { cuda: ["12.8"] }
    tags: ["{cuda}", "latest"]
    cache: { from: [reg.example/cache], to: reg.example/cache }
`;

function catalogFolder(catalog = CATALOG, extra: Record<string, string> = {}): string {
  return folder({
    "catalog.yaml": catalog,
    "specs/base.yaml": BASE,
    "specs/app.yaml": APP,
    "specs/files/run.sh": "#!/bin/sh\n",
    ...extra,
  });
}

/** The folder's plan, offline; the catalog named as a worker would, relative to its folder. */
async function plan(dir: string): Promise<CatalogPlan> {
  const made = await planCatalog(await loadCatalog(join(dir, "catalog.yaml")), { registryCheck: false });
  return { ...made, catalog: "catalog.yaml" };
}

async function planError(dir: string): Promise<CudasealError> {
  try {
    await plan(dir);
  } catch (err) {
    assert.ok(err instanceof CudasealError, String(err));
    return err;
  }
  assert.fail("the plan was made");
}

describe("catalog plan", () => {
  it("makes a build per image × variant × arch, an index per variant, and an edge to the image a spec copies from", async () => {
    const p = await plan(catalogFolder());
    assert.deepEqual(
      p.units.map((u) => `${u.level} ${u.id} <- ${u.needs.join(",")}`),
      [
        "0 base-cuda12-4-amd64 <- ",
        "0 base-cuda12-4-arm64 <- ",
        "0 base-cuda12-8-amd64 <- ",
        "0 base-cuda12-8-arm64 <- ",
        "1 base-cuda12-4 <- base-cuda12-4-amd64,base-cuda12-4-arm64",
        "1 base-cuda12-8 <- base-cuda12-8-amd64,base-cuda12-8-arm64",
        "2 app-cuda12-8-amd64 <- base-cuda12-8",
        "3 app-cuda12-8 <- app-cuda12-8-amd64",
      ],
    );
    const build = p.units.find((u) => u.id === "app-cuda12-8-amd64");
    assert.ok(build);
    assert.deepEqual(build.tags, ["12.8-amd64"]);
    assert.deepEqual(build.args, [
      "build",
      "specs/app.yaml",
      "--arch",
      "amd64",
      "--cuda",
      "12.8",
      "-o",
      "oci:out/app-cuda12-8-amd64",
      "--push",
      "reg.example/team/app:12.8-amd64",
      "--annotation",
      `dev.cudaseal.catalog.unit-key=${build.key}`,
      "--cache-from",
      "reg.example/cache",
      "--cache-to",
      "reg.example/cache",
    ]);
    const index = p.units.find((u) => u.id === "app-cuda12-8");
    assert.deepEqual(index?.args.slice(0, 7), [
      "catalog",
      "join",
      "reg.example/team/app:12.8-amd64",
      "--to",
      "reg.example/team/app:12.8",
      "--to",
      "reg.example/team/app:latest",
    ]);
    assert.ok(
      p.units.every((u) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(u.id) && /^[0-9a-f]{64}$/.test(u.key)),
    );
    assert.equal(new Set(p.units.map((u) => u.key)).size, p.units.length);
  });

  it("gives the same bytes in another folder, and other keys when an input changes, downstream too", async () => {
    const dir = catalogFolder();
    const first = formatPlan(await plan(dir));
    const moved = mkdtempSync(join(tmpdir(), "cudaseal-plan-moved-"));
    dirs.push(moved);
    cpSync(dir, moved, { recursive: true });
    assert.equal(formatPlan(await plan(moved)), first);

    writeFileSync(join(moved, "specs/files/run.sh"), "#!/bin/sh\nexit 0\n");
    const changed = await plan(moved);
    const before = JSON.parse(first) as CatalogPlan;
    const same = changed.units.filter((u, i) => u.key === before.units[i].key).map((u) => u.id);
    assert.deepEqual(same, [
      "base-cuda12-4-amd64",
      "base-cuda12-4-arm64",
      "base-cuda12-8-amd64",
      "base-cuda12-8-arm64",
      "base-cuda12-4",
      "base-cuda12-8",
    ]);

    writeFileSync(join(moved, "specs/base.yaml"), `${BASE}recommends: false\n`);
    const rebased = await plan(moved);
    assert.notEqual(
      rebased.units.find((u) => u.id === "app-cuda12-8")?.key,
      changed.units.find((u) => u.id === "app-cuda12-8")?.key,
    );
  });

  it("keys a spec that copies from an OCI layout by the layout's path in the catalog, not on this machine", async () => {
    const fromLayout = `${BASE}contents:\n  - image: oci:../layouts/base:1\n    path: /opt\n    destination: /opt\n`;
    const dir = catalogFolder(CATALOG, { "specs/base.yaml": fromLayout });
    const first = formatPlan(await plan(dir));
    const moved = mkdtempSync(join(tmpdir(), "cudaseal-plan-moved-"));
    dirs.push(moved);
    cpSync(dir, moved, { recursive: true });
    assert.equal(formatPlan(await plan(moved)), first);
    writeFileSync(join(moved, "specs/base.yaml"), fromLayout.replace("base:1", "base:2"));
    assert.notEqual(formatPlan(await plan(moved)), first);
  });

  it("lists each image's final tags for every variant", async () => {
    const catalog = await loadCatalog(join(catalogFolder(), "catalog.yaml"));
    assert.deepEqual(catalogImages(catalog), [
      { repository: "reg.example/team/base", tags: ["12.4-base", "12.8-base"] },
      { repository: "reg.example/team/app", tags: ["12.8", "latest"] },
    ]);
  });

  it("names the loop when images copy from each other: CATALOG_CYCLE", async () => {
    const loop =
      BASE + "contents:\n  - image: reg.example/team/app:12.8\n    path: /opt\n    destination: /opt\n";
    const err = await planError(catalogFolder(CATALOG, { "specs/base.yaml": loop }));
    assert.equal(err.code, "CATALOG_CYCLE");
    assert.match(err.message, /app -> base -> app|base -> app -> base/);
  });

  it("refuses an unknown preset, a missing spec or lock, bad YAML, schema errors and tag clashes", async () => {
    const cases: [string, string, Record<string, string>?][] = [
      [CATALOG.replace("spec: specs/base.yaml", "preset: no-such-preset"), "CATALOG_PRESET_UNKNOWN"],
      [CATALOG.replace("specs/base.yaml", "specs/gone.yaml"), "CATALOG_SPEC_MISSING"],
      [
        CATALOG.replace(
          '    tags: ["{cuda}-base"]',
          '    lock: locks/base-{cuda}.json\n    tags: ["{cuda}-base"]',
        ),
        "CATALOG_SPEC_MISSING",
      ],
      [
        CATALOG.replace(
          '    tags: ["{cuda}-base"]',
          '    lock: catalog.yaml/{cuda}.json\n    tags: ["{cuda}-base"]',
        ),
        "CATALOG_SPEC_MISSING",
      ],
      [
        CATALOG.replace("spec: specs/app.yaml", "spec: specs/app.yaml\n    preset: cuda-base"),
        "CATALOG_INVALID",
      ],
      ["images: [\n", "CATALOG_INVALID"],
      [CATALOG.replace('["12.4", "12.8"]', "[12.4, 12.8]"), "CATALOG_INVALID"],
      [CATALOG.replace("archs: [amd64]", "archs: [riscv64]"), "CATALOG_INVALID"],
      [CATALOG.replace('["{cuda}-base"]', '["base"]'), "CATALOG_INVALID"],
      [CATALOG.replace('["{cuda}-base"]', '["{python}"]'), "CATALOG_INVALID"],
      [CATALOG.replace("name: app", "name: base"), "CATALOG_INVALID"],
      [
        `${CATALOG}  - name: base-cuda12-8\n    spec: specs/base.yaml\n    repository: reg.example/team/other\n    tags: [x]\n`,
        "CATALOG_INVALID",
      ],
      [CATALOG.replace("reg.example/team/app\n", "reg.example/team/app:1\n"), "CATALOG_INVALID"],
    ];
    for (const [text, code] of cases) {
      const err = await planError(catalogFolder(text));
      assert.equal(err.code, code, `${text}\n→ ${err.code}: ${err.message}`);
    }
    const missingFile = await planError(
      catalogFolder(CATALOG, { "specs/app.yaml": APP.replace("source: files", "source: nothing-here") }),
    );
    assert.equal(missingFile.code, "CATALOG_SPEC_MISSING");
    const missingInclude = await planError(
      catalogFolder(CATALOG, { "specs/base.yaml": `include: common.yaml\n${BASE}` }),
    );
    assert.equal(missingInclude.code, "CATALOG_SPEC_MISSING");
  });
});
