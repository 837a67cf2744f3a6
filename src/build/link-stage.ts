// The build's link check, after the layers: over each platform's final
// image tree, with the ld.so.cache the system layer wrote, every ELF file's
// DT_NEEDED and PT_INTERP and every executable script's `#!` must resolve
// inside the image (the NVIDIA driver's libraries, injected by the host,
// count as present). A problem the spec's allow.unresolved does not waive
// fails the build before anything is written, naming a package that would
// provide what is missing when the build read the package indexes.

import type { AvailablePackages } from "../apt/available.ts";
import { compileGlobs } from "../layer/glob.ts";
import {
  checkLinks,
  type ImageTree,
  isHostLibrary,
  type LinkProblem,
  linkError,
  type ProviderOf,
  sonameConflictError,
} from "../link/index.ts";
import { sonameProvider } from "../resolve/index.ts";
import type { Spec } from "../spec/types.ts";
import type { PlatformResult } from "./platform-build.ts";

/** What the check found for one platform, for the build's summary. */
export interface LinkReport {
  arch: string;
  /** ELF objects and executable scripts checked. */
  filesChecked: number;
  /** DT_NEEDED entries found in the image (or among the host's driver libraries). */
  librariesResolved: number;
  /** Entries of the /etc/ld.so.cache written (0 without glibc, which has none). */
  cacheEntries: number;
  /** Problems allow.unresolved waived. */
  waived: LinkProblem[];
  /** ELF files not checked: never loaded, for another machine, debug files. */
  skipped: number;
}

/** Check one platform's image; throws LINK_UNRESOLVED or LINK_SONAME_CONFLICT. */
export function checkPlatformLinks(
  platform: PlatformResult,
  spec: Spec,
  available?: AvailablePackages,
): LinkReport {
  const waive = spec.allow?.unresolved ?? [];
  const result = checkLinks(platform.tree, {
    waive,
    // Without glibc the image has no cache: the loader, if any, searches its default directories only.
    cache: platform.ldCache ?? [],
    libraryPath: libraryPath(platform.image.config.config?.Env),
    path: searchPath(platform.image.config.config?.Env),
  });
  if (result.problems.length > 0) throw linkError(result.problems, providerOf(available));
  const waived = compileGlobs(waive);
  const conflicts = result.conflicts.filter((c) => !waived(c.soname));
  if (conflicts.length > 0) throw sonameConflictError(conflicts);
  // trim: elf's own list of sonames it found nowhere agrees with the check: what is left is the host's or waived.
  const waivedNames = new Set(result.waived.map((p) => p.missing));
  platform.unresolvedLibraries = platform.unresolvedLibraries?.filter(
    (soname) => isHostLibrary(soname) || waivedNames.has(soname),
  );
  const counted = countChecked(platform.tree, new Set(result.skipped.map((s) => s.path)));
  const missedNeeds = result.waived.filter((p) => p.kind === "needed").length;
  return {
    arch: platform.arch,
    filesChecked: counted.files,
    librariesResolved: counted.needed - missedNeeds,
    cacheEntries: platform.ldCache?.length ?? 0,
    waived: result.waived,
    skipped: result.skipped.length,
  };
}

/** The image's LD_LIBRARY_PATH, split as the loader splits it. */
function libraryPath(env: readonly string[] | undefined): string[] {
  const value = env?.find((e) => e.startsWith("LD_LIBRARY_PATH="))?.slice("LD_LIBRARY_PATH=".length);
  return value ? value.split(/[:;]/).filter(Boolean) : [];
}

/** The image's PATH, where `#!/usr/bin/env NAME` looks for NAME; undefined leaves the check's default. */
function searchPath(env: readonly string[] | undefined): string[] | undefined {
  const value = env?.findLast((e) => e.startsWith("PATH="))?.slice("PATH=".length);
  return value === undefined ? undefined : value.split(":").filter((d) => d.startsWith("/"));
}

/** The files the check looked at, and the DT_NEEDED entries among them. */
function countChecked(tree: ImageTree, skipped: ReadonlySet<string>): { files: number; needed: number } {
  let files = 0;
  let needed = 0;
  for (const [path, node] of tree.nodes) {
    if (node.type !== "file" || skipped.has(path)) continue;
    if (node.elf) {
      files++;
      needed += node.elf.needed.length;
    } else if (node.shebang && (node.mode & 0o111) !== 0) files++;
  }
  return { files, needed };
}

/**
 * The package hint: for a library, resolve/soname-provider.ts's guess from
 * Debian's naming; for an interpreter, the package named as its program
 * (`/bin/sh` is dash's).
 */
function providerOf(available: AvailablePackages | undefined): ProviderOf | undefined {
  if (!available) return undefined;
  const library = sonameProvider(available);
  return (problem) => {
    if (problem.kind === "needed") return library(problem.missing);
    const program = problem.missing.slice(problem.missing.lastIndexOf("/") + 1);
    const name = program === "sh" ? "dash" : program;
    return available.hasName(name) ? name : undefined;
  };
}
