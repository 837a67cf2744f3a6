// What push, pull and copy share once their positionals are checked: the
// copy tuning flags, and the one copy they make with them, timed and
// reported the same way (copy-summary.ts).

import { copyImage } from "../copy/copy-image.ts";
import type { ImageRef } from "../source/image-ref.ts";
import { type Flags, type FlagValues, listFlag, stringFlag } from "./command.ts";
import { reportCopy } from "./commands/copy-summary.ts";
import type { Output } from "./output.ts";
import { chunkSizeFrom, jobsFrom, REGISTRY_FLAGS, registryOptionsFrom } from "./registry-options.ts";

/** The flags of a copy to a registry (push, copy); pull takes those that make sense for a download. */
export const COPY_FLAGS: Flags = {
  ...REGISTRY_FLAGS,
  arch: { type: "string" },
  "mount-from": { type: "string", multiple: true },
  "chunk-size": { type: "string" },
  jobs: { type: "string" },
  "no-referrers": { type: "boolean" },
};

/** Copy `source` to `target` as the flags say, and report it; a flag the command lacks stays at its default. */
export async function copyWithFlags(
  source: ImageRef,
  target: ImageRef,
  flags: FlagValues,
  out: Output,
): Promise<number> {
  const started = performance.now();
  const summary = await copyImage(source, target, {
    registry: await registryOptionsFrom(flags, loginRegistry(source, target)),
    arch: stringFlag(flags, "arch"),
    mountFrom: listFlag(flags, "mount-from"),
    chunkSize: chunkSizeFrom(flags),
    concurrency: jobsFrom(flags),
    referrers: flags["no-referrers"] !== true,
    progress: out.progress(),
    onNote: (n) => out.warn(n),
  });
  reportCopy(out, summary, (performance.now() - started) / 1000);
  return 0;
}

/** The registry that --username logs in to: the destination's, else (a pull) the source's. */
function loginRegistry(source: ImageRef, target: ImageRef): string | undefined {
  if (target.transport === "docker") return target.registry;
  return source.transport === "docker" ? source.registry : undefined;
}
