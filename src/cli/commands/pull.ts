// `cudaseal pull`: a registry image into an OCI layout.

import { CudasealError } from "../../errors.ts";
import { parseImageRef } from "../../source/image-ref.ts";
import type { Command } from "../command.ts";
import { copyWithFlags } from "../copy-options.ts";
import { REGISTRY_FLAGS, REGISTRY_FLAGS_HELP } from "../registry-options.ts";

export const pullCommand: Command = {
  name: "pull",
  help: `Usage: cudaseal pull REGISTRY/REPO[:TAG|@DIGEST] oci:DIR[:TAG] [options]

Pulls every platform of the image (or one, with --arch) into the OCI layout
DIR, byte for byte: manifests, index and blobs keep their digests. Every blob
is checked against its digest while it is written and renamed into place
only when it matches. DIR is created if needed; an existing layout keeps its
other images. Without :TAG the image is named by the reference's tag.

Options:
  --arch ARCH             pull only this platform (its manifest becomes the root)
  --jobs N                blobs downloaded at once (default 4)
  --no-referrers          leave out the SBOMs, signatures and attestations
                          that name the image as their subject, and cosign's
                          sha256-<hex>.sig/.att/.sbom tags (copied by default)
${REGISTRY_FLAGS_HELP}

Examples:
  cudaseal pull registry.example/team/cuda-runtime:12.8 oci:images/cuda-runtime
  cudaseal pull 127.0.0.1:5000/app:dev oci:out/app:dev --arch arm64`,
  flags: {
    ...REGISTRY_FLAGS,
    arch: { type: "string" },
    jobs: { type: "string" },
    "no-referrers": { type: "boolean" },
  },
  async run(positionals, flags, out) {
    if (positionals.length !== 2)
      throw new CudasealError("USAGE", "pull takes a registry reference and an oci:DIR", {
        hint: "cudaseal pull registry.example/team/app:1.0 oci:out/app",
      });
    const source = parseImageRef(positionals[0]);
    if (source.transport !== "docker")
      throw new CudasealError("USAGE", `pull reads from a registry, not ${positionals[0]}`, {
        hint: "to copy between other transports use 'cudaseal copy'",
      });
    let target = parseImageRef(positionals[1]);
    if (target.transport !== "oci")
      throw new CudasealError("USAGE", `pull writes to an OCI layout (oci:DIR[:TAG]), not ${positionals[1]}`);
    if (target.tag === undefined && (source.tag !== undefined || source.digest === undefined))
      target = { ...target, tag: source.tag ?? "latest" };
    return copyWithFlags(source, target, flags, out);
  },
};
