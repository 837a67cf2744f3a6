// A small fleet for the rescan tests: a real registry behind a recording
// proxy, images pushed with their SBOM referrers (test/helpers/fleet.ts),
// and a Debian Security Tracker document for trixie whose CVEs meet the
// KEV and EPSS fixtures (test/fixtures/kev-epss).

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InstalledPackage } from "../../src/source/packages.ts";
import { type Fleet, openFleet } from "../helpers/fleet.ts";
import { type RecordingProxy, startRecordingProxy } from "../helpers/recording-proxy.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";

export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "kev-epss");
export const KEV = join(FIXTURES, "known_exploited_vulnerabilities.json");
export const EPSS = join(FIXTURES, "epss_scores-2026-12-06.csv");

export const BASE: InstalledPackage[] = [
  { name: "libc6", version: "2.41-10", arch: "amd64", source: "glibc", manager: "dpkg" },
  { name: "sudo", version: "1.9.16p2-1", arch: "amd64", manager: "dpkg" },
  { name: "libfoo1", version: "1.0-1", arch: "amd64", source: "foo", manager: "dpkg" },
];

/** The same, with glibc fixed: the image built after the fix landed. */
export const FIXED: InstalledPackage[] = BASE.map((p) =>
  p.name === "libc6" ? { ...p, version: "2.41-12" } : p,
);

const release = (status: string, urgency: string, fixed?: string) => ({
  trixie: {
    status,
    urgency,
    ...(fixed ? { fixed_version: fixed } : {}),
    repositories: { trixie: fixed ?? "0" },
  },
});

export const TRACKER = {
  glibc: {
    "CVE-2023-4911": {
      description: "glibc: GLIBC_TUNABLES overflow",
      scope: "local",
      releases: release("resolved", "high", "2.41-12"),
    },
  },
  sudo: {
    "CVE-2021-3156": {
      description: "sudo: heap overflow",
      scope: "local",
      releases: release("open", "high"),
    },
  },
  foo: {
    "CVE-2025-0001": { description: "foo: open issue", scope: "local", releases: release("open", "medium") },
    "CVE-2025-0002": {
      description: "foo: fixed issue",
      scope: "local",
      releases: release("resolved", "low", "1.0-2"),
    },
  },
};

export interface RescanFixture {
  registry: TestRegistry;
  proxy: RecordingProxy;
  fleet: Fleet;
  /** `PROXY/team/cuda`: the repository as a rescan reaches it. */
  repository: string;
  db: string;
  /** Digests by tag. */
  digests: Record<string, { digest: string; platforms: string[] }>;
  close(): Promise<void>;
}

/** Push the fleet; the rescan reads it through the proxy. */
export async function startFixture(): Promise<RescanFixture> {
  const registry = await startRegistry();
  const proxy = await startRecordingProxy(registry.host);
  const fleet = openFleet(registry.host, "team/cuda");
  const work = await mkdtemp(join(tmpdir(), "cudaseal-rescan-"));
  const db = join(work, "tracker.json");
  await writeFile(db, JSON.stringify(TRACKER));
  const digests: RescanFixture["digests"] = {};
  digests["1.0"] = await fleet.push({ tag: "1.0", packages: BASE, sbom: "cyclonedx" });
  digests["1.1"] = await fleet.push({ tag: "1.1", packages: FIXED, sbom: "spdx" });
  digests.multi = await fleet.push({
    tag: "multi",
    packages: BASE,
    sbom: "both",
    arches: ["amd64", "arm64"],
  });
  const noSbom = BASE.map((p) => (p.name === "libfoo1" ? { ...p, version: "1.0-2" } : p));
  digests.nosbom = await fleet.push({ tag: "nosbom", packages: noSbom, sbom: "none" });
  digests.broken = await fleet.push({ tag: "broken", packages: BASE, sbom: "not-json" });
  digests.wrong = await fleet.push({ tag: "wrong", packages: BASE, sbom: "other-image" });
  // `latest` is 1.0 under a second tag.
  const m = await fleet.repo.getManifest("1.0");
  if (m) await fleet.repo.putManifest(m.bytes, m.mediaType, "latest");
  return {
    registry,
    proxy,
    fleet,
    repository: `${proxy.host}/team/cuda`,
    db,
    digests,
    async close() {
      fleet.close();
      await proxy.close();
      await registry.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}
