// Where a build goes, in skopeo's transport terms: `oci:DIR[:TAG]` (the
// default), `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:NAME:TAG]`.

import { resolve } from "node:path";
import { CudasealError } from "../errors.ts";
import { writeDockerArchive } from "../oci/docker-archive.ts";
import type { BuiltImage } from "../oci/image-plan.ts";
import type { Artifact, WrittenImage } from "../oci/layout-contents.ts";
import { writeOciLayout } from "../oci/layout-writer.ts";
import { writeOciArchive } from "../oci/oci-archive.ts";

export interface OutputTarget {
  format: "oci" | "oci-archive" | "docker-archive";
  path: string;
  tag: string;
  /** The name users run it by, for the usage label (`cuda-base:latest`). */
  reference: string;
}

/** Parse `--output`; `name` is the image name used for default tags. */
export function parseOutput(spec: string | undefined, name: string): OutputTarget {
  const text = spec ?? `oci:out/${name}`;
  const m = /^(oci|oci-archive|docker-archive):(.+)$/.exec(text);
  if (!m) {
    throw new CudasealError("USAGE", `cannot write to '${text}'`, {
      hint: "use oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:NAME:TAG]",
    });
  }
  const format = m[1] as OutputTarget["format"];
  const [path, ...rest] = m[2].split(":");
  let tag = "latest";
  let repo = name;
  if (format === "docker-archive" && rest.length > 0) {
    repo = rest.length > 1 ? rest.slice(0, -1).join(":") : rest[0];
    tag = rest.length > 1 ? rest[rest.length - 1] : "latest";
  } else if (rest.length > 0) {
    tag = rest.join(":");
  }
  return { format, path: resolve(path), tag, reference: `${repo}:${tag}` };
}

/**
 * Write the image; `artifacts` (the SBOMs) go into OCI layouts and archives
 * beside it. A docker-archive has no place for them.
 */
export async function writeOutput(
  target: OutputTarget,
  image: BuiltImage,
  arch: string,
  artifacts: readonly Artifact[] = [],
): Promise<WrittenImage> {
  switch (target.format) {
    case "oci":
      return writeOciLayout(target.path, image, { artifacts });
    case "oci-archive":
      return writeOciArchive(target.path, image, { artifacts });
    case "docker-archive":
      return writeDockerArchive(target.path, image, { tag: target.reference, arch });
  }
}

/** Where the SBOM of one platform is written beside the output: `out/img.amd64.spdx.json`. */
export function sbomPath(target: OutputTarget, arch: string, format: "spdx" | "cyclonedx"): string {
  const base = target.path.replace(/\.(tar|oci)$/, "");
  return `${base}.${arch}.${format === "spdx" ? "spdx" : "cdx"}.json`;
}
