// update-alternatives links that packages declare in their postinst. With no
// scripts run, the links must be made here, or libraries that are reached only
// through them (Debian's BLAS and LAPACK: libblas.so.3) are missing. As
// update-alternatives does in auto mode, the highest priority wins per name.

export interface Alternative {
  link: string;
  name: string;
  path: string;
  priority: number;
}

/** The `update-alternatives --install` calls in a maintainer script, with arch variables expanded. */
export function parseAlternatives(script: string, multiarch: string): Alternative[] {
  const found: Alternative[] = [];
  const text = script.replace(/\\\n/g, " ");
  const re = /update-alternatives\s+(?:--[a-z-]+\s+)*--install\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)/g;
  for (const m of text.matchAll(re)) {
    const expand = (s: string) =>
      s
        .replace(/^["']|["']$/g, "")
        .replace(
          /\$\{?DEB_HOST_MULTIARCH\}?|\$\{?MULTIARCH\}?|\$\{?TRIPLET\}?|\$\{?DEB_HOST_GNU_TYPE\}?/g,
          multiarch,
        );
    const alt = { link: expand(m[1]), name: expand(m[2]), path: expand(m[3]), priority: Number(m[4]) };
    if (alt.link.includes("$") || alt.path.includes("$") || !alt.link.startsWith("/")) continue;
    found.push(alt);
  }
  return found;
}

/** One link per alternative name: the highest priority whose target is present. */
export function chooseAlternatives(
  all: readonly Alternative[],
  exists: (path: string) => boolean,
): Alternative[] {
  const best = new Map<string, Alternative>();
  for (const alt of all) {
    if (!exists(alt.path.replace(/^\/+/, ""))) continue;
    const prev = best.get(alt.name);
    if (!prev || alt.priority > prev.priority || (alt.priority === prev.priority && alt.path < prev.path)) {
      best.set(alt.name, alt);
    }
  }
  return [...best.values()].sort((a, b) => (a.link < b.link ? -1 : a.link > b.link ? 1 : 0));
}

/**
 * NVIDIA's toolkit folders: cuda-toolkit-X-Y-config-common's postinst points
 * /usr/local/cuda and /usr/local/cuda-X at /usr/local/cuda-X.Y through
 * update-alternatives, with priority X·10+Y. With no scripts run, the same
 * links come from the NVIDIA packages installed (any `cuda-*-X-Y`, or a
 * CUDA library named `lib…-X-Y`): the newest X.Y for /usr/local/cuda, the
 * newest of each major for /usr/local/cuda-X. The priorities equal NVIDIA's,
 * so alternatives read from the real postinst agree with these.
 */
export function cudaAlternatives(packageNames: Iterable<string>): Alternative[] {
  const versions = new Map<string, [number, number]>();
  for (const name of packageNames) {
    const m = /^(?:cuda-[a-z0-9-]+?|lib(?:cu|nv|npp)[a-z0-9]*)-(\d+)-(\d+)(?:-config-common)?$/.exec(name);
    if (m) versions.set(`${Number(m[1])}.${Number(m[2])}`, [Number(m[1]), Number(m[2])]);
  }
  return [...versions].flatMap(([version, [major, minor]]) => {
    const path = `/usr/local/cuda-${version}`;
    const priority = major * 10 + minor;
    return [
      { link: "/usr/local/cuda", name: "cuda", path, priority },
      { link: `/usr/local/cuda-${major}`, name: `cuda-${major}`, path, priority },
    ];
  });
}

/** Debian's multiarch tuple for an architecture. */
export function multiarchTuple(arch: string): string {
  const tuples: Record<string, string> = {
    amd64: "x86_64-linux-gnu",
    arm64: "aarch64-linux-gnu",
    armhf: "arm-linux-gnueabihf",
    ppc64el: "powerpc64le-linux-gnu",
    s390x: "s390x-linux-gnu",
    i386: "i386-linux-gnu",
    riscv64: "riscv64-linux-gnu",
  };
  return tuples[arch] ?? `${arch}-linux-gnu`;
}
