// `-v HOST:CONTAINER[:ro|rw]`, as docker run takes it: a host file or folder
// bound into the container (the launcher makes it nosuid and nodev). The
// host side is the user's to choose; the container side is checked here and
// again by the launcher, which also refuses any symlink on the way, since
// the image is untrusted: `..` could climb out of the root, and a volume over
// /proc or /dev would hide what the launcher put there.

import { statSync } from "node:fs";
import { isAbsolute, posix, resolve } from "node:path";
import { CudasealError } from "../errors.ts";

export interface Volume {
  /** An absolute host path that exists. */
  source: string;
  /** An absolute, normalised path in the container. */
  target: string;
  readOnly: boolean;
}

const EXAMPLE = "-v /srv/models:/models:ro";

/** Parse one `-v` value; a relative host path is taken from `cwd`, as docker compose does. */
export function parseVolume(spec: string, cwd: string = process.cwd()): Volume {
  const parts = spec.split(":");
  if (parts.length < 2 || parts.length > 3 || parts[0] === "" || parts[1] === "") {
    throw usage(`-v ${spec} is not HOST:CONTAINER[:ro|rw]`);
  }
  const [host, target, mode = "rw"] = parts;
  if (mode !== "ro" && mode !== "rw") throw usage(`-v ${spec}: the mode is ro or rw, not ${mode}`);
  if (!isAbsolute(target)) throw usage(`-v ${spec}: the container path ${target} is not absolute`);
  if (target.split("/").includes("..")) throw usage(`-v ${spec}: the container path may not hold ..`);
  const normal = posix.normalize(target).replace(/(.)\/$/, "$1");
  if (normal === "/" || /^\/(proc|dev)(\/|$)/.test(normal)) {
    throw usage(`-v ${spec}: cudaseal run does not mount over ${normal}`);
  }
  const source = resolve(cwd, host);
  try {
    statSync(source);
  } catch (err) {
    throw new CudasealError("USAGE", `-v ${spec}: ${source} does not exist on this host`, {
      hint: "create it first; unlike docker, cudaseal run does not create a missing host folder",
      cause: err,
    });
  }
  return { source, target: normal, readOnly: mode === "ro" };
}

function usage(message: string): CudasealError {
  return new CudasealError("USAGE", message, { hint: `e.g. ${EXAMPLE}` });
}
