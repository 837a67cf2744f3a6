// Images for the audit tests, with layers written by python3's tarfile (so
// they can be as hostile as needed) and configs built by the code under
// test. The secrets are made up at run time from repeated fragments, so this
// file holds nothing a secret scanner would flag, and they are random-looking
// enough (entropy) for the audit to flag them.

import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { buildImageConfig, type ImageConfig } from "../../src/oci/image-config.ts";
import type { BuiltImage, LayerBlob } from "../../src/oci/image-plan.ts";
import { OCI_LAYER_GZIP } from "../../src/oci/media-types.ts";
import { type PyTarEntry, pythonTar } from "../helpers/python-tar.ts";

const ELF = "\u007fELF\u0002\u0001\u0001\u0000";

/** Fake secrets, built so the source holds none. */
export const SECRETS = {
  awsId: ["AKIA", "Q3EXPL", "4MPLE7Z2KQ"].join(""),
  awsSecret: ["wJalrXUtnFEMI", "/K7MDENG/bPxRfiCY", "9z8QvLm2Tq4Hs"].join("").slice(0, 40),
  github: `ghp_${"R4nd0mT0k3nXy".repeat(3).slice(0, 36)}`,
  huggingface: `hf_${"QwErTy7uIoP2aSdF".repeat(3).slice(0, 34)}`,
  dbPassword: "Zx9-kP2mQ7vL4tR8wB1n",
  envToken: `hf_${"ZyXwVu9tSr8QpOn7".repeat(3).slice(0, 34)}`,
  buildArg: `ghp_${"B1ldArgL34kQz".repeat(3).slice(0, 36)}`,
  privateKey: [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    ...Array.from(
      { length: 6 },
      (_, i) => `b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW${i}`,
    ),
    "-----END OPENSSH PRIVATE KEY-----",
    "",
  ].join("\n"),
};

/** A gzip'd layer from tarfile entries, digested like the layer stage does. */
export function layer(dir: string, name: string, entries: PyTarEntry[]): LayerBlob {
  const bytes = pythonTar(entries, { compression: "gz" });
  return blob(dir, name, bytes, gunzipSync(bytes));
}

/** A layer blob from given bytes (which may be corrupt); `tar` is the uncompressed form for the diff ID. */
export function blob(dir: string, name: string, bytes: Buffer, tar: Buffer = bytes): LayerBlob {
  const path = join(dir, `${name}.tar.gz`);
  writeFileSync(path, bytes);
  return { path, digest: sha256(bytes), size: bytes.length, diffId: sha256(tar), mediaType: OCI_LAYER_GZIP };
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export interface ConfigInput {
  user?: string;
  env?: string[];
  labels?: Record<string, string>;
  exposedPorts?: string[];
  created: Date;
  history?: string[];
}

export function image(layers: LayerBlob[], input: ConfigInput): BuiltImage {
  const config: ImageConfig = buildImageConfig({
    arch: "amd64",
    created: input.created,
    user: input.user,
    env: input.env,
    labels: input.labels,
    exposedPorts: input.exposedPorts,
    entrypoint: ["/app/serve"],
    layers: layers.map((l, i) => ({ diffId: l.diffId, createdBy: input.history?.[i] ?? `layer ${i}` })),
  });
  return { platforms: [{ config, layers }], tag: "v1" };
}

const DAY = 86_400_000;

/**
 * Everything wrong at once: root, a shell, setuid and setgid files, a
 * world-writable directory, a bundled libcuda, secrets in Env and in history,
 * and secrets added in layer 1 that layer 2 deletes (a whiteout, an opaque
 * directory) or keeps.
 */
export function badImage(dir: string, now: Date): BuiltImage {
  const base = layer(dir, "bad-0", [
    { name: "bin", type: "dir" },
    { name: "bin/bash", data: `${ELF}bash`, mode: 0o755 },
    { name: "bin/sh", type: "symlink", linkname: "bash" },
    { name: "bin/su", data: `${ELF}su`, mode: 0o4755 },
    { name: "usr/bin/apt-get", data: `${ELF}apt-get`, mode: 0o755 },
    { name: "usr/bin/passwd", data: `${ELF}passwd`, mode: 0o4755 },
    { name: "usr/bin/wall", data: `${ELF}wall`, mode: 0o2755 },
    { name: "usr/bin/curl", data: `${ELF}curl`, mode: 0o755 },
    { name: "usr/bin/pip3", data: "#!/usr/bin/python3\nimport pip\n", mode: 0o755 },
    { name: "usr/bin/gcc-12", data: `${ELF}gcc`, mode: 0o755 },
    // Not tools: a non-executable file and one outside bin/.
    { name: "usr/bin/apt", data: "not executable", mode: 0o644 },
    { name: "usr/share/bash-completion/bash", data: "complete", mode: 0o755 },
    { name: "srv/shared", type: "dir", mode: 0o777 },
    { name: "tmp", type: "dir", mode: 0o1777 },
    { name: "usr/lib/x86_64-linux-gnu/libcuda.so.1", data: `${ELF}libcuda`, mode: 0o755 },
    { name: "usr/lib/x86_64-linux-gnu/libnvidia-ml.so.550.54.15", data: `${ELF}nvml`, mode: 0o755 },
    { name: "usr/local/cuda/lib64/stubs/libcuda.so", data: `${ELF}stub`, mode: 0o755 },
    { name: "usr/local/cuda/lib64/libcudart.so.12.4.127", data: `${ELF}cudart`, mode: 0o755 },
    { name: "usr/local/cuda/lib64/libcudart.so.12", type: "symlink", linkname: "libcudart.so.12.4.127" },
  ]);
  const secrets = layer(dir, "bad-1", [
    { name: "root/.ssh/id_ed25519", data: SECRETS.privateKey, mode: 0o600 },
    {
      name: "root/.aws/credentials",
      data: `[default]\naws_access_key_id = ${SECRETS.awsId}\naws_secret_access_key = ${SECRETS.awsSecret}\n`,
    },
    { name: "app/.env", data: `DB_PASSWORD=${SECRETS.dbPassword}\nDEBUG=false\n` },
    {
      name: "app/settings.py",
      data: `import os\n\nHF = "${SECRETS.huggingface}"\nGH = "${SECRETS.github}"\n`,
    },
    { name: "app/README.md", data: "Set API_TOKEN=<your token here> and PASSWORD=changeme.\n" },
  ]);
  const cleanup = layer(dir, "bad-2", [
    { name: "root/.ssh/.wh.id_ed25519" },
    { name: "root/.aws/.wh..wh..opq" },
    { name: "app/.wh..env" },
  ]);
  return image([base, secrets, cleanup], {
    env: [
      "PATH=/usr/bin:/bin",
      `HF_TOKEN=${SECRETS.envToken}`,
      "NVIDIA_VISIBLE_DEVICES=all",
      "NVIDIA_DRIVER_CAPABILITIES=all",
      "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
    ],
    labels: { "org.opencontainers.image.base.name": "nvidia/cuda:latest" },
    exposedPorts: ["8080/tcp"],
    created: new Date(now.getTime() - 400 * DAY),
    history: [
      "ADD rootfs.tar /",
      `RUN |1 GITHUB_TOKEN=${SECRETS.buildArg} /bin/sh -c git clone app`,
      "RUN rm",
    ],
  });
}

/** What cudaseal builds: non-root numeric user, no shell, OCI labels, the NVIDIA variables matching libcudart. */
export function cleanImage(dir: string, now: Date): BuiltImage {
  const files = layer(dir, "clean-0", [
    {
      name: "etc/passwd",
      data: "root:x:0:0:root:/root:/usr/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/usr/sbin/nologin\n",
    },
    { name: "tmp", type: "dir", mode: 0o1777 },
    { name: "var/tmp", type: "dir", mode: 0o1777 },
    { name: "var/lib/dpkg/status.d/libcudart12", data: "Package: libcudart12\nVersion: 12.4.127~12.4.1-1\n" },
    { name: "usr/lib/x86_64-linux-gnu/libcudart.so.12.4.127", data: `${ELF}cudart`, mode: 0o644 },
    { name: "usr/lib/x86_64-linux-gnu/libcudart.so.12", type: "symlink", linkname: "libcudart.so.12.4.127" },
    {
      name: "etc/ssl/certs/ca-certificates.crt",
      data: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    },
  ]);
  const app = layer(dir, "clean-1", [{ name: "app/serve", data: `${ELF}serve`, mode: 0o755 }]);
  const created = new Date(now.getTime() - 2 * DAY);
  return image([files, app], {
    user: "65532:65532",
    env: [
      "PATH=/usr/bin",
      "NVIDIA_VISIBLE_DEVICES=all",
      "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
      "NVIDIA_REQUIRE_CUDA=cuda>=12.4",
    ],
    labels: {
      "org.opencontainers.image.created": created.toISOString(),
      "org.opencontainers.image.source": "https://example.org/app",
      "org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567",
      "org.opencontainers.image.version": "1.0.0",
      "org.opencontainers.image.base.name": "scratch",
    },
    created,
  });
}
