// Every subcommand, in the order --help lists them.

import type { Command } from "../command.ts";
import { buildCommand } from "./build.ts";
import { compareCommand } from "./compare.ts";
import { presetsCommand } from "./presets.ts";
import { lockCommand, resolveCommand } from "./resolve.ts";
import { sbomCommand } from "./sbom.ts";
import { scanCommand } from "./scan.ts";

export const commands: Command[] = [
  buildCommand,
  compareCommand,
  presetsCommand,
  lockCommand,
  resolveCommand,
  sbomCommand,
  scanCommand,
];
