// Image references in skopeo's transport:reference form, for every command
// that reads an image: `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]` and
// `docker-archive:FILE[:NAME:TAG]`, and registry references
// (`[docker://]registry.example/repo[:tag][@sha256:…]`, parsed by
// src/registry/reference.ts with Docker's rules).

import { CudasealError } from "../errors.ts";
import { formatRegistryRef, looksLikeRegistryRef, parseRegistryRef } from "../registry/index.ts";

/** A parsed image reference: the transport and where the image lies. */
export type ImageRef =
  | { transport: "oci"; dir: string; tag?: string }
  | { transport: "oci-archive"; file: string; tag?: string }
  | { transport: "docker-archive"; file: string; name?: string }
  | { transport: "docker"; registry: string; repository: string; tag?: string; digest?: string };

/** `oci:DIR[:TAG]`: a trailing `:TAG` counts only when it holds no slash (a path may have colons). */
function parseOciRef(ref: string): { dir: string; tag?: string } {
  const body = ref.replace(/^oci:/, "");
  const colon = body.lastIndexOf(":");
  if (colon > 0 && !body.slice(colon + 1).includes("/"))
    return { dir: body.slice(0, colon), tag: body.slice(colon + 1) };
  return { dir: body };
}

/** Parse `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]` or `docker-archive:FILE[:NAME:TAG]`; anything else is USAGE. */
export function parseImageRef(ref: string): ImageRef {
  const colon = ref.indexOf(":");
  const transport = colon > 0 ? ref.slice(0, colon) : "";
  const body = colon > 0 ? ref.slice(colon + 1) : "";
  if (transport === "oci" || transport === "oci-archive") {
    const { dir, tag } = parseOciRef(`oci:${body}`);
    if (dir === "") throw usage(ref, `${transport}: needs a path`);
    if (tag === "") throw usage(ref, `${transport}: has an empty tag`);
    if (transport === "oci") return tag === undefined ? { transport, dir } : { transport, dir, tag };
    return tag === undefined ? { transport, file: dir } : { transport, file: dir, tag };
  }
  if (transport === "docker-archive") {
    // As skopeo does: the file ends at the first colon, the rest is NAME:TAG.
    const at = body.indexOf(":");
    const file = at === -1 ? body : body.slice(0, at);
    const name = at === -1 ? undefined : body.slice(at + 1);
    if (file === "") throw usage(ref, "docker-archive: needs a path");
    if (name === "") throw usage(ref, "docker-archive: has an empty image name");
    return name === undefined ? { transport, file } : { transport, file, name };
  }
  if (looksLikeRegistryRef(ref)) return { transport: "docker", ...parseRegistryRef(ref) };
  throw usage(ref, transport === "" ? "no transport" : `unknown transport ${JSON.stringify(transport)}`);
}

/** The reference written back in transport:reference form, for messages. */
export function formatImageRef(ref: ImageRef): string {
  switch (ref.transport) {
    case "oci":
      return ref.tag === undefined ? `oci:${ref.dir}` : `oci:${ref.dir}:${ref.tag}`;
    case "oci-archive":
      return ref.tag === undefined ? `oci-archive:${ref.file}` : `oci-archive:${ref.file}:${ref.tag}`;
    case "docker-archive":
      return ref.name === undefined ? `docker-archive:${ref.file}` : `docker-archive:${ref.file}:${ref.name}`;
    case "docker":
      return `docker://${formatRegistryRef(ref)}`;
  }
}

function usage(ref: string, why: string): CudasealError {
  return new CudasealError("USAGE", `cannot read image ${JSON.stringify(ref)}: ${why}`, {
    hint: "name the image as oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG] or registry.example/repo[:tag]",
  });
}
