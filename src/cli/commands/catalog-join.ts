// `cudaseal catalog join`: the index unit's command, one multi-arch index
// over the architectures' images, pushed under each tag.

import { joinIndex } from "../../catalog/index.ts";
import { CudasealError } from "../../errors.ts";
import { parseRegistryRef } from "../../registry/index.ts";
import { keyValues, listFlag } from "../command.ts";
import { REGISTRY_FLAGS, registryOptionsFrom } from "../registry-options.ts";
import type { Subcommand } from "./catalog.ts";

export const catalogJoin: Subcommand = {
  name: "join",
  help: `cudaseal catalog join IMAGE… --to REF [--to REF…] [--annotation KEY=VALUE…]
  Pushes one OCI index listing the single-platform IMAGEs (each
  REGISTRY/REPO:TAG, all in the repository the index goes to), each under
  its platform as its config names it, as every --to tag. Only the index is
  written: the images and their blobs are there already. An index unit runs
  it with the unit's key as an annotation.
  --to REF                a tag to push the index as, repeatable
  --annotation KEY=VALUE  an annotation on the index, repeatable`,
  flags: {
    to: { type: "string", multiple: true },
    annotation: { type: "string", multiple: true },
    ...REGISTRY_FLAGS,
  },
  async run(positionals, flags, out) {
    const targets = listFlag(flags, "to") ?? [];
    if (positionals.length === 0 || targets.length === 0)
      throw new CudasealError("USAGE", "join takes the images to join and at least one --to", {
        hint: "cudaseal catalog join reg.example/app:1-amd64 reg.example/app:1-arm64 --to reg.example/app:1",
      });
    // Not listFlag: a value may hold commas.
    const annotations = keyValues((flags.annotation as string[] | undefined) ?? [], "annotation");
    const registry = await registryOptionsFrom(flags, parseRegistryRef(targets[0]).registry);
    const result = await joinIndex({ sources: positionals, targets, annotations, registry });
    if (out.json) out.jsonData({ digest: result.digest, platforms: result.platforms, tags: targets });
    else out.data(`${result.digest} (${result.platforms.join(", ")}) as ${targets.join(", ")}`);
    return 0;
  },
};
