// `cudaseal push`: an image from anywhere to a registry.

import { CudasealError } from "../../errors.ts";
import { parseImageRef } from "../../source/image-ref.ts";
import type { Command } from "../command.ts";
import { COPY_FLAGS, copyWithFlags } from "../copy-options.ts";
import { REGISTRY_FLAGS_HELP } from "../registry-options.ts";

export const pushCommand: Command = {
  name: "push",
  help: `Usage: cudaseal push IMAGE REGISTRY/REPO[:TAG] [options]

Pushes IMAGE (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG]
or another registry's image) to a registry. A multi-platform index is pushed
whole: every platform's blobs and manifest, then the index under the tag.
Blobs the registry already has are skipped (asked with HEAD first), blobs it
holds in another repository named with --mount-from are mounted, and the rest
are streamed from disk, four at a time. Digests are kept: what the registry
stores is byte for byte what the image holds.

Options:
  --arch ARCH             push only this platform of a multi-platform image
  --mount-from REPO       a repository on the same registry to mount blobs
                          from, repeatable
  --chunk-size SIZE       upload in chunks of SIZE (e.g. 16M) instead of one
                          request per blob; a failed chunk is resumed
  --jobs N                blobs uploaded at once (default 4)
  --no-referrers          leave out the SBOMs, signatures and attestations
                          that name the image as their subject, and cosign's
                          sha256-<hex>.sig/.att/.sbom tags (copied by default)
${REGISTRY_FLAGS_HELP}

Examples:
  cudaseal push oci:out/cuda-runtime:latest registry.example/team/cuda-runtime:12.8
  cudaseal push oci:out/app registry.example/team/app:1.0 --mount-from team/cuda-runtime
  echo "$TOKEN" | cudaseal push oci:out/app registry.example/team/app:1.0 --username ci --password-stdin
  cudaseal push oci:out/app 127.0.0.1:5000/app:dev --json`,
  flags: COPY_FLAGS,
  async run(positionals, flags, out) {
    if (positionals.length !== 2)
      throw new CudasealError("USAGE", "push takes an image and a registry reference", {
        hint: "cudaseal push oci:out/app registry.example/team/app:1.0",
      });
    const target = parseImageRef(positionals[1]);
    if (target.transport !== "docker")
      throw new CudasealError("USAGE", `push writes to a registry, not ${positionals[1]}`, {
        hint: "name the destination as registry.example/repo:tag; to write elsewhere use 'cudaseal copy'",
      });
    return copyWithFlags(parseImageRef(positionals[0]), target, flags, out);
  },
};
