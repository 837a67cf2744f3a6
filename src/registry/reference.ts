// Registry references as Docker writes them: `host[:port]/repo/path[:tag][@sha256:hex]`,
// optionally behind skopeo's `docker://`. The grammar is Docker's
// (distribution/reference): the first component is a registry host when it
// holds a dot or a colon or is `localhost`; repository components are
// lowercase alphanumerics joined by `.`, `_`, `__` or dashes; a tag is at most
// 128 word characters, dots and dashes. Unlike Docker, a reference with no
// host is refused rather than sent to a default registry: cudaseal never
// pushes to or pulls from a registry the user did not name.

import { CudasealError } from "../errors.ts";

/** A parsed registry reference. Without tag and digest it means `:latest`. */
export interface RegistryRef {
  /** `host[:port]` as written (`registry.example`, `127.0.0.1:5000`, `[::1]:5000`). */
  registry: string;
  /** The repository path, `team/cuda-runtime`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const MAX_NAME = 255;

/** True when `text` looks like a registry reference (`docker://…`, or a first component that is a host). */
export function looksLikeRegistryRef(text: string): boolean {
  if (text.startsWith("docker://")) return true;
  const slash = text.indexOf("/");
  if (slash <= 0) return false;
  const first = text.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost";
}

/** Parse `[docker://]host/repo[:tag][@sha256:hex]`; USAGE for anything else. */
export function parseRegistryRef(text: string): RegistryRef {
  const body = text.startsWith("docker://") ? text.slice("docker://".length) : text;
  let rest = body;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw usage(text, `${JSON.stringify(digest)} is not a sha256 digest`);
  }
  const slash = rest.indexOf("/");
  const first = slash === -1 ? "" : rest.slice(0, slash);
  if (slash === -1 || !(first.includes(".") || first.includes(":") || first === "localhost")) {
    throw usage(text, "it names no registry host", "write the registry first: registry.example/repo:tag");
  }
  if (!HOST.test(first)) throw usage(text, `${JSON.stringify(first)} is not a host[:port]`);
  let path = rest.slice(slash + 1);
  let tag: string | undefined;
  // A tag follows the last colon after the last slash (a colon before it is the port's).
  const colon = path.lastIndexOf(":");
  if (colon !== -1 && colon > path.lastIndexOf("/")) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) throw usage(text, `${JSON.stringify(tag)} is not a valid tag`);
  }
  if (path === "") throw usage(text, "it names no repository");
  for (const component of path.split("/")) {
    if (!PATH_COMPONENT.test(component))
      throw usage(
        text,
        `repository component ${JSON.stringify(component)} is not lowercase letters and digits joined by . _ __ or -`,
      );
  }
  if (first.length + 1 + path.length > MAX_NAME) throw usage(text, `the name is over ${MAX_NAME} characters`);
  const ref: RegistryRef = { registry: first, repository: path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** What to ask the registry for: the digest when there is one, else the tag, else `latest`. */
export function manifestReference(ref: RegistryRef): string {
  return ref.digest ?? ref.tag ?? "latest";
}

/** `host/repo[:tag][@digest]`, for messages and JSON. */
export function formatRegistryRef(ref: RegistryRef): string {
  return (
    `${ref.registry}/${ref.repository}` +
    (ref.tag === undefined ? "" : `:${ref.tag}`) +
    (ref.digest === undefined ? "" : `@${ref.digest}`)
  );
}

/** True when `tag` is a valid tag. */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

function usage(text: string, why: string, hint?: string): CudasealError {
  return new CudasealError("USAGE", `not a registry reference ${JSON.stringify(text)}: ${why}`, {
    hint:
      hint ?? "write it as registry.example/repo[:tag][@sha256:…] (or docker://registry.example/repo:tag)",
  });
}
