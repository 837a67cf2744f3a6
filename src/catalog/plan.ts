// `catalog plan`: the catalog as a DAG of units. Per image: its spec read
// once (inputs hashed), then per variant one build unit per architecture
// and one index unit joining them. A spec that copies from another image of
// the catalog (contents: image:) needs the unit that pushes that tag. Keys
// are made in dependency order, each over its own inputs and its needs'
// keys, so a change anywhere rebuilds everything downstream. Pure but for
// reading the files and, unless asked not to, the registry's done-check.

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { CudasealError } from "../errors.ts";
import { canonicalJson } from "../oci/canonical-json.ts";
import { parseRegistryRef } from "../registry/index.ts";
import { parseImageRef } from "../source/image-ref.ts";
import { loadSpec, presetPath } from "../spec/load.ts";
import type { LoadedSpec } from "../spec/types.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import { cudasealVersion } from "../util/version.ts";
import { markDone, type RegistryOptionsFor } from "./done-check.ts";
import { levels, topologicalOrder } from "./graph.ts";
import { imageInputDigest } from "./input-digest.ts";
import type { CatalogPlan, PlanUnit } from "./plan-types.ts";
import type { Catalog, CatalogImage } from "./types.ts";
import { buildUnitArgs, indexUnitArgs } from "./unit-args.ts";
import { fillTemplate, tagsOf, unitId, variantsOf } from "./variants.ts";

export interface PlanOptions {
  /** Ask the registry which units are done (default true); false leaves every unit not done. */
  registryCheck?: boolean;
  /** Client options per registry host, for the done-check. */
  registryOptions?: RegistryOptionsFor;
}

/** What the plan knows of one catalog image once its spec is read. */
interface ReadImage {
  image: CatalogImage;
  /** `specs/app.yaml` as the catalog writes it, or `preset:NAME`. */
  specRef: string;
  loaded: LoadedSpec;
  archs: string[];
  inputs: string;
  /** REGISTRY/REPO, as the registry reference parser writes it. */
  repository: string;
}

/** A unit being planned, with what its key and command need. */
interface Draft {
  unit: PlanUnit;
  from: ReadImage;
  lock?: { path: string; sha256: string };
}

const BUILDABLE = ["amd64", "arm64"];
const MAX_LOCK_BYTES = 64 * 1024 * 1024;
const KEY_FORMAT = "cudaseal-catalog-unit/1";

/** Turn a loaded catalog into its plan. */
export async function planCatalog(catalog: Catalog, options: PlanOptions = {}): Promise<CatalogPlan> {
  const images: ReadImage[] = [];
  for (const image of catalog.images) images.push(await readImage(catalog, image));
  const drafts: Draft[] = [];
  for (const read of images) drafts.push(...(await draftUnits(catalog, read)));
  checkIdsUnique(drafts);
  const byTag = tagOwners(drafts);
  linkContentImages(drafts, byTag);
  const order = topologicalOrder(drafts.map((d) => d.unit));
  const level = levels(
    drafts.map((d) => d.unit),
    order,
  );
  const byId = new Map(drafts.map((d) => [d.unit.id, d]));
  for (const id of order) finish(byId.get(id)!, byId, level.get(id) ?? 0, catalog);
  const units = drafts
    .map((d) => d.unit)
    .sort((a, b) => a.level - b.level || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (options.registryCheck !== false) await markDone(units, options.registryOptions ?? (() => ({})));
  return { planVersion: 1, cudaseal: cudasealVersion(), catalog: catalog.path, units };
}

async function readImage(catalog: Catalog, image: CatalogImage): Promise<ReadImage> {
  let specRef: string;
  let path: string;
  if (image.spec !== undefined) {
    specRef = image.spec;
    path = isAbsolute(image.spec) ? image.spec : resolve(catalog.dir, image.spec);
    if (!existsSync(path))
      throw new CudasealError("CATALOG_SPEC_MISSING", `image ${image.name}: spec ${image.spec} is missing`, {
        hint: "spec paths are relative to the catalog file",
        details: { image: image.name, spec: image.spec },
      });
  } else {
    specRef = `preset:${image.preset}`;
    path = specRef;
    if (!existsSync(presetPath(image.preset ?? "")))
      throw new CudasealError(
        "CATALOG_PRESET_UNKNOWN",
        `image ${image.name}: there is no preset ${image.preset}`,
        {
          hint: "'cudaseal presets' lists the built-in specs",
          details: { image: image.name, preset: image.preset },
        },
      );
  }
  const loaded = loadCatalogSpec(path, image.name);
  const archs = image.archs ?? loaded.spec.archs ?? BUILDABLE;
  const odd = archs.find((a) => !BUILDABLE.includes(a));
  if (odd !== undefined)
    throw new CudasealError("CATALOG_INVALID", `image ${image.name}: cannot build architecture ${odd}`, {
      hint: `give archs: from ${BUILDABLE.join(", ")}`,
      details: { image: image.name, arch: odd },
    });
  return {
    image,
    specRef,
    loaded,
    archs,
    inputs: await imageInputDigest(loaded, image.name, catalog.dir),
    repository: repositoryOf(image),
  };
}

/** The spec, with a file it includes that is missing said as CATALOG_SPEC_MISSING, like the spec itself. */
function loadCatalogSpec(path: string, image: string): LoadedSpec {
  try {
    return loadSpec(path);
  } catch (err) {
    if (!(err instanceof CudasealError) || (err.cause as NodeJS.ErrnoException)?.code !== "ENOENT") throw err;
    throw new CudasealError("CATALOG_SPEC_MISSING", `image ${image}: ${err.message}`, {
      hint: "a spec's include: is relative to the spec file",
      cause: err,
      details: { image },
    });
  }
}

function repositoryOf(image: CatalogImage): string {
  let ref: ReturnType<typeof parseRegistryRef>;
  try {
    ref = parseRegistryRef(image.repository);
  } catch (err) {
    throw new CudasealError(
      "CATALOG_INVALID",
      `image ${image.name}: ${image.repository} is not a repository`,
      {
        hint: "write REGISTRY/REPO, e.g. registry.example/team/cuda-runtime",
        cause: err,
        details: { image: image.name, repository: image.repository },
      },
    );
  }
  if (ref.tag !== undefined || ref.digest !== undefined)
    throw new CudasealError(
      "CATALOG_INVALID",
      `image ${image.name}: repository ${image.repository} names a tag`,
      {
        hint: "tags go in tags:, the repository has none",
        details: { image: image.name, repository: image.repository },
      },
    );
  return `${ref.registry}/${ref.repository}`;
}

/** The build units of each variant and architecture, and the index unit over each variant's builds. */
async function draftUnits(catalog: Catalog, from: ReadImage): Promise<Draft[]> {
  const { image } = from;
  const drafts: Draft[] = [];
  for (const variant of variantsOf(image)) {
    const tags = tagsOf(image, variant);
    const lock = image.lock === undefined ? undefined : await readLock(catalog, image, variant);
    const base = {
      entry: image.name,
      spec: from.specRef,
      variant,
      key: "",
      level: 0,
      repository: from.repository,
      args: [],
      done: false,
    };
    const builds = from.archs.map((arch) => ({
      unit: {
        ...base,
        id: unitId(image.name, variant, arch),
        kind: "build" as const,
        arch,
        needs: [],
        tags: [`${tags[0]}-${arch}`],
      },
      from,
      lock,
    }));
    const index = {
      ...base,
      id: unitId(image.name, variant),
      kind: "index" as const,
      arches: [...from.archs],
      needs: builds.map((b) => b.unit.id),
      tags,
    };
    drafts.push(...builds, { unit: index, from });
  }
  return drafts;
}

async function readLock(
  catalog: Catalog,
  image: CatalogImage,
  variant: Record<string, string>,
): Promise<Draft["lock"]> {
  const path = fillTemplate(image.lock ?? "", variant, `image ${image.name}: lock`);
  try {
    const bytes = await readRegularFile(resolve(catalog.dir, path), { what: "lock", max: MAX_LOCK_BYTES });
    return { path, sha256: createHash("sha256").update(bytes).digest("hex") };
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a folder on the way is a file, so the lock is not there either.
    if (code === "ENOENT" || code === "ENOTDIR")
      throw new CudasealError("CATALOG_SPEC_MISSING", `image ${image.name}: lock ${path} is missing`, {
        hint: "make it with 'cudaseal lock', or drop lock: from the image",
        details: { image: image.name, lock: path },
      });
    throw new CudasealError("CATALOG_INVALID", `image ${image.name}: cannot read lock ${path}`, {
      cause: err,
      details: { image: image.name, lock: path },
    });
  }
}

/** Ids are made from names and values, so `base` at cuda 12.4 and an image called `base-cuda12-4` would meet. */
function checkIdsUnique(drafts: readonly Draft[]): void {
  const seen = new Map<string, string>();
  for (const { unit } of drafts) {
    const other = seen.get(unit.id);
    if (other !== undefined)
      throw new CudasealError(
        "CATALOG_INVALID",
        `images ${other} and ${unit.entry} both make a unit called ${unit.id}`,
        {
          hint: "rename one of the images, or use variant values that differ in more than punctuation",
          details: { id: unit.id, images: [other, unit.entry] },
        },
      );
    seen.set(unit.id, unit.entry);
  }
}

/** REGISTRY/REPO:TAG → the unit that pushes it; two units pushing one tag is CATALOG_INVALID. */
function tagOwners(drafts: readonly Draft[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const { unit } of drafts) {
    for (const tag of unit.tags) {
      const ref = `${unit.repository}:${tag}`;
      const other = owners.get(ref);
      if (other !== undefined)
        throw new CudasealError("CATALOG_INVALID", `units ${other} and ${unit.id} both push ${ref}`, {
          hint: "put each variant in the tags ({cuda}), or give the images different tags or repositories",
          details: { ref, units: [other, unit.id] },
        });
      owners.set(ref, unit.id);
    }
  }
  return owners;
}

/** Each build unit needs the unit that pushes an image its spec copies from. */
function linkContentImages(drafts: readonly Draft[], owners: ReadonlyMap<string, string>): void {
  for (const { unit, from } of drafts) {
    if (unit.kind !== "build") continue;
    for (const c of from.loaded.spec.contents ?? []) {
      if (c.image === undefined) continue;
      // Only a registry tag can be another unit's output; a layout or archive is a file of the catalog's.
      const ref = parseImageRef(c.image);
      if (ref.transport !== "docker" || ref.digest !== undefined) continue;
      const owner = owners.get(`${ref.registry}/${ref.repository}:${ref.tag ?? "latest"}`);
      if (owner !== undefined && !unit.needs.includes(owner)) unit.needs.push(owner);
    }
    unit.needs.sort();
  }
}

/** The unit's level, key and command; its needs are finished before it. */
function finish(draft: Draft, byId: ReadonlyMap<string, Draft>, level: number, catalog: Catalog): void {
  const { unit, from } = draft;
  unit.level = level;
  unit.key = createHash("sha256")
    .update(
      canonicalJson({
        format: KEY_FORMAT,
        cudaseal: cudasealVersion(),
        kind: unit.kind,
        spec: unit.spec,
        inputs: from.inputs,
        variant: unit.variant,
        arch: unit.arch,
        arches: unit.arches,
        lock: draft.lock?.sha256,
        needs: unit.needs.map((id) => byId.get(id)?.unit.key ?? "").sort(),
      }),
    )
    .digest("hex");
  const cache = from.image.cache ?? catalog.cache;
  unit.args =
    unit.kind === "build"
      ? buildUnitArgs({
          image: from.image,
          id: unit.id,
          variant: unit.variant,
          arch: unit.arch ?? "",
          lock: draft.lock?.path,
          push: `${unit.repository}:${unit.tags[0]}`,
          key: unit.key,
          cache,
        })
      : indexUnitArgs(
          unit.needs.map((id) => `${unit.repository}:${byId.get(id)?.unit.tags[0]}`),
          unit.tags.map((t) => `${unit.repository}:${t}`),
          unit.key,
        );
}
