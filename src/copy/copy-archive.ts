// Copying to an archive, `oci-archive:FILE[:TAG]` or
// `docker-archive:FILE[:NAME:TAG]`, as skopeo does: the image is copied into
// a temporary OCI layout beside FILE (blobs streamed from the source and
// checked against their digests on the way in, as for any `oci:`
// destination), the layout is streamed into a tar by the writer the build
// uses (layout-tar.ts), and the tar is renamed over FILE only once it is
// whole. The temporary layout is removed however the copy ends, Ctrl-C
// included. An archive is written afresh: it holds this image only.
//
// A Docker archive is what `docker save` writes since Docker 25
// (src/oci/docker-archive.ts): one platform (`--arch`, else the host's),
// named NAME:TAG from the destination, else after the source's registry
// reference or docker-archive name, and no referrers or cosign tags, which
// `docker load` has no place for.

import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { CudasealError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import {
  type DockerRef,
  dockerArchiveFiles,
  dockerIndexEntry,
  parseDockerRef,
} from "../oci/docker-archive.ts";
import { blobName, LayoutBuilder, type LayoutFile } from "../oci/layout-contents.ts";
import { writeLayoutTar } from "../oci/layout-tar.ts";
import { hostArch } from "../source/host-arch.ts";
import { parseJson } from "../source/image-json.ts";
import { formatImageRef, type ImageRef } from "../source/image-ref.ts";
import { release, removeOnInterrupt } from "../util/interrupt-cleanup.ts";
import type { CopyOptions, CopySummary } from "./copy-image.ts";

/** An archive reference. */
export type ArchiveRef = Extract<ImageRef, { transport: "oci-archive" | "docker-archive" }>;

/** Copy into an OCI layout: copyImage, passed in so that the two modules need not import each other. */
export type CopyToLayout = (
  source: ImageRef,
  layout: Extract<ImageRef, { transport: "oci" }>,
  options: CopyOptions,
) => Promise<CopySummary>;

/** True for the references copyToArchive writes. */
export function isArchiveRef(ref: ImageRef): ref is ArchiveRef {
  return ref.transport === "oci-archive" || ref.transport === "docker-archive";
}

/** Copy `source` to the archive `destination`, through a temporary layout beside it. */
export async function copyToArchive(
  source: ImageRef,
  destination: ArchiveRef,
  options: CopyOptions,
  copyToLayout: CopyToLayout,
): Promise<CopySummary> {
  // The name is checked before anything is read or written.
  const name = destination.transport === "docker-archive" ? dockerName(source, destination) : undefined;
  const file = resolve(destination.file);
  const tmp = join(
    dirname(file),
    `.${basename(file)}.layout-${process.pid}-${randomBytes(6).toString("hex")}`,
  );
  removeOnInterrupt(tmp);
  try {
    await mkdir(dirname(file), { recursive: true });
    if (destination.transport === "oci-archive") {
      const summary = await copyToLayout(
        source,
        { transport: "oci", dir: tmp, tag: destination.tag },
        options,
      );
      await writeLayoutTar(file, await layoutFiles(tmp));
      return { ...summary, destination: formatImageRef(destination) };
    }
    const summary = await copyToLayout(
      source,
      { transport: "oci", dir: tmp },
      { ...options, arch: options.arch ?? hostArch(), referrers: false },
    );
    await writeLayoutTar(file, await dockerFiles(tmp, summary, name, formatImageRef(destination)));
    return { ...summary, destination: formatImageRef(destination) };
  } finally {
    await rm(tmp, { recursive: true, force: true });
    release(tmp);
  }
}

/** The name a Docker archive gives the image: the destination's, else the source's when it has one. */
function dockerName(
  source: ImageRef,
  destination: ArchiveRef & { transport: "docker-archive" },
): DockerRef | undefined {
  try {
    if (destination.name !== undefined) return parseDockerRef(destination.name);
  } catch (err) {
    throw new CudasealError("USAGE", `${formatImageRef(destination)}: ${(err as CudasealError).message}`, {
      hint: "name the image as docker-archive:FILE:NAME:TAG, e.g. docker-archive:app.tar:app:1.0",
      cause: err,
    });
  }
  // Untagged when the source names none: `docker load` then lists it by ID, as for `docker save ID`.
  const named =
    source.transport === "docker" && source.tag !== undefined
      ? `${source.registry}/${source.repository}:${source.tag}`
      : source.transport === "docker-archive"
        ? source.name
        : undefined;
  try {
    return named === undefined ? undefined : parseDockerRef(named);
  } catch {
    return undefined;
  }
}

/** A layout directory's files as the tar writer takes them, sorted: blobs, index.json, oci-layout. */
async function layoutFiles(dir: string): Promise<LayoutFile[]> {
  const files = await blobFiles(dir);
  for (const name of ["index.json", "oci-layout"]) {
    // Written by this copy into its own temporary layout a moment ago: read whole.
    const bytes = await readFile(join(dir, name));
    files.push({ name, size: bytes.length, bytes });
  }
  return files;
}

/** The blobs a copy wrote to `dir`, each already checked against its digest as it was written. */
async function blobFiles(dir: string): Promise<LayoutFile[]> {
  const builder = new LayoutBuilder(false);
  const names = (await readdir(join(dir, "blobs", "sha256"))).sort();
  for (const hex of names) {
    const path = join(dir, "blobs", "sha256", hex);
    await builder.addFile(`sha256:${hex}`, path, (await stat(path)).size);
  }
  // finish() lists the blobs first; its own index.json and oci-layout are the caller's to replace.
  return builder.finish([]).filter((f) => f.name.startsWith("blobs/"));
}

/** A Docker archive's files from the one-image layout a copy wrote. */
async function dockerFiles(
  dir: string,
  summary: CopySummary,
  name: DockerRef | undefined,
  label: string,
): Promise<LayoutFile[]> {
  // Written by this copy into its own temporary layout, checked against its digest as it was.
  const bytes = await readFile(join(dir, blobName(summary.digest)));
  const manifest = parseJson(bytes, `${label}@${summary.digest}`);
  const config = manifest.config as Descriptor | undefined;
  const layers = manifest.layers as Descriptor[] | undefined;
  if (config === undefined || !Array.isArray(layers))
    throw new CudasealError(
      "IMAGE_INVALID",
      `${label}: a Docker archive holds one image manifest, not an index`,
      {
        hint: "choose one platform with --arch",
      },
    );
  const root: Descriptor = { mediaType: summary.mediaType, digest: summary.digest, size: bytes.length };
  const builder = new LayoutBuilder(false);
  const layout = builder.finish([dockerIndexEntry(root, name)]);
  const files = [...(await blobFiles(dir)), ...layout.filter((f) => !f.name.startsWith("blobs/"))];
  return dockerArchiveFiles(
    files,
    config.digest,
    layers.map((l) => l.digest),
    name,
  );
}
