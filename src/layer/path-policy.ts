// Decides, for every path a package ships, whether it goes into the image and
// with what mode. This is where NIST SP 800-190 / CIS Docker Benchmark
// hardening happens during the build: no setuid/setgid, no world-writable
// paths but /tmp, no shells, package managers or interpreters unless the spec
// asks, no documentation or headers by default, and never the NVIDIA driver's
// user-space libraries, which the host injects at run time.

import { compileGlobs, type PathMatcher } from "./glob.ts";

export interface PolicyOptions {
  excludes?: readonly string[];
  keep?: readonly string[];
  allowShell?: boolean;
  allowPackageManager?: boolean;
  allowInterpreters?: boolean;
  allowSetuid?: boolean;
  allowDocs?: boolean;
  allowHeaders?: boolean;
  allowStaticLibraries?: boolean;
  /** Libraries `trim: elf` found unreachable. */
  trimmed?: ReadonlySet<string>;
}

export type DropReason =
  | "excluded"
  | "docs"
  | "headers"
  | "static-library"
  | "driver-library"
  | "shell"
  | "package-manager"
  | "interpreter"
  | "maintainer-script"
  | "trimmed";

/** Directories that merged /usr folds into /usr (Debian 13 ships them as symlinks). */
const MERGED_USR = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

/**
 * The path where a file lives in a merged-/usr root: `lib/x` → `usr/lib/x`.
 * Keeps the image free of entries under what are symlinks there.
 */
export function canonicalPath(path: string): string {
  const slash = path.indexOf("/");
  const head = slash < 0 ? path : path.slice(0, slash);
  return MERGED_USR.includes(head) ? `usr/${path}` : path;
}

/** True for the aliasing symlinks themselves (`bin -> usr/bin`), which cudaseal writes once. */
export function isMergedUsrAlias(path: string): boolean {
  return MERGED_USR.includes(path);
}

// The driver's user-space libraries come from the host; bundling them breaks the driver ABI.
const DRIVER_LIBRARY =
  /(^|\/)(libcuda\.so|libcudadebugger\.so|libnvidia-[^/]*\.so|libnvcuvid\.so|libnvoptix\.so|libnvidia-ml\.so)[^/]*$/;

const SHELLS = new Set([
  "sh",
  "bash",
  "dash",
  "rbash",
  "zsh",
  "ksh",
  "ksh93",
  "mksh",
  "csh",
  "tcsh",
  "fish",
  "busybox",
  "ash",
]);
const PACKAGE_MANAGERS = new Set([
  "apt",
  "apt-get",
  "apt-cache",
  "apt-config",
  "apt-mark",
  "apt-key",
  "aptitude",
  "dpkg",
  "dpkg-deb",
  "dpkg-query",
  "dpkg-divert",
  "dpkg-split",
  "dpkg-trigger",
  "dpkg-maintscript-helper",
  "dpkg-statoverride",
  "dpkg-realpath",
  "update-alternatives",
  "pip",
  "pip3",
  "apk",
  "yum",
  "dnf",
  "rpm",
  "microdnf",
]);
/**
 * Scripts only a package's maintainer scripts, cron or a login run, that
 * cudaseal does itself or that have no use in a container:
 * update-ca-certificates (the system layer writes the CA bundle),
 * update-motd.d (read at login), cron jobs (no cron runs in a container;
 * dpkg's backs up its database), dpkg's helpers in /usr/libexec/dpkg (dpkg
 * goes with the package managers), python3's runtime.d hooks (run by its
 * maintainer scripts when Python packages change) and tar's tarcat. They
 * are `#!/bin/sh` scripts, which an image without a shell could not run,
 * so they go with the shell: the link check would otherwise refuse them.
 */
const MAINTAINER_SCRIPTS =
  /^(usr\/sbin\/update-ca-certificates|usr\/sbin\/tarcat|etc\/update-motd\.d\/[^/]+|etc\/cron\.(?:hourly|daily|weekly|monthly|yearly|d)\/[^/]+|usr\/libexec\/dpkg\/.+|usr\/share\/python3\/runtime\.d\/[^/]+)$/;

const INTERPRETERS =
  /^(env|perl|perl5[.\d]*|python[\d.]*|ruby[\d.]*|lua[\d.]*|node|nodejs|php[\d.]*|tclsh[\d.]*|wish[\d.]*|awk|mawk|gawk|nawk)$/;

export class PathPolicy {
  readonly #excluded: PathMatcher;
  readonly #kept: PathMatcher;
  readonly #options: PolicyOptions;

  constructor(options: PolicyOptions = {}) {
    this.#options = options;
    this.#excluded = compileGlobs(options.excludes ?? []);
    this.#kept = compileGlobs(options.keep ?? []);
  }

  /**
   * Why a path stays out of the image, or undefined if it goes in. `path` is
   * canonical (no leading slash, merged /usr applied); `isDir` says whether
   * it is a directory (directories are only dropped by explicit excludes).
   */
  dropReason(path: string, isDir: boolean): DropReason | undefined {
    if (this.#excluded(path)) return "excluded";
    if (isDir) return undefined;
    if (DRIVER_LIBRARY.test(path)) return "driver-library";
    if (this.#options.trimmed?.has(path)) return "trimmed";
    if (this.#kept(path)) return undefined;
    const o = this.#options;
    if (!o.allowDocs && isDocumentation(path)) return "docs";
    if (!o.allowHeaders && path.startsWith("usr/include/")) return "headers";
    if (!o.allowStaticLibraries && /^usr\/lib\/.*\.a$/.test(path)) return "static-library";
    if (!o.allowShell && MAINTAINER_SCRIPTS.test(path)) return "maintainer-script";
    const bin = binaryName(path);
    if (bin !== undefined) {
      if (!o.allowShell && SHELLS.has(bin)) return "shell";
      if (!o.allowPackageManager && PACKAGE_MANAGERS.has(bin)) return "package-manager";
      if (!o.allowInterpreters && INTERPRETERS.test(bin)) return "interpreter";
    }
    return undefined;
  }

  /**
   * The mode a path is stored with: setuid/setgid/sticky bits cleared (but
   * /tmp's sticky bit), and write permission for others removed.
   */
  mode(path: string, mode: number, isDir: boolean): number {
    let m = mode & 0o7777;
    if (isDir && (path === "tmp" || path === "var/tmp")) return 0o1777;
    if (!this.#options.allowSetuid) m &= ~0o6000;
    m &= ~0o1000;
    m &= ~0o002;
    return m;
  }
}

/** The command name when `path` is in a directory on PATH. */
function binaryName(path: string): string | undefined {
  const m = /^usr\/(?:local\/)?s?bin\/([^/]+)$/.exec(path);
  return m?.[1];
}

function isDocumentation(path: string): boolean {
  if (path.startsWith("usr/share/doc/")) {
    // Licences stay: they are what the SBOM's licence data comes from.
    return !/^usr\/share\/doc\/[^/]+\/copyright$/.test(path);
  }
  return (
    path.startsWith("usr/share/man/") ||
    path.startsWith("usr/share/info/") ||
    path.startsWith("usr/share/locale/") ||
    path.startsWith("usr/share/lintian/") ||
    path.startsWith("usr/share/linda/") ||
    path.startsWith("usr/share/bug/") ||
    path.startsWith("usr/share/doc-base/") ||
    path.startsWith("usr/share/gtk-doc/") ||
    path.startsWith("usr/share/help/")
  );
}
