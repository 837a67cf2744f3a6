// Real OCI layouts for the deploy and doctor tests, written by the
// project's own layout writer: a hardened CUDA inference image (numeric
// user, a model cache, a volume, a port, NVIDIA_REQUIRE_CUDA), and variants
// of its config (root, a user name, no GPU).

import { writeDockerArchive } from "../../src/oci/docker-archive.ts";
import { buildImageConfig, type ImageConfigInput } from "../../src/oci/image-config.ts";
import type { BuiltImage } from "../../src/oci/image-plan.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { openImage } from "../../src/source/image-source.ts";
import { makeLayer } from "../oci/fixture-image.ts";

export const INFERENCE_ENV = [
  "PATH=/usr/local/bin:/usr/bin:/bin",
  "HOME=/home/app",
  "HF_HOME=/models/hf",
  "TRITON_CACHE_DIR=/tmp/triton",
  "NVIDIA_VISIBLE_DEVICES=all",
  "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
  "NVIDIA_REQUIRE_CUDA=cuda>=12.4",
  "CUDA_VERSION=12.4.1",
];

export type ConfigOverrides = Partial<Omit<ImageConfigInput, "layers" | "arch" | "created">>;

/** Write an amd64 OCI layout under `dir/name`; returns its reference and manifest digest. */
export async function makeImage(
  dir: string,
  name: string,
  overrides: ConfigOverrides = {},
  format: "oci" | "docker-archive" = "oci",
): Promise<{ ref: string; digest: string }> {
  const layer = makeLayer(dir, `layer-${name}`, {
    "app/serve.py": "print('serving')\n",
    "etc/hello": "hi\n",
  });
  const image: BuiltImage = {
    platforms: [
      {
        config: buildImageConfig({
          arch: "amd64",
          created: new Date("2025-01-02T03:04:05Z"),
          user: "65532:65532",
          env: INFERENCE_ENV,
          entrypoint: ["/usr/bin/python3", "/app/serve.py"],
          workingDir: "/app",
          exposedPorts: ["8000/tcp"],
          volumes: ["/data"],
          labels: { "org.opencontainers.image.title": "Inference Server" },
          ...overrides,
          layers: [{ diffId: layer.diffId, createdBy: "test layer" }],
        }),
        layers: [layer],
      },
    ],
    tag: "v1",
  };
  const ref = format === "oci" ? `oci:${dir}/${name}` : `docker-archive:${dir}/${name}.tar`;
  if (format === "oci") await writeOciLayout(`${dir}/${name}`, image);
  else await writeDockerArchive(`${dir}/${name}.tar`, image, { tag: `${name}:v1` });
  const opened = await openImage(ref, { arch: "amd64" });
  return { ref, digest: opened.manifestDigest };
}
