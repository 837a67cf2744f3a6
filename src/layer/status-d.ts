// Records in /var/lib/dpkg/status.d/, the layout distroless uses so that
// trivy, grype and syft find the packages of an image with no dpkg: one file
// per package holding its control record with a Status line.

/** The package's control record as dpkg's status file would hold it. */
export function statusRecord(control: string): string {
  const lines = control.replace(/\s+$/, "").split("\n");
  const out: string[] = [];
  let statusWritten = false;
  for (const line of lines) {
    if (/^Status:/i.test(line)) continue;
    out.push(line);
    if (!statusWritten && /^Package:/i.test(line)) {
      out.push("Status: install ok installed");
      statusWritten = true;
    }
  }
  if (!statusWritten) out.unshift("Status: install ok installed");
  return `${out.join("\n")}\n`;
}
