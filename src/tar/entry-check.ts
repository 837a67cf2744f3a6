// Path safety for entries of untrusted archives. A path may not be absolute
// or climb with `..`; a symlink may point anywhere inside the root (an
// absolute target resolves inside the image root), but a relative target that
// climbs above it escapes; a hardlink must name a path inside the root;
// device nodes and fifos have no place in an image layer.

import { CudasealError } from "../errors.ts";

export interface CheckContext {
  /** What the archive is, for messages: a package name, a file. */
  origin: string;
}

/** `./usr/lib/x/` → `usr/lib/x`; `./` → ``. Throws on absolute paths and `..`. */
export function safePath(raw: string, ctx: CheckContext): string {
  const details = { origin: ctx.origin, entry: raw };
  if (raw.startsWith("/")) {
    throw new CudasealError(
      "TAR_ABSOLUTE_PATH",
      `${ctx.origin}: entry ${JSON.stringify(raw)} has an absolute path`,
      { details },
    );
  }
  if (raw.includes("\0"))
    throw new CudasealError("TAR_INVALID", `${ctx.origin}: entry name holds a NUL byte`, { details });
  const parts: string[] = [];
  for (const part of raw.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      throw new CudasealError(
        "TAR_PATH_TRAVERSAL",
        `${ctx.origin}: entry ${JSON.stringify(raw)} climbs out with '..'`,
        {
          hint: "the archive is malformed or hostile; do not use it",
          details,
        },
      );
    }
    parts.push(part);
  }
  return parts.join("/");
}

/** Throws when a symlink at `path` with `target` would resolve outside the root. */
export function checkSymlink(path: string, target: string, ctx: CheckContext): void {
  if (target === "") {
    throw new CudasealError("TAR_INVALID", `${ctx.origin}: symlink ${path} has an empty target`, {
      details: { entry: path },
    });
  }
  if (target.startsWith("/")) return;
  const depth = path.split("/").length - 1;
  let level = depth;
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    level += part === ".." ? -1 : 1;
    if (level < 0) {
      throw new CudasealError(
        "TAR_LINK_ESCAPE",
        `${ctx.origin}: symlink ${path} -> ${target} points outside the root`,
        {
          hint: "the archive is malformed or hostile; do not use it",
          details: { origin: ctx.origin, entry: path, target },
        },
      );
    }
  }
}

/** A hardlink target, normalised; throws when it escapes. */
export function checkHardlink(path: string, target: string, ctx: CheckContext): string {
  try {
    const normal = safePath(target, ctx);
    if (normal === "") throw new Error("empty");
    return normal;
  } catch (err) {
    throw new CudasealError(
      "TAR_LINK_ESCAPE",
      `${ctx.origin}: hardlink ${path} -> ${target} points outside the root`,
      {
        hint: "the archive is malformed or hostile; do not use it",
        cause: err,
        details: { origin: ctx.origin, entry: path, target },
      },
    );
  }
}

export function refuseSpecial(path: string, type: string, ctx: CheckContext): never {
  throw new CudasealError(
    "TAR_DEVICE_NODE",
    `${ctx.origin}: entry ${path} is a ${type}, which an image must not hold`,
    {
      details: { origin: ctx.origin, entry: path, type },
    },
  );
}
