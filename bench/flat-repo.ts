// A local flat apt repository made from the cached .debs of a lock, so that
// the peer pipeline (mmdebstrap) gets the same warm cache as cudaseal and no
// network:
//
//   DIR/<name>_<version>_<arch>.deb   hardlinks into the content store
//   DIR/stub/<stub>.deb               an empty package that Provides what
//                                     the lock leaves to the host
//   DIR/Packages                      dpkg-scanpackages . (covers stub/)
//
// The stub exists because a cudaseal lock may list names as provided (awk,
// debconf, openssl: things a runtime image does not need) while apt refuses
// to download a set whose dependencies it cannot satisfy. The stub carries no
// files, so the peer extracts the same packages cudaseal lays out.

import { execFile } from "node:child_process";
import { copyFile, link, mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { parseDependsField } from "../src/apt/relations.ts";
import type { LockedPackage, Relation } from "../src/apt/types.ts";
import { satisfies } from "../src/apt/version-compare.ts";
import { parseDeb822 } from "../src/deb/deb822.ts";

const run = promisify(execFile);

export const STUB_NAME = "cudaseal-bench-provided";

export interface FlatRepo {
  dir: string;
  /** The locked packages' files, in lock order. */
  debs: string[];
  /** The stub's package name, when the lock leaves names to the host. */
  stub?: string;
}

/** Lay out `packages` (found through `storePath`) as a flat repository in `dir`. */
export async function makeFlatRepo(
  dir: string,
  packages: readonly LockedPackage[],
  storePath: (sha256: string) => string,
  provided: readonly string[],
): Promise<FlatRepo> {
  await mkdir(dir, { recursive: true });
  const debs: string[] = [];
  for (const pkg of packages) {
    const target = join(dir, basename(pkg.filename));
    await linkOrCopy(storePath(pkg.sha256), target);
    debs.push(target);
  }
  if (provided.length === 0) {
    await scan(dir);
    return { dir, debs };
  }
  const index = await scan(dir);
  const provides = providesFor(index, provided);
  const root = `${dir}.stub-root`;
  await mkdir(join(root, "DEBIAN"), { recursive: true });
  await writeFile(
    join(root, "DEBIAN", "control"),
    [
      `Package: ${STUB_NAME}`,
      "Version: 1.0",
      "Architecture: all",
      "Maintainer: cudaseal bench <bench@localhost>",
      `Provides: ${provides}`,
      "Description: names a cudaseal lock leaves to the host",
      " Empty: lets apt resolve the locked set without pulling in more packages.",
      "",
    ].join("\n"),
  );
  await mkdir(join(dir, "stub"), { recursive: true });
  await run("dpkg-deb", ["--root-owner-group", "-b", root, join(dir, "stub", `${STUB_NAME}_1.0_all.deb`)]);
  await scan(dir);
  return { dir, debs, stub: STUB_NAME };
}

/**
 * The Provides field for `names`: each at a version that meets every
 * constraint the index's Depends and Pre-Depends put on it, since an
 * unversioned Provides satisfies no versioned dependency.
 */
export function providesFor(packagesIndex: string, names: readonly string[]): string {
  const wanted = new Set(names);
  const constraints = new Map<string, { op: NonNullable<Relation["op"]>; version: string }[]>();
  for (const paragraph of parseDeb822(packagesIndex)) {
    for (const field of ["Depends", "Pre-Depends"]) {
      for (const relation of parseDependsField(paragraph.get(field)).flat()) {
        if (!wanted.has(relation.name) || !relation.op || !relation.version) continue;
        const list = constraints.get(relation.name) ?? [];
        list.push({ op: relation.op, version: relation.version });
        constraints.set(relation.name, list);
      }
    }
  }
  return [...wanted]
    .map((name) => {
      const list = constraints.get(name);
      if (!list) return name;
      const candidates = list.flatMap((c) => [c.version, `${c.version}+bench`]);
      const version = candidates.find((v) => list.every((c) => satisfies(v, c.op, c.version)));
      if (!version) {
        const wants = list.map((c) => `${c.op} ${c.version}`).join(", ");
        throw new Error(`no version of ${name} satisfies every dependency on it (${wants})`);
      }
      return `${name} (= ${version})`;
    })
    .join(", ");
}

async function scan(dir: string): Promise<string> {
  const { stdout } = await run("dpkg-scanpackages", ["."], { cwd: dir, maxBuffer: 64 << 20 });
  await writeFile(join(dir, "Packages"), stdout);
  return stdout;
}

async function linkOrCopy(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return;
    if (code !== "EXDEV" && code !== "EPERM") throw err;
    await copyFile(source, target);
  }
}
