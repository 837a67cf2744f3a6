// Real .deb files for tests, built by dpkg-deb from a small spec, and the
// tools to make hostile ones that dpkg-deb would refuse to build: take a
// real package apart with binutils' `ar`, put a crafted data.tar in its
// place, and pack the members again by hand.
//
//   const dir = await tempDir("deb-test");
//   const deb = await buildDeb({ name: "hello", version: "1.0-1", arch: "amd64",
//     files: { "usr/bin/hello": { content: "#!/bin/sh\n", mode: 0o755 },
//              "usr/bin/hi": { symlink: "hello" } } }, dir.path);
//   ...
//   await dir.remove();

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, link, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Seconds since the epoch given to every file the helper writes, and to dpkg-deb. */
export const TEST_MTIME = 1_700_000_000;

/** How dpkg-deb compresses the members (its -Z). */
export type DebCompression = "xz" | "gzip" | "zstd" | "none";

/** One file of a package: contents (mode 0644), contents with a mode, a symlink, a directory, or a hardlink to another path of the package. */
export type DebFile =
  | string
  | Uint8Array
  | { content: string | Uint8Array; mode?: number }
  | { symlink: string }
  | { dir: true; mode?: number }
  | { hardlink: string };

/** A package for dpkg-deb to build. Paths are relative to the root (`usr/lib/x`). */
export interface DebSpec {
  name: string;
  version: string;
  arch: string;
  depends?: string;
  /** Further control fields (Provides, Multi-Arch, Section…). */
  fields?: Record<string, string>;
  files: Record<string, DebFile>;
  /** Maintainer scripts and metadata files of control.tar, by name (postinst, triggers…). */
  scripts?: Record<string, string>;
  /** Absolute paths (`/etc/x.conf`) listed in conffiles. */
  conffiles?: string[];
  /** Default xz, as Debian builds. */
  compression?: DebCompression;
  /** dpkg-deb's -z level; low levels make big test packages quick to build. */
  level?: number;
  /** Write md5sums, as debhelper does (dpkg-deb does not). Default true. */
  md5sums?: boolean;
}

/** A temporary directory, and a way to remove it. */
export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

export async function tempDir(prefix = "cudaseal-test"): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** The md5sums text dpkg would expect for the regular files of `files`, sorted by path. */
export function md5sumsOf(files: Record<string, DebFile>): string {
  return Object.entries(files)
    .filter(([, f]) => typeof f === "string" || f instanceof Uint8Array || "content" in f)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, f]) => `${createHash("md5").update(contentOf(f)).digest("hex")}  ${path}\n`)
    .join("");
}

/** The bytes of a regular file of the spec. */
export function contentOf(file: DebFile): Uint8Array {
  if (typeof file === "string") return Buffer.from(file);
  if (file instanceof Uint8Array) return file;
  if ("content" in file) return typeof file.content === "string" ? Buffer.from(file.content) : file.content;
  throw new Error("not a regular file");
}

/** The control file the helper writes for `spec`. */
export function controlText(spec: DebSpec): string {
  const fields: Record<string, string> = {
    Package: spec.name,
    Version: spec.version,
    Architecture: spec.arch,
    Maintainer: "cudaseal tests <tests@localhost>",
    ...(spec.depends ? { Depends: spec.depends } : {}),
    ...spec.fields,
  };
  fields.Description ??= `test package ${spec.name}\n a package built by the cudaseal tests`;
  return Object.entries(fields)
    .map(([name, value]) => `${name}: ${value}\n`)
    .join("");
}

/** Build `spec` with `dpkg-deb --build --root-owner-group` into `outDir`; returns the .deb's path. */
export async function buildDeb(spec: DebSpec, outDir: string): Promise<string> {
  const root = await mkdtemp(join(outDir, `.root-${spec.name}-`));
  try {
    const dirs: [string, number][] = [];
    const modes: [string, number][] = [];
    const ensureDir = async (dir: string) => {
      await mkdir(dir, { recursive: true, mode: 0o755 });
    };
    // Hardlinks last: their targets must exist first.
    const entries = Object.entries(spec.files).sort(
      ([, a], [, b]) => Number(isHardlink(a)) - Number(isHardlink(b)),
    );
    for (const [path, file] of entries) {
      const target = join(root, path);
      await ensureDir(dirname(target));
      if (typeof file === "object" && "symlink" in file) {
        await symlink(file.symlink, target);
      } else if (typeof file === "object" && "dir" in file) {
        await ensureDir(target);
        dirs.push([target, file.mode ?? 0o755]);
      } else if (typeof file === "object" && "hardlink" in file) {
        await link(join(root, file.hardlink), target);
      } else {
        await writeFile(target, contentOf(file));
        modes.push([target, typeof file === "object" && "mode" in file ? (file.mode ?? 0o644) : 0o644]);
      }
    }
    const debian = join(root, "DEBIAN");
    await ensureDir(debian);
    await writeFile(join(debian, "control"), controlText(spec));
    if (spec.md5sums !== false) {
      const sums = md5sumsOf(spec.files);
      if (sums) await writeFile(join(debian, "md5sums"), sums);
    }
    if (spec.conffiles?.length) await writeFile(join(debian, "conffiles"), `${spec.conffiles.join("\n")}\n`);
    for (const [name, text] of Object.entries(spec.scripts ?? {})) {
      const executable = ["preinst", "postinst", "prerm", "postrm", "config"].includes(name);
      await writeFile(join(debian, name), text, { mode: executable ? 0o755 : 0o644 });
    }
    // Modes after contents (a read-only directory would refuse its files),
    // deepest directories first, and every directory the helper made 0755
    // whatever the umask, so tests can state the modes they expect.
    for (const [target, mode] of modes) await chmod(target, mode);
    for (const [target, mode] of dirs) await chmod(target, mode);
    await chmod(root, 0o755);
    await chmod(debian, 0o755);
    await stampTimes(root);
    const out = join(outDir, `${spec.name}_${spec.version.replace(/^[0-9]+:/, "")}_${spec.arch}.deb`);
    await run(
      "dpkg-deb",
      [
        "--build",
        "--root-owner-group",
        `-Z${spec.compression ?? "xz"}`,
        ...(spec.level === undefined ? [] : [`-z${spec.level}`]),
        "--threads-max=1",
        root,
        out,
      ],
      { env: { ...process.env, SOURCE_DATE_EPOCH: String(TEST_MTIME) } },
    );
    return out;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function isHardlink(file: DebFile): boolean {
  return typeof file === "object" && "hardlink" in file;
}

/** Give every file and directory under `root` the test mtime (symlinks keep theirs: dpkg-deb clamps them). */
async function stampTimes(root: string): Promise<void> {
  const { stdout } = await run("find", [root, "!", "-type", "l", "-print0"]);
  for (const path of stdout.split("\0")) if (path) await utimes(path, TEST_MTIME, TEST_MTIME);
}

/** One member of an ar archive. */
export interface ArInput {
  name: string;
  data: Uint8Array;
}

/**
 * An ar archive made by hand, the way dpkg-deb writes one: `!<arch>\n`,
 * 60-byte headers with space-padded names, bodies padded to even length.
 * `nameStyle` "gnu" ends names with `/` as binutils does.
 */
export function arArchive(members: ArInput[], options: { nameStyle?: "plain" | "gnu" } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from("!<arch>\n", "latin1")];
  for (const m of members) {
    const name = options.nameStyle === "gnu" ? `${m.name}/` : m.name;
    if (name.length > 16) throw new Error(`ar member name too long: ${name}`);
    const header =
      name.padEnd(16) +
      String(TEST_MTIME).padEnd(12) +
      "0".padEnd(6) +
      "0".padEnd(6) +
      "100644".padEnd(8) +
      String(m.data.length).padEnd(10) +
      "`\n";
    parts.push(Buffer.from(header, "latin1"), Buffer.from(m.data));
    if (m.data.length % 2 === 1) parts.push(Buffer.from("\n"));
  }
  return Buffer.concat(parts);
}

/** The members of an ar archive at `path`, in order, as binutils' `ar` reads them. */
export async function arMembers(path: string): Promise<ArInput[]> {
  const { stdout } = await run("ar", ["t", path]);
  const out: ArInput[] = [];
  for (const name of stdout.split("\n").filter(Boolean)) {
    const { stdout: data } = await run("ar", ["p", path, name], { encoding: "buffer", maxBuffer: 1 << 30 });
    out.push({ name, data });
  }
  return out;
}

/**
 * A .deb like the one at `debPath` with its data member replaced by
 * `dataTar` (already compressed as `dataName` says), packed by hand.
 */
export async function withDataMember(
  debPath: string,
  dataTar: Uint8Array,
  dataName = "data.tar",
): Promise<Buffer> {
  const members = await arMembers(debPath);
  const i = members.findIndex((m) => m.name.startsWith("data.tar"));
  members[i] = { name: dataName, data: dataTar };
  return arArchive(members);
}
