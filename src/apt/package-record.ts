// One paragraph of a Packages index turned into a PackageRecord. The index
// is signed, but only transitively and by a mirror we do not control, so the
// fields the build relies on (name, version, path, size, hash) are checked
// here before anything downstream sees them.

import type { Paragraph } from "../deb/deb822.ts";
import { CudasealError } from "../errors.ts";
import { parseDependsField, parseRelationList } from "./relations.ts";
import type { PackageRecord, RepoRef } from "./types.ts";
import { versionProblem } from "./version-compare.ts";

const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
const ARCH = /^[a-z0-9][a-z0-9-]*$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;
const DECIMAL = /^[0-9]+$/;
const MULTI_ARCH = new Set(["same", "foreign", "allowed", "no"]);

/** A PackageRecord for one Packages paragraph read from `repo`; throws APT_RELEASE_INVALID on bad data. */
export function toPackageRecord(paragraph: Paragraph, repo: RepoRef): PackageRecord {
  const name = paragraph.get("Package");
  const fail = (message: string): never => {
    throw new CudasealError("APT_RELEASE_INVALID", `${repoLabel(repo)}: ${message}`, {
      hint: "the repository's Packages index is malformed; report it to the repository's maintainers",
      details: { package: name, uri: repo.uri, suite: repo.suite, component: repo.component },
    });
  };
  const required = (field: string): string => {
    const value = paragraph.get(field);
    if (value === undefined || value.length === 0)
      fail(`package ${name ?? "(unnamed)"} has no ${field} field`);
    return value!;
  };

  required("Package");
  if (!PACKAGE_NAME.test(name!)) fail(`invalid package name ${JSON.stringify(name)}`);
  const version = required("Version");
  checkVersion(version, `${name} has`, fail);
  const arch = required("Architecture");
  if (!ARCH.test(arch)) fail(`${name} has an invalid Architecture ${JSON.stringify(arch)}`);
  const filename = required("Filename");
  const filenameProblem = unsafePath(filename);
  if (filenameProblem) fail(`${name} has an unsafe Filename ${JSON.stringify(filename)}: ${filenameProblem}`);
  const size = decimal(required("Size"), "Size", name!, fail);
  const sha256 = required("SHA256");
  if (!SHA256.test(sha256)) fail(`${name} has an invalid SHA256 ${JSON.stringify(sha256)}`);

  const multiArchText = paragraph.get("Multi-Arch")?.toLowerCase();
  if (multiArchText !== undefined && !MULTI_ARCH.has(multiArchText)) {
    fail(`${name} has an unknown Multi-Arch value ${JSON.stringify(multiArchText)}`);
  }
  const installedSizeText = paragraph.get("Installed-Size");
  const { source, sourceVersion } = parseSource(paragraph.get("Source"), name!, version, fail);

  const relations = (field: string) => {
    try {
      return parseDependsField(paragraph.get(field), { arch, field: `${field} of ${name}` });
    } catch (err) {
      return fail((err as Error).message);
    }
  };
  const flat = (field: string) => {
    try {
      return parseRelationList(paragraph.get(field), { arch, field: `${field} of ${name}` });
    } catch (err) {
      return fail((err as Error).message);
    }
  };

  const record: PackageRecord = {
    name: name!,
    version,
    arch,
    essential: paragraph.get("Essential")?.toLowerCase() === "yes",
    depends: relations("Depends"),
    preDepends: relations("Pre-Depends"),
    recommends: relations("Recommends"),
    provides: flat("Provides"),
    conflicts: flat("Conflicts"),
    breaks: flat("Breaks"),
    source,
    sourceVersion,
    filename,
    size,
    sha256: sha256.toLowerCase(),
    fields: paragraph.fields,
    repo,
  };
  if (multiArchText !== undefined) record.multiArch = multiArchText as PackageRecord["multiArch"];
  const priority = paragraph.get("Priority");
  if (priority) record.priority = priority;
  const section = paragraph.get("Section");
  if (section) record.section = section;
  // Only the synopsis: Debian's indexes carry the long text in Translation files.
  const description = paragraph.get("Description");
  if (description) record.description = description.split("\n", 1)[0];
  if (installedSizeText !== undefined)
    record.installedSize = decimal(installedSizeText, "Installed-Size", name!, fail);
  return record;
}

/** Why `path` is not a safe relative path inside a repository, or undefined when it is. */
export function unsafePath(path: string): string | undefined {
  if (path.startsWith("/")) return "absolute path";
  if (path.includes("\\")) return "backslash in path";
  if (/[\u0000-\u001f\u007f\s]/.test(path)) return "control character or space in path";
  if (path.split("/").some((part) => part === "..")) return "`..` in path";
  if (path.endsWith("/")) return "not a file";
  return undefined;
}

/** `Source: name` or `Source: name (version)`; absent means the binary's own name and version. */
function parseSource(
  field: string | undefined,
  name: string,
  version: string,
  fail: (message: string) => never,
): { source: string; sourceVersion: string } {
  if (field === undefined || field.length === 0) return { source: name, sourceVersion: version };
  const match = /^([^\s(]+)\s*(?:\(\s*([^\s()]+)\s*\))?$/.exec(field);
  if (!match || !PACKAGE_NAME.test(match[1])) fail(`${name} has an invalid Source ${JSON.stringify(field)}`);
  const sourceVersion = match![2] ?? version;
  checkVersion(sourceVersion, `${name} has a Source with`, fail);
  return { source: match![1], sourceVersion };
}

// dpkg's errors refuse the record; its warnings (an upstream part starting
// with a letter, say) are accepted, as dpkg and apt accept them.
function checkVersion(version: string, what: string, fail: (message: string) => never): void {
  const problem = versionProblem(version);
  if (problem?.level === "error")
    fail(`${what} an invalid version ${JSON.stringify(version)}: ${problem.message}`);
}

function decimal(text: string, field: string, name: string, fail: (message: string) => never): number {
  const value = Number(text);
  if (!DECIMAL.test(text) || !Number.isSafeInteger(value))
    fail(`${name} has an invalid ${field} ${JSON.stringify(text)}`);
  return value;
}

function repoLabel(repo: RepoRef): string {
  return repo.component && repo.component !== repo.suite
    ? `${repo.uri} ${repo.suite}/${repo.component}`
    : `${repo.uri} ${repo.suite}`;
}
