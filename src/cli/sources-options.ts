// Turns the repository flags and a spec's `sources` into apt sources.

import { type AptSource, DEFAULT_SUITE, defaultSources } from "../apt/sources.ts";
import { readSystemMirrors } from "../apt/system-sources.ts";
import { defaultCacheDir } from "../cache/dirs.ts";
import type { Spec, SpecSource } from "../spec/types.ts";
import { type FlagValues, listFlag, stringFlag } from "./command.ts";

export function sourcesFrom(flags: FlagValues, spec?: Spec): AptSource[] {
  const extraKeys = listFlag(flags, "keyring") ?? [];
  const components = listFlag(flags, "component");
  const suite = stringFlag(flags, "suite") ?? spec?.suite ?? DEFAULT_SUITE;
  const mirror = stringFlag(flags, "mirror");
  const securityMirror = stringFlag(flags, "security-mirror");
  const allowExpired = flags["allow-expired"] === true;
  const allowRollback = flags["allow-rollback"] === true;
  let sources: AptSource[];
  if (spec?.sources?.length && !mirror) {
    // Built-in names are turned into sources by the NVIDIA repository work; until then only URI entries.
    sources = spec.sources
      .filter((s): s is SpecSource => typeof s !== "string" && "uri" in s)
      .map((s) => ({
        uri: s.uri.replace(/\/+$/, ""),
        suites: s.suites ?? [suite],
        components: s.components ?? ["main"],
        arches: s.archs,
        keyring: s.keyring ?? "debian",
        priority: s.priority ?? 500,
        allowExpired: s.allowExpired,
      }));
  } else {
    sources = defaultSources({
      mirror,
      securityMirror,
      suite,
      components,
      // CUDASEAL_APT_ROOT reads another root's apt setup (a chroot, a build container).
      system: mirror ? { entries: [] } : readSystemMirrors(process.env.CUDASEAL_APT_ROOT ?? "/"),
    });
  }
  // Extra keys are trusted for every source, as apt's trusted.gpg.d would be.
  if (extraKeys.length > 0) {
    sources = sources.map((s) => ({
      ...s,
      keyring: s.keyring === "debian" ? ["debian", ...extraKeys] : [...s.keyring, ...extraKeys],
    }));
  }
  if (allowExpired) sources = sources.map((s) => ({ ...s, allowExpired: true }));
  if (allowRollback) sources = sources.map((s) => ({ ...s, allowRollback: true }));
  return sources;
}

export function cacheDirFrom(flags: FlagValues): string {
  return stringFlag(flags, "cache-dir") ?? defaultCacheDir();
}
