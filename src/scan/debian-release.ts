// Which Debian release an image is, as the tracker names it (a codename), and
// the release numbers OSV ecosystems use (`Debian:13`).

const CODENAMES: Record<string, string> = {
  "10": "buster",
  "11": "bullseye",
  "12": "bookworm",
  "13": "trixie",
  "14": "forky",
};

/** The codename for a Debian major version (`13` → `trixie`), if known. */
export function codenameOf(versionId: string): string | undefined {
  const major = /^(\d+)/.exec(versionId.trim())?.[1];
  return major !== undefined && Object.hasOwn(CODENAMES, major) ? CODENAMES[major] : undefined;
}

/** The codename an os-release file names: VERSION_CODENAME, else from VERSION_ID. */
export function debianCodename(osRelease: string): string | undefined {
  const field = (name: string) => {
    const m = new RegExp(`^${name}=(["']?)([^"'\\n]*)\\1\\s*$`, "m").exec(osRelease);
    return m?.[2].trim() || undefined;
  };
  const codename = field("VERSION_CODENAME");
  if (codename !== undefined && /^[a-z][a-z0-9-]*$/.test(codename)) return codename;
  const id = field("VERSION_ID");
  return id === undefined ? undefined : codenameOf(id);
}
