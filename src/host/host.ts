// The seam between cudaseal and the machine it runs on (doctor's checks, the
// GPU driver `run` binds): every file is read under a configurable root (so
// tests run against a fake tree of /proc, /dev and /etc), programs are found
// on a configurable PATH, and the two probes a tree cannot fake (statfs,
// running a program) can be replaced.
//
// A tree under --host-root may be hostile (a copied or mounted image of
// another machine): its symlinks are resolved as if the root were `/`, an
// absolute target from the root and `..` stopping there, so no read leaves
// it; only regular files are read, and at most MAX_FILE of each.

import { execFile } from "node:child_process";
import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  statfsSync,
  statSync,
} from "node:fs";
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
/** As the kernel's limit on symlinks followed in one lookup. */
const MAX_LINKS = 40;

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

  /**
   * The real path of a host path (`/proc/x` → `<root>/proc/x`), its symlinks
   * resolved inside the root; undefined for a symlink loop.
   */
  at(path: string): string | undefined {
    if (this.root === "/") return join("/", path);
    const rest = path.split("/").filter(Boolean);
    const done: string[] = [];
    let links = 0;
    while (rest.length > 0) {
      const part = rest.shift() as string;
      if (part === ".") continue;
      if (part === "..") {
        done.pop();
        continue;
      }
      const here = join(this.root, ...done, part);
      let target: string | undefined;
      try {
        if (lstatSync(here).isSymbolicLink()) target = readlinkSync(here);
      } catch {
        // missing: the lookup fails where the caller uses it
      }
      if (target === undefined) {
        done.push(part);
        continue;
      }
      if (++links > MAX_LINKS) return undefined;
      if (target.startsWith("/")) done.length = 0;
      rest.unshift(...target.split("/").filter(Boolean));
    }
    return join(this.root, ...done);
  }

  /** A host file's text (its first MAX_FILE bytes), or undefined when it is not a readable regular file. */
  read(path: string): string | undefined {
    const at = this.at(path);
    if (at === undefined) return undefined;
    let fd: number | undefined;
    try {
      // O_NONBLOCK: a FIFO planted in the tree must not hang the open. Under another
      // root, at() has resolved every link: one appearing since is not followed.
      const nofollow = this.root === "/" ? 0 : constants.O_NOFOLLOW;
      fd = openSync(at, constants.O_RDONLY | constants.O_NONBLOCK | nofollow);
      if (!fstatSync(fd).isFile()) return undefined;
      const buf = Buffer.alloc(MAX_FILE);
      let used = 0;
      while (used < MAX_FILE) {
        const n = readSync(fd, buf, used, MAX_FILE - used, null);
        if (n === 0) break;
        used += n;
      }
      return buf.subarray(0, used).toString("utf8");
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  exists(path: string): boolean {
    const at = this.at(path);
    if (at === undefined) return false;
    try {
      statSync(at);
      return true;
    } catch {
      return false;
    }
  }

  isDirectory(path: string): boolean {
    const at = this.at(path);
    if (at === undefined) return false;
    try {
      return statSync(at).isDirectory();
    } catch {
      return false;
    }
  }

  /** A host directory's entries, sorted; empty when it cannot be read. */
  list(path: string): string[] {
    const at = this.at(path);
    if (at === undefined) return [];
    try {
      return readdirSync(at).sort();
    } catch {
      return [];
    }
  }

  /** The total size of the file system holding a host path, or undefined. */
  fsBytes(path: string): number | undefined {
    const at = this.at(path);
    if (at === undefined) return undefined;
    try {
      return this.statfsProbe(at).totalBytes;
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
