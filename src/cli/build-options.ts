// The flags of `cudaseal build` that need more than a lookup: the
// architectures (a docker-archive holds one), the compression, the source
// date, where to push, and the cache registry's repositories. Each is
// checked here, before the build spends minutes, and a bad one is a USAGE
// error.

import type { PushRequest } from "../build/after-build.ts";
import type { BuildOptions } from "../build/build.ts";
import type { OutputTarget } from "../build/output.ts";
import { CudasealError } from "../errors.ts";
import { type Compression, DEFAULT_COMPRESSION } from "../layer/blob-writer.ts";
import { parseRegistryRef, type RegistryRef } from "../registry/index.ts";
import { hostArch } from "../source/host-arch.ts";
import { parseImageRef } from "../source/image-ref.ts";
import { type FlagValues, listFlag, stringFlag } from "./command.ts";
import type { Output } from "./output.ts";
import { registryOptionsFrom } from "./registry-options.ts";

/** The architectures a build can make: Debian's packages for them are what the presets hold. */
const BUILDABLE = ["amd64", "arm64"] as const;

/**
 * --arch, else the lock's (a lock holds the architectures it was made for),
 * else the spec's, else both; one for a docker-archive: the host's unless
 * --arch names one.
 */
export function archsFrom(
  flags: FlagValues,
  specArchs: string[] | undefined,
  output: OutputTarget,
  out: Output,
  lockArchs?: string[],
  host: string = hostArch(),
): string[] {
  const asked = listFlag(flags, "arch");
  let archs = asked ?? lockArchs ?? specArchs ?? [...BUILDABLE];
  // A lock may hold no architecture (its schema allows it); an image of no platform is no image.
  if (archs.length === 0)
    throw new CudasealError("USAGE", "the lock holds no architecture to build", {
      hint: "regenerate the lock with `cudaseal lock --arch ARCH`, or pass --arch",
    });
  if (output.format === "docker-archive" && archs.length > 1) {
    // `docker save` archives hold one platform.
    if (asked)
      throw new CudasealError("USAGE", "a docker-archive holds one architecture", {
        hint: "pass one --arch, or write oci:DIR for a multi-arch image",
      });
    if (!archs.includes(host))
      throw new CudasealError(
        "USAGE",
        `a docker-archive holds one architecture, and this host's (${host}) is not one this build can make`,
        { hint: `choose one with --arch (${archs.join(" or ")})`, details: { host, archs } },
      );
    archs = [host];
    out.note(`docker-archive holds one platform: building the host's, ${host} (use --arch to choose)`);
  } else if (asked === undefined && lockArchs !== undefined) {
    out.note(`building the lock's architectures: ${archs.join(", ")} (use --arch to choose)`);
  }
  for (const a of archs) {
    if (!(BUILDABLE as readonly string[]).includes(a))
      throw new CudasealError("USAGE", `unsupported architecture ${a}`, {
        hint: `use ${BUILDABLE.join(" or ")}`,
      });
  }
  return archs;
}

/** --push REF with push's registry flags; only a registry reference. */
export async function pushFrom(flags: FlagValues): Promise<PushRequest | undefined> {
  const text = stringFlag(flags, "push");
  if (text === undefined) return undefined;
  const to = parseImageRef(text);
  if (to.transport !== "docker")
    throw new CudasealError("USAGE", `--push takes a registry reference, not ${text}`, {
      hint: "--push registry.example/team/app:1.0",
    });
  return { to, registry: await registryOptionsFrom(flags, to.registry) };
}

/** --compression and --level, else the spec's, else the default. */
export function compressionFrom(
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

/** --source-date-epoch, else $SOURCE_DATE_EPOCH: whole seconds. */
export function epochFrom(flags: FlagValues): number | undefined {
  const text = stringFlag(flags, "source-date-epoch") ?? process.env.SOURCE_DATE_EPOCH;
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new CudasealError("USAGE", `SOURCE_DATE_EPOCH must be whole seconds: ${text}`);
  return n;
}

/**
 * --cache-from (repeatable), --cache-to and --cache-strict: repositories,
 * not images (`registry.example/team/cache`). They are reached with
 * --insecure and the credentials found for their registry; with --push to
 * the same registry, with push's credentials too.
 */
export function registryCacheFrom(
  flags: FlagValues,
  push: PushRequest | undefined,
): BuildOptions["registryCache"] {
  const from = (listFlag(flags, "cache-from") ?? []).map((t) => cacheRepository(t, "--cache-from"));
  const toText = stringFlag(flags, "cache-to");
  const to = toText === undefined ? undefined : cacheRepository(toText, "--cache-to");
  if (from.length === 0 && flags["cache-strict"] === true)
    throw new CudasealError(
      "USAGE",
      "--cache-strict needs --cache-from: it decides what a poisoned entry read does",
      {
        hint: "--cache-from registry.example/team/cache --cache-strict",
      },
    );
  if (from.length === 0 && to === undefined) return undefined;
  return {
    from,
    to,
    registry: push?.registry ?? { insecure: listFlag(flags, "insecure") ?? [] },
    strict: flags["cache-strict"] === true,
  };
}

function cacheRepository(text: string, flag: string): RegistryRef {
  const ref = parseRegistryRef(text);
  if (ref.tag !== undefined || ref.digest !== undefined)
    throw new CudasealError("USAGE", `${flag} takes a repository, not an image: ${text}`, {
      hint: `${flag} ${ref.registry}/${ref.repository} (entries are tagged by their layer-cache key)`,
    });
  return { registry: ref.registry, repository: ref.repository };
}
