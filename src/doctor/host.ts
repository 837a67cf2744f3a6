// The seam between the checks and the machine: every file is read under a
// configurable root (so tests run against a fake tree of /proc, /dev and
// /etc), programs are found on a configurable PATH, and the two probes a
// tree cannot fake (statfs, running a program) can be replaced.

import { execFile } from "node:child_process";
import { accessSync, constants, readdirSync, readFileSync, statfsSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";

export interface HostOptions {
  /** Where the host's file system starts (default `/`; `CUDASEAL_HOST_ROOT`, `--host-root`). */
  root?: string;
  /** The PATH programs are looked up on (default: this process's). */
  path?: string;
  /** Free and total bytes of a file system, for /dev/shm (default: statfs). */
  statfs?: (path: string) => { totalBytes: number };
  /** How long a probe program (nvidia-smi) may take. */
  timeoutMs?: number;
}

export interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Status and sysfs files are small: read at most this much of any file. */
const MAX_FILE = 1024 * 1024;

export class Host {
  readonly root: string;
  private readonly path: string;
  private readonly statfsProbe: (path: string) => { totalBytes: number };
  private readonly timeoutMs: number;

  constructor(options: HostOptions = {}) {
    this.root = options.root ?? "/";
    this.path = options.path ?? process.env.PATH ?? "";
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.statfsProbe =
      options.statfs ??
      ((p) => {
        const s = statfsSync(p);
        return { totalBytes: Number(s.blocks) * Number(s.bsize) };
      });
  }

  /** The real path of a host path (`/proc/x` → `<root>/proc/x`). */
  at(path: string): string {
    return join(this.root, path);
  }

  /** A host file's text, or undefined when it cannot be read. */
  read(path: string): string | undefined {
    try {
      const text = readFileSync(this.at(path));
      return text.subarray(0, MAX_FILE).toString("utf8");
    } catch {
      return undefined;
    }
  }

  exists(path: string): boolean {
    try {
      statSync(this.at(path));
      return true;
    } catch {
      return false;
    }
  }

  isDirectory(path: string): boolean {
    try {
      return statSync(this.at(path)).isDirectory();
    } catch {
      return false;
    }
  }

  /** A host directory's entries, sorted; empty when it cannot be read. */
  list(path: string): string[] {
    try {
      return readdirSync(this.at(path)).sort();
    } catch {
      return [];
    }
  }

  /** The total size of the file system holding a host path, or undefined. */
  fsBytes(path: string): number | undefined {
    try {
      return this.statfsProbe(this.at(path)).totalBytes;
    } catch {
      return undefined;
    }
  }

  /** The first executable `name` on PATH. */
  which(name: string): string | undefined {
    for (const dir of this.path.split(delimiter)) {
      if (!dir) continue;
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // not here
      }
    }
    return undefined;
  }

  /** Run a program found on PATH; never throws. */
  run(file: string, args: string[]): Promise<RunResult> {
    return new Promise((resolve) => {
      execFile(
        file,
        args,
        { timeout: this.timeoutMs, maxBuffer: MAX_FILE, env: { ...process.env, PATH: this.path } },
        (err, stdout, stderr) =>
          resolve({ ok: err === null, stdout: String(stdout), stderr: String(stderr) }),
      );
    });
  }
}
