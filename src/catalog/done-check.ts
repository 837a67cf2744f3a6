// How the registry records a finished unit: every tag the unit pushes names
// a manifest (or index) whose annotation `dev.cudaseal.catalog.unit-key` is
// the unit's key. The build sets it with --annotation, `catalog join` on the
// index it writes. A unit is done when each of its tags is there with its
// key: one small manifest GET per tag, no blob read. A tag missing, moved
// to another image or holding an older key means the unit runs again.

import { CudasealError } from "../errors.ts";
import { openRepository, parseRegistryRef, type RegistryClientOptions } from "../registry/index.ts";
import { mapPool } from "../util/pool.ts";
import type { PlanUnit } from "./plan-types.ts";

/** The annotation that records the key of the unit that pushed an image. */
export const UNIT_KEY_ANNOTATION = "dev.cudaseal.catalog.unit-key";

/** How many manifests are asked for at once. */
const CHECKS_IN_FLIGHT = 8;

/** The registry client options for a registry host (credentials, --insecure). */
export type RegistryOptionsFor = (registry: string) => Promise<RegistryClientOptions> | RegistryClientOptions;

/** Set `done` on each unit whose tags all hold its key. */
export async function markDone(units: PlanUnit[], optionsFor: RegistryOptionsFor): Promise<void> {
  // One client per registry: its scheme probed and each repository's token fetched once, not per unit.
  const clients: NonNullable<RegistryClientOptions["clients"]> = new Map();
  const clientOptions = async (registry: string) => ({ ...(await optionsFor(registry)), clients });
  await mapPool(units, CHECKS_IN_FLIGHT, async (unit) => {
    try {
      unit.done = await unitDone(unit, clientOptions);
    } catch (err) {
      if (!(err instanceof CudasealError)) throw err;
      // Same code, with the way around it: a plan need not ask the registry.
      throw new CudasealError(err.code, `asking which units are done: ${err.message}`, {
        hint: `${err.hint ? `${err.hint}; ` : ""}plan with --offline to ask no registry (every unit is then to run)`,
        cause: err,
        details: err.details,
      });
    }
  });
}

async function unitDone(unit: PlanUnit, optionsFor: RegistryOptionsFor): Promise<boolean> {
  const ref = parseRegistryRef(unit.repository);
  const repo = openRepository(ref.registry, ref.repository, await optionsFor(ref.registry));
  for (const tag of unit.tags) {
    const stored = await repo.getManifest(tag);
    if (stored === undefined) return false;
    if (annotationsOf(stored.bytes)[UNIT_KEY_ANNOTATION] !== unit.key) return false;
  }
  return true;
}

function annotationsOf(bytes: Uint8Array): Record<string, unknown> {
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString("utf8")) as { annotations?: unknown };
    const annotations = doc?.annotations;
    return typeof annotations === "object" && annotations !== null
      ? (annotations as Record<string, unknown>)
      : {};
  } catch (err) {
    throw new CudasealError("REGISTRY_INVALID_RESPONSE", "a manifest the registry holds is not JSON", {
      cause: err,
    });
  }
}
