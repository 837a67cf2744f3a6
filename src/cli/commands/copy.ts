// `cudaseal copy`: an image from any transport to a registry or an OCI layout.

import { CudasealError } from "../../errors.ts";
import { copyImage } from "../../registry/copy-image.ts";
import { parseImageRef } from "../../source/image-ref.ts";
import { type Command, listFlag, stringFlag } from "../command.ts";
import {
  chunkSizeFrom,
  jobsFrom,
  REGISTRY_FLAGS,
  REGISTRY_FLAGS_HELP,
  registryOptionsFrom,
} from "../registry-options.ts";
import { reportCopy } from "./copy-summary.ts";

export const copyCommand: Command = {
  name: "copy",
  help: `Usage: cudaseal copy SOURCE DESTINATION [options]

SOURCE is any image cudaseal reads: oci:DIR[:TAG], oci-archive:FILE[:TAG],
docker-archive:FILE[:NAME:TAG] or REGISTRY/REPO[:TAG|@DIGEST] (docker:// is
accepted, as skopeo writes it). DESTINATION is a registry reference or
oci:DIR[:TAG]. Manifests and blobs are copied byte for byte, so digests are
kept, except from a classic docker-archive, which has no manifest: one is
made for it (Docker schema 2, as skopeo makes). Between two repositories of
the same registry, blobs are mounted rather than copied.

Options:
  --arch ARCH             copy only this platform of a multi-platform image
  --mount-from REPO       a repository on the destination registry to mount
                          blobs from, repeatable
  --chunk-size SIZE       upload in chunks of SIZE (e.g. 16M)
  --jobs N                blobs in flight at once (default 4)
  --no-referrers          leave out the SBOMs, signatures and attestations
                          that name the image as their subject (copied by default)
${REGISTRY_FLAGS_HELP}

Examples:
  cudaseal copy registry.example/team/app:1.0 oci:mirror/app:1.0
  cudaseal copy docker-archive:app.tar registry.example/team/app:1.0
  cudaseal copy registry.example/team/app:1.0 registry.example/prod/app:1.0`,
  flags: {
    ...REGISTRY_FLAGS,
    arch: { type: "string" },
    "mount-from": { type: "string", multiple: true },
    "chunk-size": { type: "string" },
    jobs: { type: "string" },
    "no-referrers": { type: "boolean" },
  },
  async run(positionals, flags, out) {
    if (positionals.length !== 2)
      throw new CudasealError("USAGE", "copy takes a source and a destination", {
        hint: "cudaseal copy registry.example/team/app:1.0 oci:mirror/app:1.0",
      });
    const started = performance.now();
    const summary = await copyImage(parseImageRef(positionals[0]), parseImageRef(positionals[1]), {
      registry: await registryOptionsFrom(flags),
      arch: stringFlag(flags, "arch"),
      mountFrom: listFlag(flags, "mount-from"),
      chunkSize: chunkSizeFrom(flags),
      concurrency: jobsFrom(flags),
      referrers: flags["no-referrers"] !== true,
      progress: out.progress(),
    });
    reportCopy(out, summary, (performance.now() - started) / 1000);
    return 0;
  },
};
