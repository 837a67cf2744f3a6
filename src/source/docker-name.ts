// Image names as Docker keeps them: `NAME[:TAG]` means `NAME:latest`, and a
// stored name (a RepoTags entry, a containerd image name) is spelled in full,
// with the default registry host and `library/` before a one-part name. The
// readers of Docker archives and the copy into one name images this way.

import { parseDockerRef } from "../oci/docker-archive.ts";

/** `name[:tag]` with the tag spelled out, as RepoTags and containerd names hold it; IMAGE_INVALID for a bad name. */
export function normalName(ref: string): string {
  const { name, tag } = parseDockerRef(ref);
  return `${name}:${tag}`;
}

/**
 * True when `stored` (a RepoTags entry or containerd name) is the image the
 * user called `wanted` (`name:tag`): Docker stores names in full, with the
 * default registry host and `library/` before a one-part name.
 */
export function sameImageName(stored: string, wanted: string): boolean {
  if (stored === wanted) return true;
  const parts = stored.split("/");
  const host = parts[0];
  if (parts.length < 2 || !(host.includes(".") || host.includes(":"))) return false;
  const rest = parts.slice(1);
  if (rest.join("/") === wanted) return true;
  return rest.length === 2 && rest[0] === "library" && rest[1] === wanted;
}
