// What the signing commands (sign, verify, attest, verify-attestation)
// share: the key (for sign and attest, the signer: a key or keyless
// BundleSigner, or a key for cosign 2's tags), the repository name a
// signature carries, `k=v` annotations, the registry flags every registry
// command takes (registry-options.ts), the layout of their help, and
// opening the image.

import { CudasealError } from "../errors.ts";
import {
  type BundleSigner,
  type ImageTarget,
  keySigner,
  openImageTarget,
  readPrivateKey,
  type Signer,
  type TargetOptions,
} from "../sign/index.ts";
import { parseImageRef } from "../source/image-ref.ts";
import { type Flags, type FlagValues, keyValues, listFlag, stringFlag } from "./command.ts";
import { bundleSignerFrom, keylessImage } from "./keyless-sign-options.ts";
import { keyPassword } from "./password.ts";
import { REGISTRY_FLAGS, REGISTRY_FLAGS_HELP, registryOptionsFrom } from "./registry-options.ts";

export const SIGN_TARGET_FLAGS: Flags = {
  key: { type: "string" },
  reference: { type: "string" },
  ...REGISTRY_FLAGS,
};

const SIGN_TARGET_HELP = `Images:
  oci:DIR[:TAG]           an OCI layout; signatures are stored in it (offline)
  oci:DIR@sha256:HEX      one manifest of a layout
  HOST/REPO[:TAG|@DIGEST] a registry image; signatures go to the same repository

Options:
  --key FILE              the key (cosign.key to sign, cosign.pub to verify)
  --reference NAME        the repository a signature names (docker-reference);
                          default: the registry repository, or for a layout
                          its image name, else the directory's name (sign a
                          layout with the name it will be pushed to); verify
                          requires a signature to name it only when given`;

/** How `sign` and `attest` store what they make: a Sigstore bundle referrer, or cosign 2's tag. */
export const BUNDLE_FORMAT_FLAGS: Flags = {
  bundle: { type: "boolean" },
  "new-bundle-format": { type: "string" },
};

export const BUNDLE_FORMAT_HELP = `  --bundle                store a Sigstore bundle (v0.3) as an OCI 1.1 referrer of
                          the image, as cosign 3 does (the default)
  --new-bundle-format=false
                          store it under cosign 2's sha256-<hex>.sig/.att tag
                          instead (cosign 3's flag; cosign 2.x and tools that read
                          only those tags need it)`;

/** True for a bundle referrer (`--bundle`, the default), false for cosign 2's tags (`--new-bundle-format=false`). */
function bundleFormatFlag(flags: FlagValues): boolean {
  const value = stringFlag(flags, "new-bundle-format");
  if (value !== undefined && value !== "true" && value !== "false")
    throw new CudasealError(
      "USAGE",
      `--new-bundle-format takes true or false, not ${JSON.stringify(value)}`,
      {
        // cosign's flag is a boolean, so `--new-bundle-format IMAGE` is what a cosign user types.
        hint: "write it with '=': --new-bundle-format=false for cosign 2's tags (bundles are the default)",
      },
    );
  if (flags.bundle === true && value === "false")
    throw new CudasealError("USAGE", "--bundle and --new-bundle-format=false ask for two formats: pick one");
  return value !== "false";
}

/** What one signing command's help says of itself; the rest is the same for all. */
export interface SignHelp {
  /** The usage line, after `Usage: `. */
  usage: string;
  description: string;
  /** The command's own options, one per line, each indented two spaces. */
  options: string;
  /** Example command lines, unindented. */
  examples: readonly string[];
}

/** A signing command's help: its own parts, between the image and registry options all of them take. */
export function signHelp(help: SignHelp): string {
  return `Usage: ${help.usage}

${help.description}

${SIGN_TARGET_HELP}
${help.options}

Examples:
${help.examples.map((e) => `  ${e}`).join("\n")}

${REGISTRY_FLAGS_HELP}`;
}

// Where to find the image and how to name it; reads stdin for --password-stdin.
async function targetOptions(flags: FlagValues, ref: string): Promise<TargetOptions> {
  const repository = stringFlag(flags, "reference");
  const parsed = parseImageRef(ref);
  const registry =
    parsed.transport === "oci"
      ? undefined
      : await registryOptionsFrom(flags, parsed.transport === "docker" ? parsed.registry : undefined);
  return {
    ...(registry !== undefined ? { registry } : {}),
    ...(repository !== undefined ? { repository } : {}),
  };
}

/** The one image positional and the `--key` file every signing command needs, checked before any work. */
function imageAndKey(
  positionals: string[],
  flags: FlagValues,
  example: string,
): { ref: string; keyPath: string } {
  if (positionals.length !== 1) throw new CudasealError("USAGE", "name one image", { hint: example });
  const keyPath = stringFlag(flags, "key");
  if (keyPath === undefined) throw new CudasealError("USAGE", "name the key with --key", { hint: example });
  return { ref: positionals[0], keyPath };
}

/** What `sign` and `attest` are asked to do, checked before any work. */
export interface SignRequest {
  ref: string;
  /** A Sigstore bundle referrer (the default), or cosign 2's tag. */
  bundle: boolean;
  /** The --key file; undefined when signing keylessly. */
  keyPath?: string;
}

/** The one image `sign` or `attest` names, the format and the key (or --keyless). */
export function signRequest(positionals: string[], flags: FlagValues, example: string): SignRequest {
  const bundle = bundleFormatFlag(flags);
  const keylessRef = keylessImage(positionals, flags, bundle, example);
  if (keylessRef !== undefined) return { ref: keylessRef, bundle };
  return { ...imageAndKey(positionals, flags, example), bundle };
}

/** What signs: a BundleSigner (key or keyless) for a bundle referrer, or the key's Signer for cosign 2's tag. */
export type ImageSigner = { bundleSigner: BundleSigner } | { tagSigner: Signer };

/**
 * The signer for `request`, made once the image is open, so that a password
 * prompt or a Fulcio exchange never comes before a mistake in the image's
 * name. `note` hears who a keyless signature will name.
 */
export async function imageSigner(
  flags: FlagValues,
  request: SignRequest,
  example: string,
  note: (line: string) => void,
): Promise<ImageSigner> {
  if (request.bundle) {
    const { signer, identity } = await bundleSignerFrom(flags, example);
    if (identity) note(`signing as ${identity.subject} (issuer ${identity.issuer})`);
    return { bundleSigner: signer };
  }
  // Not keyless (keylessImage refuses --keyless with cosign 2's tags), so a key was named.
  const keyPath = request.keyPath ?? "";
  return { tagSigner: keySigner(await readPrivateKey(keyPath, () => keyPassword())) };
}

/** The image `ref` names, opened in its layout or registry, with the options that found it. */
export async function openTarget(
  flags: FlagValues,
  ref: string,
): Promise<{ target: ImageTarget; options: TargetOptions }> {
  const options = await targetOptions(flags, ref);
  return { target: await openImageTarget(ref, options), options };
}

/** `--annotations k=v` (repeatable, comma-separated) as a record. */
export function annotationsFlag(flags: FlagValues): Record<string, string> | undefined {
  const list = listFlag(flags, "annotations");
  return list === undefined ? undefined : keyValues(list, "annotations");
}
