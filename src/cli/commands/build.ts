// `cudaseal build`: a spec or preset into an image.

import { build } from "../../build/build.ts";
import { parseOutput } from "../../build/output.ts";
import { CudasealError } from "../../errors.ts";
import type { SpecOverrides } from "../../provenance/slsa-provenance.ts";
import { readLockFile } from "../../resolve/index.ts";
import { loadSpec } from "../../spec/load.ts";
import { DEFAULT_PRESET } from "../../spec/presets.ts";
import type { Spec } from "../../spec/types.ts";
import { archsFrom, compressionFrom, epochFrom, pushFrom, registryCacheFrom } from "../build-options.ts";
import {
  type Command,
  type FlagValues,
  keyValues,
  listFlag,
  SOURCE_FLAGS,
  SOURCE_FLAGS_HELP,
  stringFlag,
} from "../command.ts";
import { REGISTRY_FLAGS } from "../registry-options.ts";
import { cacheDirFrom, sourcesFrom } from "../sources-options.ts";
import { reportBuild } from "./build-summary.ts";

export const buildCommand: Command = {
  name: "build",
  help: `Usage: cudaseal build [SPEC.yaml] [--preset NAME] [options]

Builds an OCI image from signed Debian packages, with no Docker engine and
no root: resolve (or replay --lock), download through the verified cache,
lay out the packages without running their scripts, harden (non-root, no
setuid, no shell, no driver libraries), and write deterministic layers,
/etc/ld.so.cache included. Then every ELF file's libraries and loader, and
every script's #! interpreter, must resolve inside the image (or be the
host driver's): LINK_UNRESOLVED otherwise, which the spec's
allow.unresolved waives. A spec's python: adds the application's locked
wheels (docs/python.md); sources: [nvidia-cuda] and cuda: "12.8" build on
NVIDIA's CUDA repository (docs/nvidia.md).
With no spec and no --preset it builds ${DEFAULT_PRESET}. Two builds of the
same lock give the same digests.

Options:
  --preset NAME           a built-in spec (see 'cudaseal presets')
  -o, --output DEST       oci:DIR[:TAG] (default oci:out/NAME:latest),
                          oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG]
  --lock FILE             replay this lock instead of resolving (builds the
                          lock's architectures unless --arch names some)
  --write-lock FILE       also write the lock used
  --compression ALG       gzip (default) or zstd
  --level N               compression level (default: gzip 1, zstd 3)
  --source-date-epoch S   image time and mtime clamp (default: $SOURCE_DATE_EPOCH,
                          else the newest file in the packages)
  --no-layer-cache        rebuild every layer (the cache registry is not read)
  --cache-from REPO       on a local layer-cache miss, read the layer from this
                          cache repository (registry.example/team/cache),
                          verified by digest; repeatable, tried in order.
                          The .debs are then fetched only for layers no cache
                          has (docs/fleet.md)
  --cache-to REPO         write every layer's cache entry to this repository
                          (often the same as --cache-from); a failed write is
                          a warning, never the build's failure
  --cache-strict          fail on a poisoned cache entry (CACHE_ENTRY_POISONED)
                          instead of warning and building the layer here.
                          An unreachable cache registry is always a warning
                          (CACHE_REGISTRY_UNREACHABLE): the build goes on
  --sbom-files            list every package's file with its checksums in the
                          SBOMs (the spec's sbom.files; the files no package
                          owns are always listed)
  --provenance FILE       also write the build's SLSA provenance v1 predicate
                          (sign it with 'cudaseal attest --type slsaprovenance1')
  --push REF              then push the image to REF (registry.example/repo:tag);
                          takes push's --insecure, --username, --password-stdin
  --cuda VERSION          build for this CUDA version instead of the spec's cuda:
                          (a catalog's cuda variant builds one spec this way)
  --annotation KEY=VALUE  add an annotation to the image (manifest, or index
                          when multi-arch), over the spec's; repeatable
${SOURCE_FLAGS_HELP}

Examples:
  cudaseal build
  cudaseal build --preset cuda-runtime --arch amd64 -o oci:out/rt:12.4
  cudaseal build app.yaml -o docker-archive:app.tar:myapp:1.0   # then: podman load -i app.tar
  cudaseal build app.yaml --cache-from registry.example/ci/cache \
    --cache-to registry.example/ci/cache --push registry.example/team/app:1.0`,
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
    "cache-from": { type: "string", multiple: true },
    "cache-to": { type: "string" },
    "cache-strict": { type: "boolean" },
    "sbom-files": { type: "boolean" },
    provenance: { type: "string" },
    push: { type: "string" },
    cuda: { type: "string" },
    annotation: { type: "string", multiple: true },
    ...REGISTRY_FLAGS,
  },
  async run(positionals, flags, out) {
    if (positionals.length > 1) throw new CudasealError("USAGE", "build takes one spec file");
    const preset = stringFlag(flags, "preset");
    if (preset && positionals[0]) throw new CudasealError("USAGE", "give a spec file or --preset, not both");
    const ref = positionals[0] ?? `preset:${preset ?? DEFAULT_PRESET}`;
    const { spec, files: specFiles } = loadSpec(ref);
    const overrides = overrideSpec(spec, flags);
    const output = parseOutput(stringFlag(flags, "output"), spec.name ?? "image");
    // Check where to push before spending minutes on the build.
    const push = await pushFrom(flags);
    const registryCache = registryCacheFrom(flags, push);
    const lockPath = stringFlag(flags, "lock");
    const lock = lockPath ? await readLockFile(lockPath) : undefined;
    const archs = archsFrom(flags, spec.archs, output, out, lock && Object.keys(lock.arches));
    const provenancePath = stringFlag(flags, "provenance");
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
      registryCache,
      sbomFiles: flags["sbom-files"] === true ? true : undefined,
      writeLock: stringFlag(flags, "write-lock"),
      provenance:
        provenancePath === undefined ? undefined : { path: provenancePath, spec: ref, specFiles, overrides },
      push,
      onProgress: out.progress(),
      onNote: (n) => out.note(n),
      onWarning: (w) => out.warn(`${w.code}: ${w.message}`),
    });
    const pushMs = result.stages.find((s) => s.stage === "push")?.ms ?? 0;
    reportBuild(out, result, (performance.now() - started - pushMs) / 1000);
    return 0;
  },
};

/**
 * --cuda and --annotation over the spec's own: what a catalog's variants and
 * done-marking set. What they set is returned, for the provenance to record
 * beside the spec files that no longer say it all.
 */
function overrideSpec(spec: Spec, flags: FlagValues): SpecOverrides | undefined {
  const cuda = stringFlag(flags, "cuda");
  // The spec's schema checks its own cuda:; a flag's is checked here, before the archive is read.
  if (cuda !== undefined && !/^[0-9]+\.[0-9]+$/.test(cuda))
    throw new CudasealError("USAGE", `--cuda takes a CUDA version (12.8), not ${cuda}`);
  const annotations = keyValues(listFlag(flags, "annotation") ?? [], "annotation");
  const overrides: SpecOverrides = {
    ...(cuda !== undefined ? { cuda } : {}),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
  if (overrides.cuda !== undefined) spec.cuda = overrides.cuda;
  if (overrides.annotations) spec.annotations = { ...spec.annotations, ...overrides.annotations };
  return Object.keys(overrides).length > 0 ? overrides : undefined;
}
