// How push, pull and copy report what they did: the digest on stdout, a
// line of counts on stderr, or the whole summary with --json. A cosign tag
// the destination kept rather than take the source's is noted either way.

import type { CopySummary } from "../../copy/copy-image.ts";
import { formatBytes } from "../../util/format-bytes.ts";
import type { Output } from "../output.ts";

export function reportCopy(out: Output, summary: CopySummary, seconds: number): void {
  for (const { tag } of summary.signatureTags.filter((t) => t.action === "kept"))
    out.note(`${summary.destination}: kept its own ${tag}, which differs from the source's`);
  if (out.json) {
    out.jsonData({ ...summary, seconds: Number(seconds.toFixed(3)) });
    return;
  }
  const b = summary.blobs;
  out.note(
    `${summary.source} → ${summary.destination}: ${b.pushed} blobs sent (${formatBytes(summary.bytes.pushed)}), ` +
      `${b.mounted} mounted, ${b.skipped} already there; ${summary.manifests} manifests` +
      (summary.referrers > 0 ? `, ${summary.referrers} referrers` : "") +
      (summary.signatures > 0 ? `, ${summary.signatures} cosign signature tags` : "") +
      (summary.platforms.length > 0 ? ` (${summary.platforms.join(", ")})` : "") +
      ` in ${seconds.toFixed(1)}s`,
  );
  out.data(summary.digest);
}
