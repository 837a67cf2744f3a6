// A JSON file that signing and verification are handed (a bundle, a trusted
// root): read only when it is a regular file, under a cap, and parsed, each
// failure with the code its caller gives, so that neither a FIFO named as a
// bundle nor a truncated root is anything but a coded refusal.

import { CudasealError, type ErrorCode } from "../errors.ts";
import { readRegularFile } from "../util/read-regular-file.ts";

export interface JsonFileRead {
  /** What the file is, in errors: "bundle", "trusted root". */
  what: string;
  /** The most bytes read. */
  max: number;
  /** The code when the file cannot be read (absent, not readable). */
  unreadable: ErrorCode;
  /** The code when it is not JSON. */
  notJson: ErrorCode;
}

/** The parsed JSON of the regular file `path`. */
export async function readJsonFile(path: string, read: JsonFileRead): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(path, { what: read.what, max: read.max });
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError(
      read.unreadable,
      `cannot read the ${read.what} ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new CudasealError(read.notJson, `${path} is not JSON: ${(err as Error).message}`, { cause: err });
  }
}
