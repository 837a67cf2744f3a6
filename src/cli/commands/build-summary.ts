// How `cudaseal build` reports what it made: the image's digest on stdout,
// a line per platform, the stages' times and what was written and pushed on
// stderr, or the whole summary with --json.

import type { BuildResult } from "../../build/build.ts";
import { formatImageRef } from "../../source/image-ref.ts";
import { formatBytes } from "../../util/format-bytes.ts";
import type { Output } from "../output.ts";

/** Report `result`; `seconds` is the build's time, the push's not counted. */
export function reportBuild(out: Output, result: BuildResult, seconds: number): void {
  const summary = buildSummary(result, seconds);
  if (out.json) {
    out.jsonData(summary);
    return;
  }
  for (const p of summary.platforms) {
    const cached = p.layers.filter((l) => l.cached).length;
    out.note(
      `${p.arch}: ${p.packages} packages, ${p.files} files, ${p.layers.length} layers (${cached} from cache), ` +
        `${formatBytes(p.compressedBytes)} compressed, ${formatBytes(p.uncompressedBytes)} uncompressed`,
    );
  }
  for (const p of summary.platforms) {
    const trimmed = p.dropped.trimmed;
    if (trimmed)
      out.note(
        `${p.arch}: trim removed ${trimmed.files} unreachable libraries, ${formatBytes(trimmed.bytes)}`,
      );
  }
  for (const l of summary.platforms.map((p) => p.link)) {
    if (!l) continue;
    const waived = l.waived.length
      ? `, waived: ${l.waived.map((w) => `${w.missing} (/${w.path})`).join(", ")}`
      : "";
    out.note(
      `${l.arch}: link check: ${l.filesChecked} files, ${l.librariesResolved} libraries resolved, ` +
        `ld.so.cache ${l.cacheEntries} entries${waived}`,
    );
  }
  for (const p of result.platforms) reportPython(out, p);
  for (const p of result.platforms) {
    if (p.unresolvedLibraries?.length)
      out.note(
        `${p.arch}: needed but not in the image (host-provided or missing): ${p.unresolvedLibraries.join(", ")}`,
      );
  }
  const shared = result.registryCache;
  if (shared !== undefined)
    out.note(
      `cache registry: ${shared.hits} layers read, ${shared.pushed} entries written (${shared.present} already there)` +
        (shared.poisoned ? `, ${shared.poisoned} refused as poisoned` : "") +
        (shared.failed ? `, ${shared.failed} not written` : ""),
    );
  out.note(`stages: ${result.stages.map((s) => `${s.stage} ${(s.ms / 1000).toFixed(1)}s`).join(", ")}`);
  out.note(`wrote ${summary.output}`);
  if (summary.pushed !== undefined)
    out.note(
      `pushed ${summary.pushed.reference} (${summary.pushed.blobs} blobs, ${formatBytes(summary.pushed.bytes)}` +
        (summary.pushed.mounted ? `, ${summary.pushed.mounted} mounted from the cache` : "") +
        ")",
    );
  out.data(summary.digest);
}

/** The Python packages installed, and every soname the image holds more than once (docs/python.md). */
function reportPython(out: Output, p: BuildResult["platforms"][number]): void {
  if (p.python)
    out.note(
      `${p.arch}: python ${p.python.interpreter} (${p.python.target}): ${p.python.packages.length} packages from ${p.python.lockFormat}`,
    );
  for (const d of p.duplicateLibraries) {
    const copies = d.copies.map((c) => `${c.path} (${c.owner ?? "unknown"}, ${formatBytes(c.size)})`);
    out.note(`${p.arch}: ${d.soname} ${d.copies.length} times: ${copies.join(", ")}`);
  }
}

/** The --json summary. */
function buildSummary(result: BuildResult, seconds: number) {
  const pushed = result.pushed;
  return {
    digest: result.written.image.digest,
    output: formatImageRef(result.output.ref),
    reference: result.output.reference,
    seconds: Number(seconds.toFixed(2)),
    downloadedBytes: result.downloadedBytes,
    platforms: result.platforms.map((p, i) => ({
      arch: p.arch,
      manifest: result.written.platforms[i]?.manifest.digest,
      packages: result.lock.arches[p.arch]?.length ?? 0,
      files: p.fileCount,
      compressedBytes: p.layers.reduce((n, l) => n + l.size, 0),
      uncompressedBytes: p.layers.reduce((n, l) => n + l.uncompressedSize, 0),
      layers: p.layers,
      dropped: p.dropped,
      unresolvedLibraries: p.unresolvedLibraries,
      python: p.python,
      duplicateLibraries: p.duplicateLibraries,
      link: result.links[i],
    })),
    stages: result.stages,
    registryCache: result.registryCache,
    warnings: result.warnings,
    pushed:
      pushed === undefined
        ? undefined
        : {
            reference: pushed.destination,
            digest: pushed.digest,
            blobs: pushed.blobs.pushed,
            mounted: pushed.blobs.mounted,
            bytes: pushed.bytes.pushed,
          },
  };
}
