// xz decompression in a child `xz` process, where the machine has one: the
// system's liblzma decodes the multi-block streams that dpkg-deb writes on
// several threads, and runs beside the event loop on its own cores. On CUDA
// packages it is 2-4x faster than lzma-native's bundled liblzma (see
// docs/performance.md). Without an `xz` binary, or with CUDASEAL_XZ=native,
// lzma-native does the work.

import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { Duplex } from "node:stream";

let found: string | null | undefined;

/** The path of an executable `xz` on PATH, unless CUDASEAL_XZ=native. */
export function xzBinary(): string | undefined {
  if (process.env.CUDASEAL_XZ === "native") return undefined;
  if (found === undefined) {
    found = null;
    for (const dir of (process.env.PATH ?? "").split(delimiter)) {
      if (!dir) continue;
      try {
        accessSync(join(dir, "xz"), constants.X_OK);
        found = join(dir, "xz");
        break;
      } catch {
        // not here
      }
    }
  }
  return found ?? undefined;
}

/**
 * A duplex stream around `xz --decompress`: bytes written go to its stdin,
 * its stdout is read. The readable side ends only once xz has exited 0, so
 * a truncated or corrupt stream is an error, never a short clean end.
 */
export class XzProcess extends Duplex {
  readonly #child;
  #stderr = "";
  #stdoutEnded = false;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #pendingWrite: (() => void) | undefined;

  constructor(binary: string, memlimit: number) {
    super();
    this.#child = spawn(
      binary,
      ["--decompress", "--stdout", "--threads=0", `--memlimit-decompress=${memlimit}`],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    const child = this.#child;
    child.stdout.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stdout.on("end", () => {
      this.#stdoutEnded = true;
      this.#settle();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (this.#stderr.length < 4096) this.#stderr += chunk.toString();
    });
    // xz stops reading when it fails; its exit status tells why, not the EPIPE.
    child.stdin.on("error", () => {});
    child.on("error", (err) => this.destroy(err));
    child.on("close", (code, signal) => {
      this.#exit = { code, signal };
      this.#pendingWrite?.();
      this.#pendingWrite = undefined;
      this.#settle();
    });
  }

  override _read(): void {
    this.#child.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.#exit) {
      done();
      return;
    }
    if (this.#child.stdin.write(chunk)) {
      done();
      return;
    }
    this.#pendingWrite = () => done();
    this.#child.stdin.once("drain", () => {
      const pending = this.#pendingWrite;
      this.#pendingWrite = undefined;
      pending?.();
    });
  }

  override _final(done: (err?: Error | null) => void): void {
    this.#child.stdin.end();
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (!this.#exit) this.#child.kill();
    done(err);
  }

  #settle(): void {
    if (!this.#stdoutEnded || !this.#exit || this.destroyed) return;
    if (this.#exit.code === 0) this.push(null);
    else
      this.destroy(new Error(`xz: ${this.#stderr.trim() || `exit ${this.#exit.code ?? this.#exit.signal}`}`));
  }
}
