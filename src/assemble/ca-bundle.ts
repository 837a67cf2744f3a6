// /etc/ssl/certs/ca-certificates.crt, which ca-certificates' postinst would
// build with update-ca-certificates: every certificate the package ships
// under /usr/share/ca-certificates, concatenated in path order.

export const CA_SOURCE_DIR = "usr/share/ca-certificates/";
export const CA_BUNDLE_PATH = "etc/ssl/certs/ca-certificates.crt";

/** True for a file whose contents the bundle needs. */
export function isCaSource(path: string): boolean {
  return path.startsWith(CA_SOURCE_DIR) && path.endsWith(".crt");
}

export function caBundle(certs: ReadonlyMap<string, string>): string {
  const paths = [...certs.keys()].sort();
  return paths
    .map((p) => {
      const pem = certs.get(p)!;
      return pem.endsWith("\n") ? pem : `${pem}\n`;
    })
    .join("");
}
