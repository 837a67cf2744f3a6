// What decides an image's output besides its variant and architecture: the
// bytes of its spec files (includes and presets too) and of every local file
// the spec names (contents sources and tarballs, keyrings, the Python lock and
// project), hashed once per image. Paths are left out and only contents and
// the field that names them count, so a catalog checked out anywhere gives the
// same keys. Other images a spec copies from (contents: image:) are not read:
// the plan adds the key of the unit that makes one, and names others as written
// (an OCI layout by its path from the catalog's folder, as spec loading has
// made that path absolute).

import { createHash, type Hash } from "node:crypto";
import { lstat, readdir, readlink, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { pipeline } from "node:stream/promises";
import { CudasealError } from "../errors.ts";
import { ociDirectory } from "../source/oci-dir-source.ts";
import type { LoadedSpec } from "../spec/types.ts";
import { regularFileStream } from "../util/read-regular-file.ts";

/** Most entries of one named directory taken into a key. */
const MAX_TREE_ENTRIES = 200_000;

/** A local file or folder a spec names, with the field that names it. */
interface NamedInput {
  field: string;
  path: string;
}

/**
 * The sha256 (hex) over the spec files and the local inputs of `loaded`;
 * `image` names it in errors, and layout paths are taken relative to `catalogDir`.
 */
export async function imageInputDigest(
  loaded: LoadedSpec,
  image: string,
  catalogDir: string,
): Promise<string> {
  const hash = createHash("sha256");
  hash.update("cudaseal-catalog-inputs/1\0");
  for (const file of loaded.files) {
    hash.update("spec\0");
    await hashPath(hash, file, image, "spec");
  }
  for (const input of namedInputs(loaded)) {
    hash.update(`${input.field}\0`);
    await hashPath(hash, input.path, image, input.field);
  }
  for (const c of loaded.spec.contents ?? [])
    if (c.image !== undefined) hash.update(`image\0${imageAsWritten(c.image, catalogDir)}\0`);
  return hash.digest("hex");
}

/** A contents image with a layout's directory relative to the catalog, so no checkout's path is in the key. */
function imageAsWritten(text: string, catalogDir: string): string {
  const layout = ociDirectory.parse(text);
  if (layout === undefined) return text;
  return ociDirectory.format({ ...layout, dir: relative(catalogDir, layout.dir) });
}

function namedInputs({ spec }: LoadedSpec): NamedInput[] {
  const inputs: NamedInput[] = [];
  for (const [i, c] of (spec.contents ?? []).entries()) {
    if (c.source !== undefined) inputs.push({ field: `contents.${i}.source`, path: c.source });
    if (c.tarball !== undefined) inputs.push({ field: `contents.${i}.tarball`, path: c.tarball });
  }
  for (const [i, s] of (spec.sources ?? []).entries()) {
    if (typeof s === "string" || !Array.isArray(s.keyring)) continue;
    for (const [j, k] of s.keyring.entries()) inputs.push({ field: `sources.${i}.keyring.${j}`, path: k });
  }
  if (spec.python !== undefined) {
    inputs.push({ field: "python.lock", path: spec.python.lock });
    if (spec.python.project !== undefined)
      inputs.push({ field: "python.project", path: spec.python.project });
  }
  return inputs;
}

/** A file's bytes, a link's target, or a folder's entries in name order, each with its relative path. */
async function hashPath(hash: Hash, path: string, image: string, field: string): Promise<void> {
  let count = 0;
  const walk = async (abs: string, rel: string): Promise<void> => {
    if (++count > MAX_TREE_ENTRIES)
      throw new CudasealError(
        "CATALOG_INVALID",
        `image ${image}: ${field} holds more than ${MAX_TREE_ENTRIES} entries`,
        {
          hint: "pack the files into a tarball (contents: tarball:)",
          details: { image, field },
        },
      );
    // The top is followed when it is a link (the spec names what it points to); links inside are kept.
    const info = rel === "" ? await stat(abs) : await lstat(abs);
    if (info.isSymbolicLink()) {
      hash.update(`L\0${rel}\0${await readlink(abs)}\0`);
    } else if (info.isDirectory()) {
      hash.update(`D\0${rel}\0`);
      const names = (await readdir(abs)).sort();
      for (const name of names) await walk(join(abs, name), rel === "" ? name : `${rel}/${name}`);
    } else {
      // Only the executable bit: the rest of a mode follows the umask of whoever checked the files out.
      hash.update(`F\0${rel}\0${info.mode & 0o111 ? "x" : "-"}\0${info.size}\0`);
      await pipeline(await regularFileStream(abs, field), async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) hash.update(chunk);
      });
    }
  };
  try {
    await walk(path, "");
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      throw new CudasealError(
        "CATALOG_SPEC_MISSING",
        `image ${image}: ${field} names ${path}, which is missing`,
        {
          hint: "the plan keys each unit by the files its spec names; add the file or fix the spec",
          details: { image, field },
        },
      );
    throw new CudasealError("CATALOG_INVALID", `image ${image}: cannot read ${field} (${path})`, {
      cause: err,
      details: { image, field },
    });
  }
}
