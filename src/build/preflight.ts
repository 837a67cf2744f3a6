// The build's first step: every input the spec and the sources name on this
// machine is checked before any work, so that a missing layout or a mistyped
// key path fails in a moment with the error the later stage would give, not
// after minutes of resolving and building layers. Only what is cheap is
// checked: files exist and are what they must be, a layout or archive holds
// the image and platform named. A registry image is left to the layers stage
// (it needs the network and credentials).

import { lstat } from "node:fs/promises";
import { isBuiltinKeyringName, loadKeyringFile } from "../apt/keyring.ts";
import type { AptSource } from "../apt/sources.ts";
import { CudasealError, type ErrorCode } from "../errors.ts";
import { parseImageRef } from "../source/image-ref.ts";
import { openImage } from "../source/image-source.ts";
import type { Spec, SpecContent } from "../spec/types.ts";
import { openRegularFile } from "../util/read-regular-file.ts";

/** What the pre-flight reads: the spec, the architectures built, and the sources unless a lock replaces them. */
export interface PreflightInputs {
  spec: Spec;
  archs: readonly string[];
  sources: readonly AptSource[];
  /** A lock is replayed: the sources' keyrings are not read. */
  locked: boolean;
}

/** Check every local input the build will read; throws the coded error the later stage would. */
export async function preflight(inputs: PreflightInputs): Promise<void> {
  if (!inputs.locked) await checkKeyrings(inputs.sources);
  for (const item of inputs.spec.contents ?? []) await checkContent(item, inputs.archs);
  await checkPython(inputs.spec);
}

/** A source's key files are read and parsed now (small), as the resolve stage would. */
async function checkKeyrings(sources: readonly AptSource[]): Promise<void> {
  const files = new Set<string>();
  for (const s of sources)
    if (s.keyring !== "debian") for (const k of s.keyring) if (!isBuiltinKeyringName(k)) files.add(k);
  for (const file of files) await loadKeyringFile(file);
}

const CONTENTS_HINT = "contents paths are relative to the spec file";

async function checkContent(item: SpecContent, archs: readonly string[]): Promise<void> {
  if (item.source !== undefined) await checkLocalPath(item.source);
  else if (item.tarball !== undefined)
    await checkRegularFile(item.tarball, "contents tarball", "CONTENT_INVALID", CONTENTS_HINT);
  else if (item.image !== undefined) {
    const ref = parseImageRef(item.image);
    if (ref.transport === "docker") return;
    // The same open as the contents layer's: the layout or archive, the image
    // its tag or digest names, and each platform built.
    for (const arch of archs) await openImage(ref, { arch });
  }
}

async function checkPython(spec: Spec): Promise<void> {
  const python = spec.python;
  if (python === undefined) return;
  await checkRegularFile(
    python.lock,
    "Python lock",
    "PY_LOCK_INVALID",
    "python.lock names the lock relative to the spec's file; check the path",
  );
  if (python.project !== undefined) await checkLocalPath(python.project);
}

/** A contents source (file, directory or symlink), as the contents layer reads it. */
async function checkLocalPath(path: string): Promise<void> {
  await lstat(path).catch((err) => {
    throw new CudasealError("CONTENT_INVALID", `cannot read ${path}`, {
      hint: CONTENTS_HINT,
      cause: err,
    });
  });
}

/** A file that must be a regular file, opened (and closed) as its stage opens it; `code` when it cannot be. */
async function checkRegularFile(path: string, what: string, code: ErrorCode, hint: string): Promise<void> {
  try {
    await (await openRegularFile(path, what)).handle.close();
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError(code, `cannot read ${what} ${path}: ${(err as Error).message}`, {
      hint,
      cause: err,
    });
  }
}
