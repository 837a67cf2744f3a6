// The cudaseal command line as the end-to-end tests run it, and the spec of
// an image built from a local apt repository (apt-repo.ts).

import { execFile } from "node:child_process";
import { join } from "node:path";
import type { AptRepo } from "./apt-repo.ts";

const BIN = join(import.meta.dirname, "../../bin/cudaseal.js");

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI without blocking: an apt repository or registry served from this process must keep answering. */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { encoding: "utf8", cwd: options.cwd, env: { ...process.env, ...options.env } },
      (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A spec for the image `name` of `packages`, with `repo` (main, its key trusted) as its one source. */
export function aptRepoSpec(repo: AptRepo, name: string, packages: readonly string[]): string {
  return (
    `name: ${name}\npackages: [${packages.join(", ")}]\nsources:\n  - uri: ${repo.url}\n    suites: [${repo.suite}]\n` +
    `    components: [main]\n    keyring: [${repo.publicKeyPath}]\n`
  );
}
