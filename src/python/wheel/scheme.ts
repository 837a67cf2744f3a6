// Where a wheel's parts go in the image: the install scheme for the image's
// own interpreter, as a system install or inside a virtual environment.
//
// System: Debian's python3 keeps /usr/lib/python3/dist-packages for Debian
// packages (dpkg owns it) and puts /usr/local/lib/python3.X/dist-packages
// before it on sys.path for everything else. Its sysconfig default scheme
// (posix_local) is what pip uses on Debian, so cudaseal installs there too:
// purelib = platlib = /usr/local/lib/python3.X/dist-packages, scripts
// /usr/local/bin, data /usr/local, headers /usr/local/include/python3.X/NAME.
// Nothing Debian installs is overwritten, and the wheels still win over a
// Debian python3-* package of the same module, as they would under pip.
//
// venv:/opt/venv: the layout `python3 -m venv` makes, with pyvenv.cfg
// pointing at the image's interpreter, so the image needs no venv module.

import { CudasealError } from "../../errors.ts";
import { dirEntry, fileEntry, type LayerEntry, symlinkEntry } from "../../layer/entry.ts";

/** Where the wheels go: the interpreter's system site directory, or a virtual environment at `path`. */
export type InstallTarget = { kind: "system" } | { kind: "venv"; path: string };

/** Image paths, canonical (no leading slash), of each scheme key. */
export interface Scheme {
  purelib: string;
  platlib: string;
  scripts: string;
  data: string;
  /** The headers folder of distribution `name`. */
  headers(name: string): string;
  /** The interpreter entry-point scripts name in their `#!` line. */
  interpreter: string;
}

/** Parses a spec's `target:` (`system`, `venv:/opt/venv`). */
export function parseInstallTarget(text: string | undefined): InstallTarget {
  if (text === undefined || text === "system") return { kind: "system" };
  const venv = /^venv:(\/.*)$/.exec(text);
  const path = venv?.[1]?.replace(/\/+$/, "");
  if (!path || path.split("/").some((s, i) => (i > 0 && s === "") || s === "." || s === "..")) {
    throw new CudasealError(
      "PY_LOCK_INVALID",
      `python target ${JSON.stringify(text)} is neither system nor venv:/absolute/path`,
      {
        hint: "write target: system, or target: venv:/opt/venv",
      },
    );
  }
  return { kind: "venv", path };
}

/** The scheme for `target` with python `version` ([3, 13]) whose interpreter is at `executable`. */
export function schemeFor(
  target: InstallTarget,
  version: readonly [number, number],
  executable: string,
): Scheme {
  const py = `python${version[0]}.${version[1]}`;
  if (target.kind === "system") {
    const site = `usr/local/lib/${py}/dist-packages`;
    return {
      purelib: site,
      platlib: site,
      scripts: "usr/local/bin",
      data: "usr/local",
      headers: (name) => `usr/local/include/${py}/${name}`,
      interpreter: executable,
    };
  }
  const root = target.path.replace(/^\/+/, "");
  const site = `${root}/lib/${py}/site-packages`;
  return {
    purelib: site,
    platlib: site,
    scripts: `${root}/bin`,
    data: root,
    headers: (name) => `${root}/include/site/${py}/${name}`,
    // Entry points must start the venv's python, or the venv's site-packages is not on sys.path.
    interpreter: `/${root}/bin/python`,
  };
}

/**
 * The skeleton of a virtual environment at `target.path` for the image's
 * interpreter, as `python3 -m venv --without-pip` makes it: pyvenv.cfg,
 * bin/python → the interpreter, python3 and python3.X → python, lib64 → lib
 * (on 64-bit Linux), and the empty site-packages.
 */
export function venvEntries(
  target: { kind: "venv"; path: string },
  version: readonly [number, number],
  executable: string,
  mtime: number,
): LayerEntry[] {
  const root = target.path.replace(/^\/+/, "");
  const py = `python${version[0]}.${version[1]}`;
  const home = executable.slice(0, executable.lastIndexOf("/")) || "/";
  const cfg =
    `home = ${home}\n` +
    "include-system-site-packages = false\n" +
    `version = ${version[0]}.${version[1]}\n` +
    `executable = ${executable}\n` +
    `command = ${executable} -m venv ${target.path}\n`;
  const parts = root.split("/");
  const out: LayerEntry[] = [];
  for (let i = 1; i < parts.length; i++) out.push(dirEntry(parts.slice(0, i).join("/"), mtime));
  out.push(
    dirEntry(root, mtime),
    dirEntry(`${root}/bin`, mtime),
    symlinkEntry(`${root}/bin/python`, executable, mtime),
    symlinkEntry(`${root}/bin/python3`, "python", mtime),
    symlinkEntry(`${root}/bin/${py}`, "python", mtime),
    dirEntry(`${root}/include`, mtime),
    dirEntry(`${root}/lib`, mtime),
    dirEntry(`${root}/lib/${py}`, mtime),
    dirEntry(`${root}/lib/${py}/site-packages`, mtime),
    symlinkEntry(`${root}/lib64`, "lib", mtime),
    fileEntry(`${root}/pyvenv.cfg`, cfg, mtime),
  );
  return out;
}
