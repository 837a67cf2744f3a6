// What the build learned while writing an image's layers, made into the
// facts its SBOM adds to the lock's packages: each package's licence (from
// the copyright file in its .deb), each package's files where asked, the
// Python wheels it installed, and the user's files (the contents layer and the spec's `paths` files), which no
// package owns. The accounts, CA bundle, os-release and status.d records the
// build generates are neither, as file-ownership.ts says of any image.

import { createHash } from "node:crypto";
import type { SpecPath } from "../spec/types.ts";
import { type CopyrightLicense, copyrightLicense } from "./copyright.ts";
import type { PythonSbomPackage, SbomFacts, SbomFile } from "./model.ts";

/** Gathered by the build for one architecture. */
export interface BuiltFiles {
  /** [package, copyright file text], from each package layer's meta. */
  copyrights: readonly (readonly [string, string])[];
  /** [package, path, sha256, sha1] of every kept package file, when files were asked for. */
  packageFiles?: readonly (readonly [string, string, string, string])[];
  /** The contents layer's regular files, hashed while it was written. */
  contents: readonly SbomFile[];
  /** The wheels the Python layers installed (pythonSbomPackage makes each from its METADATA). */
  python?: readonly PythonSbomPackage[];
}

const EMPTY = {
  sha256: createHash("sha256").digest("hex"),
  sha1: createHash("sha1").digest("hex"),
};

/** The SBOM facts of a built image. */
export function builtImageFacts(built: BuiltFiles, specPaths: readonly SpecPath[] = []): SbomFacts {
  const licenses = new Map<string, CopyrightLicense>();
  for (const [name, text] of built.copyrights) {
    const license = copyrightLicense(text);
    if (license !== undefined) licenses.set(name, license);
  }
  // The contents layer comes last: its files replace whatever the system layer put at the same path.
  const user = new Map<string, SbomFile>();
  for (const p of specPaths) {
    if (p.type !== "file") continue;
    const path = `/${p.path.replace(/^\/+/, "").replace(/\/+$/, "")}`;
    user.set(path, { path, ...EMPTY });
  }
  for (const file of built.contents) user.set(file.path, file);
  const facts: SbomFacts = { licenses, unowned: [...user.values()] };
  if (built.python !== undefined) facts.python = built.python;
  if (built.packageFiles !== undefined) {
    const packageFiles = new Map<string, SbomFile[]>();
    for (const [name, path, sha256, sha1] of built.packageFiles) {
      // A package file the user's contents replaced is not the package's any more.
      if (user.has(path)) continue;
      let list = packageFiles.get(name);
      if (list === undefined) {
        list = [];
        packageFiles.set(name, list);
      }
      list.push({ path, sha256, sha1 });
    }
    facts.packageFiles = packageFiles;
  }
  return facts;
}
