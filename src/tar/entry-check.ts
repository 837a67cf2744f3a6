// Path safety for the entries of untrusted archives, all resolved against an
// image root rather than the host:
//   - a path may not be absolute or climb with `..` (Debian's `./usr/…` is
//     the normal, relative form);
//   - a symlink may point anywhere inside the root: an absolute target
//     (`/usr/lib/x`) resolves inside the image, but a relative target that
//     climbs above the root from the link's directory escapes;
//   - a hardlink names another entry by its archive path, which must itself
//     be a safe path;
//   - no entry, and no hardlink target, may lie beneath a symlink the same
//     archive made earlier: an extractor would write through the link (the
//     classic tar symlink-then-file attack);
//   - device nodes and fifos have no place in an image layer.
// Every refusal names the archive (and package, when known) and the entry.

import { CudasealError, type ErrorCode } from "../errors.ts";

/** Who is asking, for errors. */
export interface CheckContext {
  /** What the archive is: a package name, a file, an image layer. */
  origin: string;
  /** The package the archive belongs to, when it is a .deb's. */
  package?: string;
}

const HOSTILE = "the archive is malformed or hostile; do not use it";

function refuse(
  code: ErrorCode,
  ctx: CheckContext,
  message: string,
  facts: Record<string, unknown>,
  cause?: unknown,
): CudasealError {
  const details: Record<string, unknown> = { origin: ctx.origin, ...facts };
  if (ctx.package !== undefined) details.package = ctx.package;
  return new CudasealError(code, `${ctx.origin}: ${message}`, { hint: HOSTILE, details, cause });
}

/**
 * The canonical form of an archive path: relative, no `.` or empty parts, no
 * trailing slash (`./usr//lib/x/` → `usr/lib/x`, `./` → ``). Throws
 * TAR_ABSOLUTE_PATH or TAR_PATH_TRAVERSAL.
 */
export function safePath(raw: string, ctx: CheckContext): string {
  if (raw.includes("\0")) throw refuse("TAR_INVALID", ctx, "an entry name holds a NUL byte", { entry: raw });
  if (raw.startsWith("/")) {
    throw refuse("TAR_ABSOLUTE_PATH", ctx, `entry ${JSON.stringify(raw)} has an absolute path`, {
      entry: raw,
    });
  }
  const parts: string[] = [];
  for (const part of raw.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      throw refuse("TAR_PATH_TRAVERSAL", ctx, `entry ${JSON.stringify(raw)} climbs out with '..'`, {
        entry: raw,
      });
    }
    parts.push(part);
  }
  return parts.join("/");
}

/** Throws TAR_LINK_ESCAPE when a symlink at `path` (canonical) with `target` resolves outside the root. */
export function checkSymlink(path: string, target: string, ctx: CheckContext): void {
  if (target === "" || target.includes("\0")) {
    throw refuse("TAR_INVALID", ctx, `symlink ${path} has an empty or NUL-holding target`, {
      entry: path,
      target,
    });
  }
  // Absolute targets are resolved inside the image root by whoever follows them.
  if (target.startsWith("/")) return;
  // Start in the link's directory and walk the target; dipping below the root
  // at any point is an escape, even if later parts would come back in.
  let level = path === "" ? 0 : path.split("/").length - 1;
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    level += part === ".." ? -1 : 1;
    if (level < 0) {
      throw refuse("TAR_LINK_ESCAPE", ctx, `symlink ${path} -> ${target} points outside the root`, {
        entry: path,
        target,
      });
    }
  }
}

/**
 * The canonical target of a hardlink at `path`: TAR_LINK_ESCAPE when it is
 * absolute or climbs, TAR_INVALID when it is empty or the link itself.
 */
export function checkHardlink(path: string, target: string, ctx: CheckContext): string {
  let normal: string;
  try {
    normal = safePath(target, ctx);
  } catch (err) {
    throw refuse(
      "TAR_LINK_ESCAPE",
      ctx,
      `hardlink ${path} -> ${target} points outside the root`,
      { entry: path, target },
      err,
    );
  }
  if (normal === "" || normal === path) {
    throw refuse("TAR_INVALID", ctx, `hardlink ${path} -> ${JSON.stringify(target)} names no other file`, {
      entry: path,
      target,
    });
  }
  return normal;
}

/** Throws TAR_DEVICE_NODE for an entry an image must not hold. */
export function refuseSpecial(path: string, type: string, ctx: CheckContext): never {
  throw new CudasealError(
    "TAR_DEVICE_NODE",
    `${ctx.origin}: entry ${path} is a ${type}, which an image must not hold`,
    {
      hint: "device nodes and fifos are made by the container runtime, never shipped in a layer",
      details: {
        origin: ctx.origin,
        entry: path,
        type,
        ...(ctx.package === undefined ? {} : { package: ctx.package }),
      },
    },
  );
}

/**
 * The symlinks an archive has made so far, so that no later entry is placed
 * (or hardlinked) through one. State for one archive; feed it every entry in order.
 */
export class SymlinkTracker {
  readonly #links = new Set<string>();
  readonly #ctx: CheckContext;

  constructor(ctx: CheckContext) {
    this.#ctx = ctx;
  }

  /** Throws TAR_LINK_ESCAPE when a parent directory of `path` is a symlink of this archive. */
  checkParents(path: string, what: string): void {
    if (this.#links.size === 0) return;
    let slash = path.indexOf("/");
    while (slash > 0) {
      const parent = path.slice(0, slash);
      if (this.#links.has(parent)) {
        throw refuse("TAR_LINK_ESCAPE", this.#ctx, `${what} ${path} lies beneath the symlink ${parent}`, {
          entry: path,
          symlink: parent,
        });
      }
      slash = path.indexOf("/", slash + 1);
    }
  }

  /** Record that the archive now has an entry of `type` at `path` (a later entry replaces an earlier one). */
  note(path: string, type: string): void {
    if (type === "symlink") this.#links.add(path);
    else if (this.#links.size > 0) this.#links.delete(path);
  }
}
