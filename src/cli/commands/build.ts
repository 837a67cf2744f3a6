// `cudaseal build`: a spec or preset into an image.

import { build } from "../../build/build.ts";
import { parseOutput } from "../../build/output.ts";
import { copyImage } from "../../copy/copy-image.ts";
import { CudasealError } from "../../errors.ts";
import { type Compression, DEFAULT_COMPRESSION } from "../../layer/blob-writer.ts";
import { provenanceText } from "../../provenance/slsa-provenance.ts";
import { readSpecFiles } from "../../provenance/spec-files.ts";
import { readLockFile, serializeLock } from "../../resolve/index.ts";
import { hostArch } from "../../source/host-arch.ts";
import { formatImageRef, parseImageRef } from "../../source/image-ref.ts";
import { loadSpec } from "../../spec/load.ts";
import { DEFAULT_PRESET } from "../../spec/presets.ts";
import { writeFileAtomic } from "../../util/atomic-file.ts";
import { formatBytes } from "../../util/format-bytes.ts";
import { cudasealVersion } from "../../util/version.ts";
import {
  type Command,
  type FlagValues,
  listFlag,
  SOURCE_FLAGS,
  SOURCE_FLAGS_HELP,
  stringFlag,
} from "../command.ts";
import { REGISTRY_FLAGS, registryOptionsFrom } from "../registry-options.ts";
import { cacheDirFrom, sourcesFrom } from "../sources-options.ts";

export const buildCommand: Command = {
  name: "build",
  help: `Usage: cudaseal build [SPEC.yaml] [--preset NAME] [options]

Builds an OCI image from signed Debian packages, with no Docker engine and
no root: resolve (or replay --lock), download through the verified cache,
lay out the packages without running their scripts, harden (non-root, no
setuid, no shell, no driver libraries), and write deterministic layers.
With no spec and no --preset it builds ${DEFAULT_PRESET}. Two builds of the
same lock give the same digests.

Options:
  --preset NAME           a built-in spec (see 'cudaseal presets')
  -o, --output DEST       oci:DIR[:TAG] (default oci:out/NAME:latest),
                          oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG]
  --lock FILE             replay this lock instead of resolving
  --write-lock FILE       also write the lock used
  --compression ALG       gzip (default) or zstd
  --level N               compression level (default: gzip 1, zstd 3)
  --source-date-epoch S   image time and mtime clamp (default: $SOURCE_DATE_EPOCH,
                          else the newest file in the packages)
  --no-layer-cache        rebuild every layer
  --sbom-files            list every package's file with its checksums in the
                          SBOMs (the spec's sbom.files; the files no package
                          owns are always listed)
  --provenance FILE       also write the build's SLSA provenance v1 predicate
                          (sign it with 'cudaseal attest --type slsaprovenance1')
  --push REF              then push the image to REF (registry.example/repo:tag);
                          takes push's --insecure, --username, --password-stdin
${SOURCE_FLAGS_HELP}

Examples:
  cudaseal build
  cudaseal build --preset cuda-runtime --arch amd64 -o oci:out/rt:12.4
  cudaseal build app.yaml -o docker-archive:app.tar:myapp:1.0   # then: podman load -i app.tar`,
  flags: {
    ...SOURCE_FLAGS,
    preset: { type: "string" },
    output: { type: "string", short: "o" },
    lock: { type: "string" },
    "write-lock": { type: "string" },
    compression: { type: "string" },
    level: { type: "string" },
    "source-date-epoch": { type: "string" },
    "no-layer-cache": { type: "boolean" },
    "sbom-files": { type: "boolean" },
    provenance: { type: "string" },
    push: { type: "string" },
    ...REGISTRY_FLAGS,
  },
  async run(positionals, flags, out) {
    if (positionals.length > 1) throw new CudasealError("USAGE", "build takes one spec file");
    const preset = stringFlag(flags, "preset");
    if (preset && positionals[0]) throw new CudasealError("USAGE", "give a spec file or --preset, not both");
    const ref = positionals[0] ?? `preset:${preset ?? DEFAULT_PRESET}`;
    const { spec, files: specFiles } = loadSpec(ref);
    const name = spec.name ?? "image";
    const output = parseOutput(stringFlag(flags, "output"), name);
    // Check where to push before spending minutes on the build.
    const pushTo =
      stringFlag(flags, "push") === undefined ? undefined : parseImageRef(stringFlag(flags, "push")!);
    if (pushTo !== undefined && pushTo.transport !== "docker")
      throw new CudasealError(
        "USAGE",
        `--push takes a registry reference, not ${stringFlag(flags, "push")}`,
        {
          hint: "--push registry.example/team/app:1.0",
        },
      );
    const registryOptions =
      pushTo === undefined ? undefined : await registryOptionsFrom(flags, pushTo.registry);
    let archs = listFlag(flags, "arch") ?? spec.archs ?? ["amd64", "arm64"];
    if (output.format === "docker-archive" && archs.length > 1) {
      // `docker save` archives hold one platform: the host's unless --arch names one.
      if (listFlag(flags, "arch")) {
        throw new CudasealError("USAGE", "a docker-archive holds one architecture", {
          hint: "pass one --arch, or write oci:DIR for a multi-arch image",
        });
      }
      // The host's, where a build can make it; amd64 on any other host.
      archs = [hostArch() === "arm64" ? "arm64" : "amd64"];
      out.note(`docker-archive holds one platform: building ${archs[0]} (use --arch to choose)`);
    }
    for (const a of archs) {
      if (a !== "amd64" && a !== "arm64")
        throw new CudasealError("USAGE", `unsupported architecture ${a}`, { hint: "use amd64 or arm64" });
    }
    const lockPath = stringFlag(flags, "lock");
    const lock = lockPath ? await readLockFile(lockPath) : undefined;
    const started = performance.now();
    const result = await build({
      spec,
      archs,
      sources: lock ? [] : sourcesFrom(flags, spec),
      lock,
      cacheDir: cacheDirFrom(flags),
      output,
      compression: compressionFrom(flags, spec.compression),
      sourceDateEpoch: epochFrom(flags),
      allowExpired: flags["allow-expired"] === true,
      layerCache: flags["no-layer-cache"] !== true,
      sbomFiles: flags["sbom-files"] === true ? true : undefined,
      onProgress: out.progress(),
      onNote: (n) => out.note(n),
    });
    const writeLockPath = stringFlag(flags, "write-lock");
    if (writeLockPath) {
      await writeFileAtomic(writeLockPath, serializeLock(result.lock));
    }
    const provenancePath = stringFlag(flags, "provenance");
    if (provenancePath) {
      const provenance = provenanceText({
        version: cudasealVersion(),
        spec: positionals[0] ?? ref,
        specFiles: readSpecFiles(positionals[0] ?? ref, specFiles),
        lock: result.lock,
        archs,
        compression: compressionFrom(flags, spec.compression),
        sourceDateEpoch: epochFrom(flags),
        created: String(result.platforms[0].image.config.created),
      });
      await writeFileAtomic(provenancePath, provenance);
    }
    const seconds = (performance.now() - started) / 1000;
    const summary = {
      digest: result.written.image.digest,
      output: formatImageRef(output.ref),
      reference: output.reference,
      seconds: Number(seconds.toFixed(2)),
      downloadedBytes: result.downloadedBytes,
      platforms: result.platforms.map((p, i) => ({
        arch: p.arch,
        manifest: result.written.platforms[i]?.manifest.digest,
        packages: result.lock.arches[p.arch]?.length ?? 0,
        files: p.fileCount,
        compressedBytes: p.layers.reduce((n, l) => n + l.size, 0),
        uncompressedBytes: p.layers.reduce((n, l) => n + l.uncompressedSize, 0),
        layers: p.layers,
        dropped: p.dropped,
        unresolvedLibraries: p.unresolvedLibraries,
      })),
      stages: result.stages,
      pushed: undefined as undefined | { reference: string; digest: string; blobs: number; bytes: number },
    };
    if (pushTo !== undefined) {
      const pushed = await copyImage(output.ref, pushTo, {
        registry: registryOptions,
        progress: out.progress(),
      });
      summary.pushed = {
        reference: pushed.destination,
        digest: pushed.digest,
        blobs: pushed.blobs.pushed,
        bytes: pushed.bytes.pushed,
      };
    }
    if (out.json) {
      out.jsonData(summary);
      return 0;
    }
    for (const p of summary.platforms) {
      const cached = p.layers.filter((l) => l.cached).length;
      out.note(
        `${p.arch}: ${p.packages} packages, ${p.files} files, ${p.layers.length} layers (${cached} from cache), ` +
          `${formatBytes(p.compressedBytes)} compressed, ${formatBytes(p.uncompressedBytes)} uncompressed`,
      );
    }
    for (const p of summary.platforms) {
      const trimmed = p.dropped.trimmed;
      if (trimmed)
        out.note(
          `${p.arch}: trim removed ${trimmed.files} unreachable libraries, ${formatBytes(trimmed.bytes)}`,
        );
    }
    for (const p of result.platforms) {
      if (p.unresolvedLibraries?.length)
        out.note(
          `${p.arch}: needed but not in the image (host-provided or missing): ${p.unresolvedLibraries.join(", ")}`,
        );
    }
    out.note(`stages: ${result.stages.map((s) => `${s.stage} ${(s.ms / 1000).toFixed(1)}s`).join(", ")}`);
    out.note(`wrote ${summary.output}`);
    if (summary.pushed !== undefined)
      out.note(
        `pushed ${summary.pushed.reference} (${summary.pushed.blobs} blobs, ${formatBytes(summary.pushed.bytes)})`,
      );
    out.data(summary.digest);
    return 0;
  },
};

function compressionFrom(
  flags: FlagValues,
  spec?: { algorithm?: "gzip" | "zstd"; level?: number },
): Compression {
  const algorithm = (stringFlag(flags, "compression") ??
    spec?.algorithm ??
    DEFAULT_COMPRESSION.algorithm) as string;
  if (algorithm !== "gzip" && algorithm !== "zstd") {
    throw new CudasealError("USAGE", `unknown compression ${algorithm}`, { hint: "use gzip or zstd" });
  }
  const levelText = stringFlag(flags, "level");
  const level =
    levelText !== undefined
      ? Number(levelText)
      : (spec?.level ?? (algorithm === "zstd" ? 3 : DEFAULT_COMPRESSION.level));
  const max = algorithm === "gzip" ? 9 : 19;
  if (!Number.isInteger(level) || level < 1 || level > max) {
    throw new CudasealError("USAGE", `compression level must be 1..${max}`);
  }
  return { algorithm, level };
}

function epochFrom(flags: FlagValues): number | undefined {
  const text = stringFlag(flags, "source-date-epoch") ?? process.env.SOURCE_DATE_EPOCH;
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new CudasealError("USAGE", `SOURCE_DATE_EPOCH must be whole seconds: ${text}`);
  return n;
}
