// The shape every subcommand has: a name, help text that teaches, the flags
// it takes, and a run function that calls into the library.

import type { ParseArgsConfig } from "node:util";
import { CudasealError } from "../errors.ts";
import type { Output } from "./output.ts";

export type Flags = NonNullable<ParseArgsConfig["options"]>;
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  /** Full help: usage line, description, examples. */
  help: string;
  flags: Flags;
  run(positionals: string[], flags: FlagValues, out: Output): Promise<number | undefined>;
}

/** Flags every command understands. */
export const COMMON_FLAGS: Flags = {
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
};

/** Flags of every command that reads apt repositories. */
export const SOURCE_FLAGS: Flags = {
  mirror: { type: "string" },
  "security-mirror": { type: "string" },
  "nvidia-mirror": { type: "string" },
  suite: { type: "string" },
  component: { type: "string", multiple: true },
  keyring: { type: "string", multiple: true },
  arch: { type: "string", multiple: true },
  "allow-expired": { type: "boolean" },
  "allow-rollback": { type: "boolean" },
  offline: { type: "boolean" },
  "cache-dir": { type: "string" },
};

export const SOURCE_FLAGS_HELP = `Repository options:
  --mirror URL            Debian archive mirror (default: the one in this machine's apt sources)
  --security-mirror URL   Debian security mirror (default: from this machine's apt sources)
  --nvidia-mirror URL     NVIDIA CUDA repository for the spec's nvidia-cuda source, the folder
                          holding debian13/, ubuntu2404/… (default: from this machine's apt sources)
  --suite NAME            Debian suite (default: trixie)
  --component NAME        component to read, repeatable (default: main contrib non-free)
  --keyring FILE          extra trusted key (ASCII-armored or binary), repeatable
  --arch ARCH             amd64 or arm64, repeatable (default: both for build, amd64 for resolve)
  --allow-expired         accept a Release whose Valid-Until has passed
  --allow-rollback        accept a Release older than one already seen (a move to an older snapshot)
  --offline               make no request: use the metadata and indexes the cache kept from the last
                          read, while their Valid-Until holds
  --cache-dir DIR         where downloads are kept (default: ~/.cache/cudaseal)`;

export function stringFlag(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === "string" ? v : undefined;
}

/** `KEY=VALUE` items of the flag `flag` as a record (a later key wins); USAGE naming the first item without a key. */
export function keyValues(items: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf("=");
    if (at < 1) throw new CudasealError("USAGE", `--${flag} takes KEY=VALUE, not ${JSON.stringify(item)}`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

export function listFlag(flags: FlagValues, name: string): string[] | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [String(v)]).flatMap((s) => s.split(",")).filter(Boolean);
  return list.length ? list : undefined;
}
