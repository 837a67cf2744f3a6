// Every subcommand, in the order --help lists them.

import type { Command } from "../command.ts";
import { buildCommand } from "./build.ts";
import { presetsCommand } from "./presets.ts";
import { lockCommand, resolveCommand } from "./resolve.ts";
import { sbomCommand } from "./sbom.ts";
import { scanCommand } from "./scan.ts";

export const commands: Command[] = [
  buildCommand,
  presetsCommand,
  lockCommand,
  resolveCommand,
  sbomCommand,
  scanCommand,
];
