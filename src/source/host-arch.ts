// The platform an image is read for when the user names none.

/** The host's architecture as OCI names it. */
export function hostArch(): string {
  const map: Record<string, string> = { x64: "amd64", arm64: "arm64", ppc64: "ppc64le", s390x: "s390x" };
  return map[process.arch] ?? process.arch;
}
