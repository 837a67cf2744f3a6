// The cudaseal command line: parses argv, dispatches to a subcommand, and
// turns library errors into a short explanation with an exit code.

import { parseArgs } from "node:util";
import { CudasealError } from "../errors.ts";
import { cleanUpOnInterrupt } from "../util/interrupt-cleanup.ts";
import { COMMON_FLAGS, type Command } from "./command.ts";
import { commands } from "./commands/index.ts";
import { Output } from "./output.ts";

const VERSION = "0.1.0";

function topHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const list = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
  return `cudaseal ${VERSION}: minimal, hardened, reproducible CUDA container images from signed apt packages

Usage: cudaseal <command> [options]

Commands:
${list}

Every command takes --json (machine-readable output on stdout; for run, whose
stdout is the container's, only its errors), --quiet, and --help.
Run 'cudaseal <command> --help' for its options and examples.`;
}

/** Exit codes: 0 fine, 1 a user-facing failure, 2 bad usage, 70 a bug. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    const target = name === "help" ? commands.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write(`${target ? (await target.load()).help : topHelp()}\n`);
    return 0;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(
      `error [USAGE]: unknown command '${name}'\n  hint: run 'cudaseal --help' for the list\n`,
    );
    return 2;
  }
  return runCommand(await entry.load(), rest);
}

async function runCommand(command: Command, argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...COMMON_FLAGS, ...command.flags },
      allowPositionals: true,
    });
  } catch (err) {
    process.stderr.write(
      `error [USAGE]: ${(err as Error).message}\n  hint: run 'cudaseal ${command.name} --help'\n`,
    );
    return 2;
  }
  const flags = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (flags.help) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  const out = new Output({ json: flags.json === true, quiet: flags.quiet === true });
  const uninstall = cleanUpOnInterrupt();
  try {
    return (await command.run(parsed.positionals, flags, out)) ?? 0;
  } catch (err) {
    return report(err, out);
  } finally {
    uninstall();
  }
}

function report(err: unknown, out: Output): number {
  if (err instanceof CudasealError) {
    if (out.json) {
      process.stdout.write(`${JSON.stringify({ error: err.toJSON() }, null, 2)}\n`);
    }
    let text = `error [${err.code}]: ${err.message}\n`;
    if (err.hint) text += `  hint: ${err.hint}\n`;
    if (err.code === "INTERNAL") text += internalNote(err);
    process.stderr.write(text);
    return err.code === "USAGE" ? 2 : err.code === "INTERNAL" ? 70 : 1;
  }
  process.stderr.write(`error [INTERNAL]: ${(err as Error)?.stack ?? String(err)}\n${internalNote(err)}`);
  return 70;
}

function internalNote(_err: unknown): string {
  return "  this is a bug in cudaseal: please report it with the command you ran and the output above\n";
}
