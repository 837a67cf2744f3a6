// The shapes shared by Python lock reading, wheel selection, installation
// and the build: what a lock pins, what the image's interpreter is, and the
// wheel chosen for each package.

/** One distribution file a lock lists for a package, with the hash it must have. */
export interface LockedFile {
  filename: string;
  /** Where the lock says it lives; absent when it must be found on the index by name. */
  url?: string;
  sha256: string;
  size?: number;
  kind: "wheel" | "sdist";
}

/** One package as a lock pins it. */
export interface LockedPythonPackage {
  /** Normalised name (PEP 503: lower case, runs of -_. as one -). */
  name: string;
  version: string;
  files: LockedFile[];
  /** The index the lock names for it, if any. */
  index?: string;
  /**
   * SHA256 digests any of its files may have, when the lock names digests but
   * no files (requirements.txt `--hash`): the file is found on the index.
   */
  hashes?: string[];
}

export interface PythonLock {
  format: "uv.lock" | "pylock.toml" | "requirements.txt";
  /** The packages to install, after groups, extras and markers were applied. */
  packages: LockedPythonPackage[];
  /** Indexes the lock itself names, in order (requirements.txt --index-url, --extra-index-url). */
  indexes?: string[];
}

/** What wheel selection needs of the image. */
export interface InterpreterFacts {
  /** e.g. [3, 13] for Debian 13's python3.13. */
  version: [number, number];
  /**
   * The full version, `3.13.5`, for `python_full_version` markers and
   * requires-python; `3.13.0` is assumed when absent.
   */
  fullVersion?: string;
  /** Debian architecture: amd64, arm64. */
  arch: string;
  /** glibc version from libc6, e.g. [2, 41]. */
  glibc: [number, number];
  /** The interpreter's path in the image, e.g. /usr/bin/python3. */
  executable: string;
}

/** The wheel taken for one locked package. */
export interface ChosenWheel {
  name: string;
  version: string;
  filename: string;
  url: string;
  sha256: string;
  size?: number;
}
