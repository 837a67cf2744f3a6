// A Debian Security Tracker document and OSV records in their published
// shapes, covering every status, against the packages of test/source/fixture.ts.

import type { InstalledPackage } from "../../src/source/packages.ts";

/** The dpkg packages of the source fixture image. */
export const PACKAGES: InstalledPackage[] = [
  { name: "base-files", version: "12.4+deb12u5", arch: "amd64", manager: "dpkg" },
  {
    name: "libc6",
    version: "2.36-9+deb12u4+b1",
    arch: "amd64",
    source: "glibc",
    sourceVersion: "2.36-9+deb12u4",
    manager: "dpkg",
  },
  { name: "musl", version: "1.2.5-r0", arch: "x86_64", source: "musl", manager: "apk" },
  { name: "tzdata", version: "2024a-0+deb12u1", arch: "all", source: "tzdata-src", manager: "dpkg" },
];

const repos = (v: string) => ({ bookworm: v });

export const TRACKER = {
  glibc: {
    "CVE-2024-0001": {
      description: "glibc: fixed in a later point release",
      scope: "local",
      releases: {
        bookworm: {
          status: "resolved",
          fixed_version: "2.36-9+deb12u7",
          urgency: "high",
          repositories: repos("2.36-9+deb12u7"),
        },
        trixie: {
          status: "resolved",
          fixed_version: "2.40-1",
          urgency: "high",
          repositories: { trixie: "2.41-1" },
        },
      },
    },
    "CVE-2023-0002": {
      description: "fixed in exactly the installed source version",
      scope: "local",
      releases: {
        bookworm: {
          status: "resolved",
          fixed_version: "2.36-9+deb12u4",
          urgency: "medium",
          repositories: repos("2.36-9+deb12u4"),
        },
      },
    },
    "CVE-2023-0003": {
      description: "never affected this release",
      scope: "local",
      releases: {
        bookworm: {
          status: "resolved",
          fixed_version: "0",
          urgency: "unimportant",
          repositories: repos("2.36-9+deb12u4"),
        },
      },
    },
    "CVE-2024-0004": {
      description: "open, unimportant",
      scope: "local",
      releases: {
        bookworm: { status: "open", urgency: "unimportant", repositories: repos("2.36-9+deb12u4") },
      },
    },
    "CVE-2024-0005": {
      description: "no DSA",
      scope: "local",
      releases: {
        bookworm: {
          status: "open",
          urgency: "low",
          nodsa: "Minor issue",
          nodsa_reason: "",
          repositories: repos("2.36-9+deb12u4"),
        },
      },
    },
    "TEMP-0000000-ABCDEF": {
      description: "not triaged yet",
      scope: "local",
      releases: {
        bookworm: {
          status: "undetermined",
          urgency: "not yet assigned",
          repositories: repos("2.36-9+deb12u4"),
        },
      },
    },
    "CVE-2024-0006": {
      description: "only trixie",
      scope: "local",
      releases: { trixie: { status: "open", urgency: "high", repositories: { trixie: "2.41-1" } } },
    },
    "CVE-2024-0007": { description: "malformed: releases is a number", releases: 5 },
    "CVE-2024-0008": {
      description: "malformed: resolved without a fixed version",
      releases: { bookworm: { status: "resolved", urgency: "high" } },
    },
    "CVE-2024-0009": {
      description: "malformed: an unknown status",
      releases: { bookworm: { status: "exploded", urgency: "high" }, sid: "nope" },
    },
  },
  "tzdata-src": {
    "CVE-2024-0010": {
      description: "tzdata: fixed",
      scope: "remote",
      releases: {
        bookworm: {
          status: "resolved",
          fixed_version: "2024a-0+deb12u2",
          urgency: "medium",
          repositories: repos("2024a-0+deb12u2"),
        },
      },
    },
    "CVE-2024-0011": {
      description: "tzdata: end of life",
      scope: "remote",
      releases: {
        bookworm: { status: "open", urgency: "end-of-life", repositories: repos("2024a-0+deb12u1") },
      },
    },
    "CVE-2024-0012": {
      description: "ignored",
      scope: "remote",
      releases: {
        bookworm: {
          status: "open",
          urgency: "medium",
          nodsa_reason: "ignored",
          repositories: repos("2024a-0+deb12u1"),
        },
      },
    },
  },
  "base-files": {
    "CVE-2024-0020": {
      description: "an epoch makes the fix newer",
      releases: {
        bookworm: {
          status: "resolved",
          fixed_version: "1:12.0",
          urgency: "low",
          repositories: repos("1:12.0"),
        },
      },
    },
    "CVE-2024-0021": {
      description: "a tilde makes the fix older",
      releases: {
        bookworm: {
          status: "resolved",
          fixed_version: "12.4+deb12u5~1",
          urgency: "high",
          repositories: repos("12.4+deb12u5"),
        },
      },
    },
    "CVE-2024-0022": {
      description: "a tilde pre-release of the next update is still newer",
      releases: {
        bookworm: {
          status: "resolved",
          fixed_version: "12.4+deb12u6~pre1",
          urgency: "low**",
          repositories: repos("12.4+deb12u6~pre1"),
        },
      },
    },
  },
  musl: {
    "CVE-2024-0030": {
      description: "apk packages are not matched",
      releases: { bookworm: { status: "open", urgency: "high", repositories: repos("1.2.3-1") } },
    },
  },
  "not-a-package": "a string where an object belongs",
  "null-package": null,
};

/** OSV records, as osv.dev publishes Debian's. */
export const OSV_RECORDS = [
  {
    schema_version: "1.6.0",
    id: "DSA-5000-1",
    aliases: ["CVE-2024-0001"],
    summary: "glibc security update",
    affected: [
      {
        package: { ecosystem: "Debian:12", name: "glibc" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "2.36-9+deb12u7" }] }],
        database_specific: { severity: "HIGH" },
      },
      {
        package: { ecosystem: "Debian:13", name: "glibc" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "2.40-1" }] }],
      },
    ],
  },
  {
    id: "DEBIAN-CVE-2024-0040",
    summary: "open in every release",
    affected: [
      {
        package: { ecosystem: "Debian", name: "tzdata-src" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }] }],
      },
    ],
    severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
  },
  {
    id: "DEBIAN-CVE-2024-0041",
    summary: "introduced after the installed version",
    affected: [
      {
        package: { ecosystem: "Debian:12", name: "base-files" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "12.4+deb12u6" }, { fixed: "12.4+deb12u7" }] }],
        ecosystem_specific: { urgency: "medium" },
      },
    ],
  },
  {
    id: "DEBIAN-CVE-2024-0042",
    summary: "already fixed",
    affected: [
      {
        package: { ecosystem: "Debian:12", name: "base-files" },
        ranges: [
          { type: "SEMVER", events: [{ introduced: "0" }] },
          { type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "12.4+deb12u5" }] },
        ],
      },
    ],
  },
];

/** An OpenVEX v0.2.0 document as vexctl writes it. */
export function vexDocument(statements: unknown[], timestamp = "2026-11-01T00:00:00Z") {
  return {
    "@context": "https://openvex.dev/ns/v0.2.0",
    "@id": "https://example.com/vex/cuda-base-1",
    author: "Example Security <security@example.com>",
    timestamp,
    version: 1,
    statements,
  };
}
