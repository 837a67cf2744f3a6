// A real disk small enough to fill: a tmpfs of a given size mounted on a
// fresh folder, so a write past its size fails with ENOSPC from the kernel,
// as on a full disk. Mounting needs root; elsewhere the caller gets the
// reason to skip with.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SmallDisk {
  /** The mounted folder. */
  path: string;
  /** Unmount it and remove the folder. */
  remove(): void;
}

/** Mount a tmpfs of `size` (mount(8)'s syntax: `2m`), or say why it cannot be done here. */
export function smallDisk(size: string): SmallDisk | string {
  if (process.getuid?.() !== 0) return "mounting a small tmpfs to fill needs root";
  const path = mkdtempSync(join(tmpdir(), "cudaseal-small-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", path], { stdio: "pipe" });
  } catch (err) {
    rmSync(path, { recursive: true, force: true });
    return `cannot mount a tmpfs here: ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? err}`;
  }
  return {
    path,
    remove() {
      execFileSync("umount", [path], { stdio: "pipe" });
      rmSync(path, { recursive: true, force: true });
    },
  };
}
