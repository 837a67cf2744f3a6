// Turns the repository flags and a spec's `sources` into apt sources.
//
// URI entries alone replace the default Debian sources; the built-in names
// add to them (`debian` names the defaults explicitly, `nvidia-cuda` adds
// NVIDIA's repository, src/apt/nvidia-source.ts). --mirror replaces the
// spec's URI entries with the default sources from that mirror.

import { nvidiaSources } from "../apt/nvidia-source.ts";
import { type AptSource, DEFAULT_SUITE, defaultSources } from "../apt/sources.ts";
import { readSystemMirrors, type SystemMirrors } from "../apt/system-sources.ts";
import { defaultCacheDir } from "../cache/dirs.ts";
import type { Spec, SpecBuiltinSource, SpecSource } from "../spec/types.ts";
import { type FlagValues, listFlag, stringFlag } from "./command.ts";

export function sourcesFrom(flags: FlagValues, spec?: Spec): AptSource[] {
  const extraKeys = listFlag(flags, "keyring") ?? [];
  const mirror = stringFlag(flags, "mirror");
  const allowExpired = flags["allow-expired"] === true;
  const allowRollback = flags["allow-rollback"] === true;
  const suite = stringFlag(flags, "suite") ?? spec?.suite ?? DEFAULT_SUITE;
  const items = spec?.sources ?? [];
  const uriEntries = items.filter((s): s is SpecSource => typeof s !== "string" && "uri" in s);
  const builtins = mergeBuiltins(
    items
      .filter((s): s is SpecBuiltinSource | "debian" | "nvidia-cuda" => typeof s === "string" || "name" in s)
      .map((s): SpecBuiltinSource => (typeof s === "string" ? { name: s } : s)),
  );
  // CUDASEAL_APT_ROOT reads another root's apt setup (a chroot, a build container).
  let system: SystemMirrors | undefined;
  const systemMirrors = () => (system ??= readSystemMirrors(process.env.CUDASEAL_APT_ROOT ?? "/"));

  let sources: AptSource[] = [];
  if (uriEntries.length > 0 && !mirror) {
    sources = uriEntries.map((s) => ({
      uri: s.uri.replace(/\/+$/, ""),
      suites: s.suites ?? [suite],
      components: s.components ?? ["main"],
      arches: s.archs,
      keyring: keyringOf(s.keyring) ?? "debian",
      priority: s.priority ?? 500,
      pins: s.pins,
      allowExpired: s.allowExpired,
    }));
  }
  const debian = builtins.find((b) => b.name === "debian");
  if (sources.length === 0 || debian || mirror) {
    // --mirror, else the `debian` entry's url:, else the machine's apt setup.
    const debianMirror = mirror ?? debian?.url;
    const defaults = defaultSources({
      mirror: debianMirror,
      securityMirror: stringFlag(flags, "security-mirror"),
      suite,
      components: listFlag(flags, "component"),
      system: debianMirror ? { entries: [] } : systemMirrors(),
    });
    sources.push(
      ...defaults.map((s) => ({
        ...s,
        keyring: keyringOf(debian?.keyring) ?? s.keyring,
        priority: debian?.priority ?? s.priority,
        pins: debian?.pins,
        allowExpired: debian?.allowExpired,
      })),
    );
  }
  const nvidiaMirror = stringFlag(flags, "nvidia-mirror");
  const archs = listFlag(flags, "arch") ?? spec?.archs;
  for (const entry of builtins.filter((b) => b.name === "nvidia-cuda")) {
    sources.push(
      ...nvidiaSources({
        distribution: entry.distribution,
        url: entry.url,
        mirror: nvidiaMirror,
        system: entry.url || nvidiaMirror ? [] : systemMirrors().entries,
        arches: archs,
        keyring: keyringOf(entry.keyring),
        priority: entry.priority,
        pins: entry.pins,
        allowExpired: entry.allowExpired,
      }),
    );
  }
  // Extra keys are trusted for every source, as apt's trusted.gpg.d would be.
  if (extraKeys.length > 0) {
    sources = sources.map((s) => ({
      ...s,
      keyring: s.keyring === "debian" ? ["debian", ...extraKeys] : [...s.keyring, ...extraKeys],
    }));
  }
  if (allowExpired) sources = sources.map((s) => ({ ...s, allowExpired: true }));
  if (flags.offline === true) sources = sources.map((s) => ({ ...s, offline: true }));
  if (allowRollback) sources = sources.map((s) => ({ ...s, allowRollback: true }));
  return sources.map(dropUndefined);
}

/**
 * One entry per built-in name: a preset's bare `nvidia-cuda` and the
 * including spec's `{name: nvidia-cuda, url: …}` are the same repository,
 * the later entry's fields winning, as the spec's own scalars win over an
 * include's.
 */
function mergeBuiltins(entries: SpecBuiltinSource[]): SpecBuiltinSource[] {
  const byName = new Map<string, SpecBuiltinSource>();
  for (const entry of entries) {
    byName.set(entry.name, { ...byName.get(entry.name), ...dropUndefined(entry) });
  }
  return [...byName.values()];
}

/** A spec's keyring as a source's: the shipped NVIDIA keys are named in a list, as key files are. */
function keyringOf(keyring: SpecSource["keyring"]): AptSource["keyring"] | undefined {
  return keyring === "nvidia" ? ["nvidia"] : keyring;
}

/** Sources compare and print without the options nobody set. */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function cacheDirFrom(flags: FlagValues): string {
  return stringFlag(flags, "cache-dir") ?? defaultCacheDir();
}
