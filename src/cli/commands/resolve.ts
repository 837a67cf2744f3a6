// `cudaseal resolve` and `cudaseal lock`: the verified install set.

import { ContentStore } from "../../cache/content-store.ts";
import { CudasealError } from "../../errors.ts";
import { lockFromSources, repositoryName, serializeLock } from "../../resolve/index.ts";
import { loadSpec } from "../../spec/load.ts";
import { DEFAULT_PRESET } from "../../spec/presets.ts";
import type { Spec } from "../../spec/types.ts";
import { writeOutputFile } from "../../util/atomic-file.ts";
import {
  type Command,
  type FlagValues,
  listFlag,
  SOURCE_FLAGS,
  SOURCE_FLAGS_HELP,
  stringFlag,
} from "../command.ts";
import type { Output } from "../output.ts";
import { cacheDirFrom, sourcesFrom } from "../sources-options.ts";

export const resolveCommand: Command = {
  name: "resolve",
  help: `Usage: cudaseal resolve PACKAGE... [options]

Reads the signed apt metadata (InRelease checked against the Debian keys
shipped with cudaseal, each Packages index checked against it) and resolves
the packages and their dependencies to exact versions, the way apt would,
without Recommends. The NVIDIA driver libraries (libcuda1, libnvidia-ml1…)
are never part of the result: the host provides them at run time.

PACKAGE is name, name=version, name:arch, or 'name (>= version)'.

Options:
  --provided NAME         satisfied without installing (repeatable; * matches)
  --exclude NAME          never install (repeatable; * matches)
  --recommends            install Recommends too
  --output FILE           write the lock there instead of stdout
${SOURCE_FLAGS_HELP}

Examples:
  cudaseal resolve libcudart12 libcublas12 --arch amd64
  cudaseal resolve python3-numpy --arch arm64 --json > lock.json`,
  flags: {
    ...SOURCE_FLAGS,
    provided: { type: "string", multiple: true },
    exclude: { type: "string", multiple: true },
    recommends: { type: "boolean" },
    output: { type: "string", short: "o" },
  },
  async run(positionals, flags, out) {
    if (positionals.length === 0) {
      throw new CudasealError("USAGE", "name at least one package", { hint: "cudaseal resolve libcudart12" });
    }
    return writeLock(positionals, flags, out, ["amd64"], {});
  },
};

export const lockCommand: Command = {
  name: "lock",
  help: `Usage: cudaseal lock [SPEC.yaml] [--preset NAME] [-o FILE] [options]

Resolves a spec (default: the ${DEFAULT_PRESET} preset) for each of its
architectures and writes the lock: every package's name, version,
architecture, source, URL and SHA256. 'cudaseal build --lock FILE' replays it
byte for byte, whatever the archive holds by then.

Options:
  --preset NAME           a built-in spec (see 'cudaseal presets')
  -o, --output FILE       where to write (default: stdout)
${SOURCE_FLAGS_HELP}

Example:
  cudaseal lock --preset cuda-runtime -o cuda-runtime.lock.json`,
  flags: { ...SOURCE_FLAGS, preset: { type: "string" }, output: { type: "string", short: "o" } },
  async run(positionals, flags, out) {
    const ref = positionals[0] ?? `preset:${stringFlag(flags, "preset") ?? DEFAULT_PRESET}`;
    const { spec } = loadSpec(ref);
    return writeLock(spec.packages ?? [], flags, out, spec.archs ?? ["amd64", "arm64"], {
      provided: spec.provided,
      recommends: spec.recommends,
      spec,
    });
  },
};

async function writeLock(
  packages: string[],
  flags: FlagValues,
  out: Output,
  defaultArchs: string[],
  extra: { provided?: string[]; recommends?: boolean; spec?: Spec },
): Promise<number> {
  const archs = listFlag(flags, "arch") ?? defaultArchs;
  const result = await lockFromSources({
    sources: sourcesFrom(flags, extra.spec),
    archs,
    packages,
    cuda: extra.spec ? { cuda: extra.spec.cuda, cudnn: extra.spec.cudnn, nccl: extra.spec.nccl } : undefined,
    provided: [...(extra.provided ?? []), ...(listFlag(flags, "provided") ?? [])],
    excludes: listFlag(flags, "exclude"),
    recommends: flags.recommends === true || extra.recommends === true,
    store: new ContentStore(cacheDirFrom(flags)),
    onNote: (n) => out.note(n),
  });
  const text = serializeLock(result.lock);
  const file = stringFlag(flags, "output");
  if (file) {
    await writeOutputFile(file, text);
  }
  if (out.json || !file) {
    if (out.json)
      out.jsonData({
        lock: result.lock,
        suites: result.suites.map((s) => ({ uri: s.uri, suite: s.suite, signer: s.signer })),
      });
    else out.data(text);
  }
  for (const s of result.suites) out.note(`verified ${s.uri} ${s.suite} (signed by ${s.signer})`);
  for (const r of result.resolutions) {
    const counts = new Map<string, number>();
    for (const p of r.packages) {
      const name = repositoryName(p.repo);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    for (const [name, n] of [...counts].sort()) out.note(`${r.arch}: ${n} from ${name}`);
  }
  for (const r of result.resolutions) {
    out.note(
      `${r.arch}: ${r.packages.length} packages, ${formatSize(r.packages.reduce((n, p) => n + p.size, 0))} to download` +
        (r.hostProvided.length
          ? `; not installed (host-provided or listed as provided): ${r.hostProvided.join(", ")}`
          : ""),
    );
  }
  return 0;
}

function formatSize(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
