// Hand-written package indexes for resolver tests, read by the real deb822
// and Packages parsers so the tests exercise the same path as a mirror's index.

import { createHash } from "node:crypto";
import { toPackageRecord } from "../../src/apt/package-record.ts";
import type { PackageRecord, RepoRef } from "../../src/apt/types.ts";
import { Paragraph, parseDeb822 } from "../../src/deb/deb822.ts";

export const MAIN: RepoRef = {
  uri: "http://127.0.0.1:9/debian",
  suite: "trixie",
  component: "main",
  priority: 500,
};

/**
 * Packages from a short deb822 text: Version defaults to 1.0, Architecture
 * to amd64; Filename, Size and SHA256 are filled in.
 */
export function packages(text: string, repo: RepoRef = MAIN): PackageRecord[] {
  return parseDeb822(text).map((paragraph) => {
    const name = paragraph.get("Package")!;
    const fields = [...paragraph.fields];
    const add = (field: string, value: string) => {
      if (!paragraph.has(field)) fields.push([field, value]);
    };
    add("Version", "1.0");
    add("Architecture", "amd64");
    const version = fields.find(([f]) => f === "Version")![1];
    const arch = fields.find(([f]) => f === "Architecture")![1];
    add(
      "Filename",
      `pool/${repo.component}/${name[0]}/${name}/${name}_${version.replace(/^\d+:/, "")}_${arch}.deb`,
    );
    add("Size", "1024");
    add("SHA256", createHash("sha256").update(`${repo.uri} ${name} ${version} ${arch}`).digest("hex"));
    return toPackageRecord(new Paragraph(fields), repo);
  });
}

/** Names of the resolved packages, in output order. */
export function names(resolution: { packages: PackageRecord[] }): string[] {
  return resolution.packages.map((p) => p.name);
}

/** Name=version of the resolved packages, in output order. */
export function pinsOf(resolution: { packages: PackageRecord[] }): string[] {
  return resolution.packages.map((p) => `${p.name}=${p.version}`);
}
