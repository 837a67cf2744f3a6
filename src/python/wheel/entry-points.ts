// Console and GUI entry points (entry_points.txt) as the small launcher
// scripts pip writes: the same text, with the image's interpreter in the
// `#!` line. The module and attribute names go into Python source, so each
// must be a dotted identifier; anything else is refused, never quoted.

import { CudasealError } from "../../errors.ts";

export interface EntryPoint {
  /** Script file name in the scheme's scripts folder. */
  name: string;
  module: string;
  /** Dotted attribute path inside the module (e.g. `cli.main`). */
  attr: string;
}

const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const SCRIPT_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;

/** The console_scripts and gui_scripts of an entry_points.txt (INI), in file order. */
export function parseEntryPoints(text: string, origin: string): EntryPoint[] {
  const out: EntryPoint[] = [];
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = (header[1] as string).trim();
      continue;
    }
    if (section !== "console_scripts" && section !== "gui_scripts") continue;
    const eq = line.indexOf("=");
    const name = line.slice(0, eq).trim();
    // `module:attr [extra1, extra2]`: extras select dependencies, not code.
    const value = line
      .slice(eq + 1)
      .replace(/\[.*\]\s*$/, "")
      .trim();
    const [module, attr, more] = value.split(":").map((s) => s.trim());
    if (eq < 0 || !SCRIPT_NAME.test(name) || name === "." || name === "..") {
      throw new CudasealError(
        "WHEEL_UNSAFE_PATH",
        `${origin}: entry point name ${JSON.stringify(name)} is not a plain file name`,
        {
          hint: "the wheel is malformed or hostile; do not use it",
          details: { wheel: origin, entryPoint: name },
        },
      );
    }
    if (!module || !DOTTED.test(module) || !attr || !DOTTED.test(attr) || more !== undefined) {
      throw new CudasealError(
        "WHEEL_INVALID",
        `${origin}: entry point ${name} = ${JSON.stringify(value)} is not module:attribute`,
        {
          hint: "the wheel is malformed or hostile; do not use it",
          details: { wheel: origin, entryPoint: name },
        },
      );
    }
    out.push({ name, module, attr });
  }
  return out;
}

/** The launcher script for `ep`, as pip writes it, run by `interpreter`. */
export function entryPointScript(ep: EntryPoint, interpreter: string): string {
  const importName = ep.attr.split(".")[0];
  return (
    `#!${interpreter}\n` +
    "# -*- coding: utf-8 -*-\n" +
    "import re\n" +
    "import sys\n" +
    `from ${ep.module} import ${importName}\n` +
    "if __name__ == '__main__':\n" +
    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n" +
    `    sys.exit(${ep.attr}())\n`
  );
}

/**
 * A `.data/scripts/` file whose first line starts with `#!python` (PEP 427:
 * `#!python`, `#!pythonw`, and, as pip reads it, `#!python3`) pointed at
 * `interpreter`: the interpreter word is replaced whole, its arguments kept,
 * a CR before the newline dropped. Any other script is left as it is.
 */
export function fixScriptShebang(bytes: Buffer, interpreter: string): Buffer {
  const m = /^#!python\S*([^\n]*?)\r?\n/.exec(
    bytes.subarray(0, Math.min(bytes.length, 4096)).toString("latin1"),
  );
  if (!m) return bytes;
  return Buffer.concat([Buffer.from(`#!${interpreter}${m[1]}\n`, "latin1"), bytes.subarray(m[0].length)]);
}
