// Where a build goes, named as every command names images
// (src/source/image-ref.ts): `oci:DIR[:TAG]` (the default),
// `oci-archive:FILE[:TAG]` or `docker-archive:FILE[:NAME:TAG]`, each written
// by its writer in src/oci/. The tag is `latest` unless named; a Docker
// archive's image is named after the spec unless the reference names it.

import { resolve } from "node:path";
import { CudasealError } from "../errors.ts";
import { parseDockerRef, writeDockerArchive } from "../oci/docker-archive.ts";
import type { BuiltImage } from "../oci/image-plan.ts";
import type { Artifact, WrittenImage } from "../oci/layout-contents.ts";
import { writeOciLayout } from "../oci/layout-writer.ts";
import { writeOciArchive } from "../oci/oci-archive.ts";
import { type ImageRef, parseImageRef } from "../source/image-ref.ts";

/** The references a build can write. */
export type OutputRef = Extract<ImageRef, { transport: "oci" | "oci-archive" | "docker-archive" }>;

export interface OutputTarget {
  /** The output as a reference, its path absolute and its tag (a Docker archive's name) filled in. */
  ref: OutputRef;
  format: OutputRef["transport"];
  path: string;
  tag: string;
  /** The name users run it by, for the usage label (`cuda-base:latest`). */
  reference: string;
}

type Writer = (
  target: OutputTarget,
  image: BuiltImage,
  arch: string,
  artifacts: readonly Artifact[],
) => Promise<WrittenImage>;

/**
 * The writer of each transport a build can write; a docker-archive has no
 * place for the SBOMs. A layout lists every platform's manifest under
 * `TAG-<arch>` beside `TAG`, one platform or several, so that
 * `umoci unpack --image DIR:latest-amd64` and scripts work either way.
 */
const WRITERS: Readonly<Record<OutputRef["transport"], Writer>> = {
  oci: (target, image, _arch, artifacts) =>
    writeOciLayout(target.path, image, { artifacts, platformTags: "always" }),
  "oci-archive": (target, image, _arch, artifacts) =>
    writeOciArchive(target.path, image, { artifacts, platformTags: "always" }),
  "docker-archive": (target, image, arch) =>
    writeDockerArchive(target.path, image, { tag: target.reference, arch }),
};

/** Parse `--output`; `name` is the image name used for default tags. */
export function parseOutput(spec: string | undefined, name: string): OutputTarget {
  const text = spec ?? `oci:out/${name}`;
  const ref = parseImageRef(text);
  if (!(ref.transport in WRITERS))
    throw new CudasealError("USAGE", `cannot write to '${text}'`, {
      hint: "use oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:NAME:TAG]",
    });
  const output = ref as OutputRef;
  if (output.transport === "docker-archive") {
    // IMAGE_INVALID for a name Docker would refuse, before anything is built.
    const docker = output.name === undefined ? { name, tag: "latest" } : parseDockerRef(output.name);
    const reference = `${docker.name}:${docker.tag}`;
    const path = resolve(output.file);
    return {
      ref: { ...output, file: path, name: reference },
      format: output.transport,
      path,
      tag: docker.tag,
      reference,
    };
  }
  if (output.digest !== undefined)
    throw new CudasealError("USAGE", `cannot write to '${text}': a layout is written by tag`, {
      hint: "use oci:DIR[:TAG] or oci-archive:FILE[:TAG]",
    });
  const tag = output.tag ?? "latest";
  const path = resolve(output.transport === "oci" ? output.dir : output.file);
  return {
    ref: output.transport === "oci" ? { ...output, dir: path, tag } : { ...output, file: path, tag },
    format: output.transport,
    path,
    tag,
    reference: `${name}:${tag}`,
  };
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
  return WRITERS[target.format](target, image, arch, artifacts);
}

/** Where the SBOM of one platform is written beside the output: `out/img.amd64.spdx.json`. */
export function sbomPath(target: OutputTarget, arch: string, format: "spdx" | "cyclonedx"): string {
  const base = target.path.replace(/\.(tar|oci)$/, "");
  return `${base}.${arch}.${format === "spdx" ? "spdx" : "cdx"}.json`;
}
