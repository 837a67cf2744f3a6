// `cudaseal presets`: the built-in specs.

import { listPresets } from "../../spec/presets.ts";
import type { Command } from "../command.ts";

export const presetsCommand: Command = {
  name: "presets",
  help: `Usage: cudaseal presets [--json]

Lists the specs shipped with cudaseal, with the packages each asks for (their
dependencies come on top). Build one with 'cudaseal build --preset NAME'.
The -dev variants add a shell, coreutils and apt and run as root: for
debugging only.`,
  flags: {},
  async run(_positionals, _flags, out) {
    const presets = listPresets();
    if (out.json) {
      out.jsonData(
        presets.map((p) => ({
          name: p.name,
          description: p.description,
          archs: p.archs,
          packages: p.packages,
          packageCount: p.packages.length,
          runAs: p.spec.accounts?.runAs,
          dev: p.dev,
        })),
      );
      return 0;
    }
    const width = Math.max(...presets.map((p) => p.name.length));
    out.data(`${"NAME".padEnd(width)}  PKGS  ARCHS        DESCRIPTION`);
    for (const p of presets) {
      out.data(
        `${p.name.padEnd(width)}  ${String(p.packages.length).padStart(4)}  ${p.archs.join(",").padEnd(11)}  ${p.description}`,
      );
    }
    return 0;
  },
};
