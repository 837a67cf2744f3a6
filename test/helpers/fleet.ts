// A fleet of small images in a real registry, pushed through cudaseal's own
// registry client the way `build --push` leaves them: a gzip'd layer holding
// os-release and a dpkg status file (shared by every image of one package
// set), a config of the image's own (so each image has its own digest), the
// manifest under its tag, and the SBOM as an OCI 1.1 referrer (an artifact
// manifest whose subject is the image, its one layer the CycloneDX or SPDX
// document cudaseal renders), listed in the referrers fallback index, since
// the registry here (distribution 2.8) has no referrers API. A multi-platform
// image is an index of one such manifest per architecture. Damaged SBOMs
// (not JSON, or describing another image) are for the error paths. Used by
// test/rescan and bench/rescan.ts.

import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Descriptor } from "../../src/oci/descriptor.ts";
import { buildIndex, buildManifest } from "../../src/oci/manifest.ts";
import { OCI_CONFIG, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST } from "../../src/oci/media-types.ts";
import {
  addFallbackReferrer,
  bytesBlob,
  openRepository,
  type RegistryClientOptions,
  type Repository,
  uploadBlob,
} from "../../src/registry/index.ts";
import { SBOM_FORMATS, SBOM_MEDIA_TYPES, sbomModelFromInstalled } from "../../src/sbom/index.ts";
import type { InstalledPackage } from "../../src/source/packages.ts";
import { makeLayer } from "../oci/fixture-image.ts";

/** How an image's SBOM is attached. */
export type SbomKind = "cyclonedx" | "spdx" | "both" | "none" | "not-json" | "other-image";

export interface FleetImage {
  tag: string;
  packages: readonly InstalledPackage[];
  /** What the layer's dpkg database holds, when it differs from what the SBOM lists (default `packages`). */
  layerPackages?: readonly InstalledPackage[];
  /** Default cyclonedx. */
  sbom?: SbomKind;
  /** Architectures: one gives a manifest, several an index of them (default ["amd64"]). */
  arches?: readonly string[];
  /** Debian's VERSION_ID and codename of os-release (default 13, trixie). */
  release?: { versionId: string; codename: string };
}

export interface Fleet {
  repo: Repository;
  /** Push one image; its digest (the index's, for several architectures) and each platform manifest's. */
  push(image: FleetImage): Promise<{ digest: string; platforms: string[] }>;
  /** Every layer blob digest pushed: what a rescan from SBOMs must never GET. */
  layerDigests: Set<string>;
  close(): void;
}

/** A fleet in `host`'s repository `name`; `options` carries credentials for a registry that wants them. */
export function openFleet(host: string, name: string, options: RegistryClientOptions = {}): Fleet {
  const repo = openRepository(host, name, options);
  const work = mkdtempSync(join(tmpdir(), "cudaseal-fleet-"));
  const layers = new Map<string, Promise<Descriptor & { diffId: string }>>();
  const uploaded = new Set<string>();
  const layerDigests = new Set<string>();
  let serial = 0;

  const upload = async (bytes: Uint8Array, mediaType: string): Promise<Descriptor> => {
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (!uploaded.has(digest)) {
      uploaded.add(digest);
      await uploadBlob(repo, bytesBlob(bytes, { digest, mediaType }));
    }
    return { mediaType, digest, size: bytes.length };
  };

  const layerOf = (image: FleetImage, arch: string) => {
    const release = image.release ?? { versionId: "13", codename: "trixie" };
    const packages = image.layerPackages ?? image.packages;
    const key = JSON.stringify([packages, arch, release]);
    let layer = layers.get(key);
    if (layer === undefined) {
      layer = (async () => {
        const blob = makeLayer(work, `layer-${layers.size}`, {
          "etc/os-release": `ID=debian\nVERSION_ID="${release.versionId}"\nVERSION_CODENAME=${release.codename}\n`,
          "var/lib/dpkg/status": statusFile(packages, arch),
        });
        const desc = await upload(readFileSync(blob.path), blob.mediaType);
        layerDigests.add(desc.digest);
        return { ...desc, diffId: blob.diffId };
      })();
      layers.set(key, layer);
    }
    return layer;
  };

  /** One platform's manifest, under `tag` or (in an index) its digest alone, with its SBOM. */
  const pushPlatform = async (image: FleetImage, arch: string, tag?: string): Promise<Descriptor> => {
    const layer = await layerOf(image, arch);
    const config = Buffer.from(
      JSON.stringify({
        architecture: arch,
        os: "linux",
        config: { Labels: { "org.example.fleet": `${image.tag}-${arch}-${serial++}` } },
        rootfs: { type: "layers", diff_ids: [layer.diffId] },
      }),
    );
    const manifest = buildManifest({
      config: await upload(config, OCI_CONFIG),
      layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    });
    const bytes = Buffer.from(JSON.stringify(manifest));
    const { digest } = await repo.putManifest(bytes, OCI_MANIFEST, tag);
    const desc: Descriptor = { mediaType: OCI_MANIFEST, digest, size: bytes.length };
    await attachSbom(image, arch, desc);
    return { ...desc, platform: { architecture: arch, os: "linux" } };
  };

  const attachSbom = async (image: FleetImage, arch: string, subject: Descriptor) => {
    const kind = image.sbom ?? "cyclonedx";
    if (kind === "none") return;
    const release = image.release ?? { versionId: "13", codename: "trixie" };
    const model = sbomModelFromInstalled(
      {
        name: image.tag,
        digest: kind === "other-image" ? `sha256:${"0".repeat(64)}` : subject.digest,
        created: "2026-12-01T00:00:00Z",
        arch,
      },
      image.packages,
      { id: "debian", versionId: release.versionId },
    );
    const formats = kind === "both" || kind === "spdx" ? ["spdx", "cyclonedx"] : ["cyclonedx"];
    for (const format of formats as ("spdx" | "cyclonedx")[]) {
      if (kind === "spdx" && format === "cyclonedx") continue;
      const text = kind === "not-json" ? "{ not json" : SBOM_FORMATS[format].render(model);
      const empty = await upload(Buffer.from("{}"), OCI_EMPTY);
      const doc = await upload(Buffer.from(text), SBOM_MEDIA_TYPES[format]);
      const manifest = buildManifest({
        config: empty,
        layers: [doc],
        artifactType: SBOM_MEDIA_TYPES[format],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
        annotations: { "org.opencontainers.image.created": "2026-12-01T00:00:00Z" },
      });
      const bytes = Buffer.from(JSON.stringify(manifest));
      const { digest, subjectAccepted } = await repo.putManifest(bytes, OCI_MANIFEST);
      if (!subjectAccepted)
        await addFallbackReferrer(repo, subject.digest, {
          mediaType: OCI_MANIFEST,
          digest,
          size: bytes.length,
          artifactType: SBOM_MEDIA_TYPES[format],
          annotations: manifest.annotations,
        });
    }
  };

  return {
    repo,
    layerDigests,
    async push(image) {
      const arches = image.arches ?? ["amd64"];
      if (arches.length === 1) {
        const { digest } = await pushPlatform(image, arches[0], image.tag);
        return { digest, platforms: [digest] };
      }
      const platforms: Descriptor[] = [];
      for (const arch of arches) platforms.push(await pushPlatform(image, arch));
      const index = Buffer.from(JSON.stringify(buildIndex({ manifests: platforms })));
      const { digest } = await repo.putManifest(index, OCI_INDEX, image.tag);
      return { digest, platforms: platforms.map((p) => p.digest) };
    },
    close: () => rmSync(work, { recursive: true, force: true }),
  };
}

function statusFile(packages: readonly InstalledPackage[], arch: string): string {
  return packages
    .map(
      (p) =>
        `Package: ${p.name}\nStatus: install ok installed\nArchitecture: ${p.arch === "all" ? "all" : arch}\n` +
        `${p.source ? `Source: ${p.source}${p.sourceVersion ? ` (${p.sourceVersion})` : ""}\n` : ""}` +
        `Version: ${p.version}\nDescription: fleet fixture\n`,
    )
    .join("\n");
}
