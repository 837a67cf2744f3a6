// `cudaseal copy`: an image from any transport to any: a registry, an OCI layout or an archive.

import { CudasealError } from "../../errors.ts";
import { parseImageRef } from "../../source/image-ref.ts";
import type { Command } from "../command.ts";
import { COPY_FLAGS, copyWithFlags } from "../copy-options.ts";
import { REGISTRY_FLAGS_HELP } from "../registry-options.ts";

export const copyCommand: Command = {
  name: "copy",
  help: `Usage: cudaseal copy SOURCE DESTINATION [options]

SOURCE is any image cudaseal reads: oci:DIR[:TAG|@DIGEST],
oci-archive:FILE[:TAG|@DIGEST], docker-archive:FILE[:NAME:TAG] or
REGISTRY/REPO[:TAG|@DIGEST] (docker:// is accepted, as skopeo writes it).
DESTINATION is any of those too, but a layout is written by tag. Manifests
and blobs are copied byte for byte, so digests are kept, except from a
classic docker-archive, which has no manifest: one is made for it (Docker
schema 2, as skopeo makes). Between two repositories of the same registry,
blobs are mounted rather than copied.

An archive destination is written afresh and holds only this image; it
replaces FILE once whole. oci-archive:FILE[:TAG] holds what oci:DIR[:TAG]
would. docker-archive:FILE[:NAME:TAG] is what docker save writes (Docker 25,
which docker load and podman load read): one platform (--arch, else the
host's), named NAME:TAG, else after the source's registry reference or
docker-archive name, else untagged; referrers and cosign tags are left out.

Options:
  --arch ARCH             copy only this platform of a multi-platform image
                          (docker-archive: the host's when not given)
  --mount-from REPO       a repository on the destination registry to mount
                          blobs from, repeatable
  --chunk-size SIZE       upload in chunks of SIZE (e.g. 16M)
  --jobs N                blobs in flight at once (default 4)
  --no-referrers          leave out the SBOMs, signatures and attestations
                          that name the image as their subject, and cosign's
                          sha256-<hex>.sig/.att/.sbom tags (copied by default)
${REGISTRY_FLAGS_HELP}

Examples:
  cudaseal copy registry.example/team/app:1.0 oci:mirror/app:1.0
  cudaseal copy docker-archive:app.tar registry.example/team/app:1.0
  cudaseal copy registry.example/team/app:1.0 registry.example/prod/app:1.0
  cudaseal copy registry.example/team/app:1.0 docker-archive:app.tar:app:1.0
  cudaseal copy oci:out/app:1.0 oci-archive:app.oci.tar:1.0`,
  flags: COPY_FLAGS,
  async run(positionals, flags, out) {
    if (positionals.length !== 2)
      throw new CudasealError("USAGE", "copy takes a source and a destination", {
        hint: "cudaseal copy registry.example/team/app:1.0 oci:mirror/app:1.0",
      });
    return copyWithFlags(parseImageRef(positionals[0]), parseImageRef(positionals[1]), flags, out);
  },
};
