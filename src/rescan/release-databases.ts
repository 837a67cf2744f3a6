// The vulnerability data for every release a rescan meets, opened as each
// first appears and kept for the rest: the first release refreshes the feed
// (one conditional GET for the whole rescan), later ones read the copy that
// refresh left. Each release's advisories are indexed by source package once
// (indexAdvisories), so matching an image costs its packages, not the
// database's size.

import {
  type Advisory,
  type AdvisoryIndex,
  type DatabaseInfo,
  type DatabaseOptions,
  indexAdvisories,
  openVulnerabilityDatabase,
} from "../scan/index.ts";

/** One release's data, ready to match against. */
export interface ReleaseData {
  index: AdvisoryIndex;
  /** The PyPI advisories alone, for the Python distributions. */
  python: readonly Advisory[];
  info: DatabaseInfo;
}

/** Opens each release's data once; `warnings` gathers what opening said. */
export class ReleaseDatabases {
  readonly warnings: string[] = [];
  #first: Promise<unknown> | undefined;
  readonly #opened = new Map<string, Promise<ReleaseData>>();
  readonly #options: DatabaseOptions;

  constructor(options: DatabaseOptions) {
    this.#options = options;
  }

  /** The data of `release` (a codename). */
  get(release: string): Promise<ReleaseData> {
    let data = this.#opened.get(release);
    if (data === undefined) {
      data = this.#open(release);
      this.#opened.set(release, data);
    }
    return data;
  }

  /** Where the data came from: the first release's view of it. */
  async info(): Promise<DatabaseInfo | undefined> {
    const first = this.#opened.values().next().value;
    return first === undefined ? undefined : (await first).info;
  }

  async #open(release: string): Promise<ReleaseData> {
    let options = this.#options;
    if (this.#first === undefined) {
      const opening = openVulnerabilityDatabase(options, release);
      this.#first = opening;
      return this.#ready(await opening, release);
    }
    // Later releases wait for the first one's refresh and read what it left.
    await this.#first;
    if (options.feed !== undefined) options = { ...options, feed: { ...options.feed, skipUpdate: true } };
    return this.#ready(await openVulnerabilityDatabase(options, release), release);
  }

  #ready(
    opened: { advisories: Advisory[]; info: DatabaseInfo; warnings: string[] },
    release: string,
  ): ReleaseData {
    for (const w of opened.warnings) if (!this.warnings.includes(w)) this.warnings.push(w);
    const index = indexAdvisories(opened.advisories, release);
    // Every Debian release has advisories: none means a misspelt --release or an SBOM naming a release
    // the data does not know, and its images would pass every gate unseen.
    if (index.size === 0)
      this.warnings.push(
        `the vulnerability data has no advisories for the release '${release}': its images show no findings`,
      );
    return {
      index,
      python: opened.advisories.filter((a) => a.ecosystem === "PyPI"),
      info: opened.info,
    };
  }
}
