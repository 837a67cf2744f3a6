// Where a worker stands when it runs a unit's arguments: the directory of
// the catalog file, because a plan's arguments name specs relative to it.
// In a checkout (GitHub Actions, Argo's git artifact) that is the catalog's
// folder inside the repository, taken from the path the plan was made from,
// which must therefore be relative to the repository's root.

import { posix } from "node:path";
import type { CatalogPlan } from "../catalog/index.ts";
import { CudasealError } from "../errors.ts";

/** The catalog's folder relative to the repository root: `` for the root itself, else `a/b`. */
export function catalogFolderInRepo(plan: CatalogPlan): string {
  const file = plan.catalog.replaceAll("\\", "/");
  const folder = posix.normalize(posix.dirname(file));
  if (
    posix.isAbsolute(file) ||
    folder === ".." ||
    folder.startsWith("../") ||
    /[^A-Za-z0-9._/-]/.test(folder)
  ) {
    throw new CudasealError(
      "USAGE",
      `the plan's catalog ${JSON.stringify(plan.catalog)} is not a path inside the repository`,
      {
        hint: "run catalog plan or emit from the repository's root, naming the catalog by its relative path",
      },
    );
  }
  return folder === "." ? "" : folder;
}

/** `root` joined with the catalog's folder. */
export function inCheckout(root: string, plan: CatalogPlan): string {
  const folder = catalogFolderInRepo(plan);
  return folder ? `${root}/${folder}` : root;
}
