// The control.tar of a .deb: the control record, md5sums, conffiles, and the
// maintainer scripts, kept as data (they are never run).

import { CudasealError } from "../errors.ts";
import { readTar } from "../tar/reader.ts";

export interface DebControl {
  /** The control file as shipped. */
  raw: string;
  md5sums?: string;
  conffiles?: string;
  /** preinst, postinst, prerm, postrm, config, triggers, shlibs, symbols, templates. */
  scripts: Record<string, string>;
}

const KEPT = new Set([
  "control",
  "md5sums",
  "conffiles",
  "preinst",
  "postinst",
  "prerm",
  "postrm",
  "config",
  "triggers",
  "shlibs",
  "symbols",
  "templates",
]);
const MAX_CONTROL_TOTAL = 64 * 1024 * 1024;

export async function readControl(tar: AsyncIterable<Uint8Array>, origin: string): Promise<DebControl> {
  const files = new Map<string, string>();
  let total = 0;
  for await (const entry of readTar(tar, { origin, maxEntrySize: MAX_CONTROL_TOTAL })) {
    if (entry.type !== "file" || !KEPT.has(entry.path)) {
      await entry.skip();
      continue;
    }
    total += entry.size;
    if (total > MAX_CONTROL_TOTAL)
      throw new CudasealError("DEB_INVALID", `${origin}: control.tar is over 64 MiB`);
    const chunks: Buffer[] = [];
    for await (const c of entry.body) chunks.push(c);
    files.set(entry.path, Buffer.concat(chunks).toString("utf8"));
  }
  const raw = files.get("control");
  if (raw === undefined) throw new CudasealError("DEB_INVALID", `${origin}: control.tar has no control file`);
  const scripts: Record<string, string> = {};
  for (const [name, text] of files) {
    if (name !== "control" && name !== "md5sums" && name !== "conffiles") scripts[name] = text;
  }
  return { raw, md5sums: files.get("md5sums"), conffiles: files.get("conffiles"), scripts };
}
