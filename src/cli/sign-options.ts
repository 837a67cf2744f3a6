// Flags the signing commands share: the key, the repository name a
// signature carries, `k=v` annotations, and the registry flags every
// registry command takes (registry-options.ts).

import { CudasealError } from "../errors.ts";
import type { TargetOptions } from "../sign/index.ts";
import { type Flags, type FlagValues, listFlag, stringFlag } from "./command.ts";
import { REGISTRY_FLAGS, REGISTRY_FLAGS_HELP, registryOptionsFrom } from "./registry-options.ts";

export const SIGN_TARGET_FLAGS: Flags = {
  key: { type: "string" },
  reference: { type: "string" },
  ...REGISTRY_FLAGS,
};

export const SIGN_TARGET_HELP = `Images:
  oci:DIR[:TAG]           an OCI layout; signatures are stored in it (offline)
  oci:DIR@sha256:HEX      one manifest of a layout
  HOST/REPO[:TAG|@DIGEST] a registry image; signatures go to the same repository

Options:
  --key FILE              the key (cosign.key to sign, cosign.pub to verify)
  --reference NAME        the repository a signature names (docker-reference);
                          default: the registry repository, or for a layout
                          its image name, else the directory's name`;

/** The help's closing part: the registry options. */
export const SIGN_REGISTRY_HELP = REGISTRY_FLAGS_HELP;

/** Where to find the image and how to name it; reads stdin for --password-stdin. */
export async function targetOptions(flags: FlagValues, ref: string): Promise<TargetOptions> {
  const repository = stringFlag(flags, "reference");
  const registry = ref.startsWith("oci:") ? undefined : await registryOptionsFrom(flags);
  return {
    ...(registry !== undefined ? { registry } : {}),
    ...(repository !== undefined ? { repository } : {}),
  };
}

/** The `--key` file, which every signing command needs. */
export function keyFlag(flags: FlagValues, example: string): string {
  const key = stringFlag(flags, "key");
  if (key === undefined) throw new CudasealError("USAGE", "name the key with --key", { hint: example });
  return key;
}

/** The one image positional. */
export function imagePositional(positionals: string[], example: string): string {
  if (positionals.length !== 1) throw new CudasealError("USAGE", "name one image", { hint: example });
  return positionals[0];
}

/** `--annotations k=v` (repeatable, comma-separated) as a record. */
export function annotationsFlag(flags: FlagValues): Record<string, string> | undefined {
  const list = listFlag(flags, "annotations");
  if (list === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new CudasealError("USAGE", `annotation ${JSON.stringify(item)} is not KEY=VALUE`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}
