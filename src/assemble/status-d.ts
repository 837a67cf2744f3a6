// Records in /var/lib/dpkg/status.d/, the layout distroless uses so that
// trivy, grype and syft find the packages of an image with no dpkg: one file
// per package holding its control record with a Status line, and, as in
// dpkg's status file, the Conffiles the package installed with their MD5s
// (md5sums leaves conffiles out, so this is what tells their owner).

/** The package's control record as dpkg's status file would hold it; `conffiles` are [absolute path, md5]. */
export function statusRecord(
  control: string,
  conffiles: readonly (readonly [string, string])[] = [],
): string {
  const lines = control.replace(/\s+$/, "").split("\n");
  const out: string[] = [];
  let statusWritten = false;
  for (const line of lines) {
    if (/^(Status|Conffiles):/i.test(line)) continue;
    out.push(line);
    if (!statusWritten && /^Package:/i.test(line)) {
      out.push("Status: install ok installed");
      statusWritten = true;
    }
  }
  if (!statusWritten) out.unshift("Status: install ok installed");
  if (conffiles.length > 0) {
    out.push("Conffiles:");
    for (const [path, md5] of [...conffiles].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      out.push(` ${path} ${md5}`);
    }
  }
  return `${out.join("\n")}\n`;
}
