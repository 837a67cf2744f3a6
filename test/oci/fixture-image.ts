// A tiny but real image for the OCI writer tests: gzip'd layer tars made by
// GNU tar from files on disk, digested the way the layer stage digests them,
// and configs built by the code under test.

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { buildImageConfig } from "../../src/oci/image-config.ts";
import type { BuiltImage, LayerBlob, PlatformImage } from "../../src/oci/image-plan.ts";
import { OCI_LAYER_GZIP } from "../../src/oci/media-types.ts";

/** A layer's files: path → content, or a symlink. */
export type LayerFiles = Record<string, string | { symlink: string }>;

/** Make a gzip'd layer tar holding `files` (with optional modes) under `dir`, by GNU tar. */
export function makeLayer(
  dir: string,
  name: string,
  files: LayerFiles,
  modes: Record<string, number> = {},
): LayerBlob {
  const src = join(dir, `src-${name}`);
  mkdirSync(src, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(src, path)), { recursive: true });
    if (typeof content === "string") writeFileSync(join(src, path), content);
    else symlinkSync(content.symlink, join(src, path));
    if (modes[path] !== undefined) chmodSync(join(src, path), modes[path]);
  }
  const out = join(dir, `${name}.tar.gz`);
  execFileSync("tar", [
    "-czf",
    out,
    "--sort=name",
    "--mtime=@0",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "-C",
    src,
    ".",
  ]);
  const bytes = readFileSync(out);
  return {
    path: out,
    digest: sha256(bytes),
    size: bytes.length,
    diffId: sha256(gunzipSync(bytes)),
    mediaType: OCI_LAYER_GZIP,
  };
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export function platformImage(arch: string, layers: LayerBlob[]): PlatformImage {
  return {
    config: buildImageConfig({
      arch,
      created: new Date("2025-01-02T03:04:05Z"),
      user: "1000:1000",
      env: ["PATH=/usr/local/bin:/usr/bin:/bin", `ARCH=${arch}`],
      entrypoint: ["/bin/sh", "-c"],
      cmd: ["cat /opt/arch"],
      workingDir: "/work",
      labels: { "org.example.test": "yes" },
      layers: layers.map((l, i) => ({ diffId: l.diffId, createdBy: `test layer ${i}`, comment: "fixture" })),
    }),
    layers,
    annotations: { "org.example.platform": arch },
  };
}

export interface Fixture {
  layers: { base: LayerBlob; amd64: LayerBlob; arm64: LayerBlob };
  single: BuiltImage;
  multi: BuiltImage;
}

/** Layers and images: one shared base layer, one arch layer each. */
export function makeFixture(dir: string): Fixture {
  const base = makeLayer(dir, "base", { "etc/hello": "hello\n", "usr/share/doc/t/copyright": "none\n" });
  const amd64 = makeLayer(dir, "amd64", { "opt/arch": "amd64\n" });
  const arm64 = makeLayer(dir, "arm64", { "opt/arch": "arm64\n" });
  const annotations = { "org.opencontainers.image.title": "fixture" };
  return {
    layers: { base, amd64, arm64 },
    single: { platforms: [platformImage("amd64", [base, amd64])], annotations, tag: "v1" },
    multi: {
      platforms: [platformImage("amd64", [base, amd64]), platformImage("arm64", [base, arm64])],
      annotations,
      tag: "v1",
    },
  };
}

/** True when `cmd` runs here; tests of real consumers skip with a reason when it does not. */
export function hasTool(cmd: string): boolean {
  // CI sets CUDASEAL_REQUIRE_TOOLS so that a missing peer fails its tests
  // instead of skipping them, and a broken install step cannot pass unseen.
  if (process.env.CUDASEAL_REQUIRE_TOOLS) return true;
  return spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0;
}

/** Run a tool, returning stdout; throws with its stderr on failure. */
export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
