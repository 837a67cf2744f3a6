// The data shapes shared by the apt client, the resolver and the lock.

/** A Debian architecture name as apt spells it. */
export type DebArch = string;

/** One relation in a Depends-style field: `name:arch (op version)`. */
export interface Relation {
  name: string;
  /** Architecture qualifier after the colon: `any`, `native`, or an arch name. */
  archQualifier?: string;
  op?: "<<" | "<=" | "=" | ">=" | ">>";
  version?: string;
}

/** `a | b | c`: any one of them satisfies the dependency. */
export type Alternatives = Relation[];

/** Where a package record came from. */
export interface RepoRef {
  /** Base URI of the repository, ending without a slash. */
  uri: string;
  suite: string;
  component: string;
  /** Higher wins when several repositories offer the same package (apt pin priority). */
  priority: number;
}

/** What a `Packages` index says about one binary package. */
export interface PackageRecord {
  name: string;
  version: string;
  arch: DebArch;
  multiArch?: "same" | "foreign" | "allowed" | "no";
  essential: boolean;
  priority?: string;
  section?: string;
  description?: string;
  installedSize?: number;
  depends: Alternatives[];
  preDepends: Alternatives[];
  recommends: Alternatives[];
  provides: Relation[];
  conflicts: Relation[];
  breaks: Relation[];
  /** Source package name (from `Source:`, or the binary name when absent). */
  source: string;
  /** Source version (from `Source: name (version)`, or the binary version). */
  sourceVersion: string;
  filename: string;
  size: number;
  sha256: string;
  /** Every field of the paragraph as written, in order, for dpkg status records. */
  fields: [string, string][];
  repo: RepoRef;
}

/** One package as a lock pins it: enough to fetch and verify it again. */
export interface LockedPackage {
  name: string;
  version: string;
  arch: DebArch;
  source: string;
  sourceVersion: string;
  url: string;
  filename: string;
  size: number;
  sha256: string;
  /** Installed-Size in KiB, when the index gave one (it sizes the layer plan). */
  installedSize?: number;
  /** Names of the packages this one's Depends/Pre-Depends resolved to. */
  dependsOn: string[];
  /**
   * The repository it came from, as a sources.list line names it: `<uri>
   * <suite> <component>`, or `<uri> <suite>` for a flat one. Absent in locks
   * written before cudaseal recorded it.
   */
  repository?: string;
}
