// A real, signed apt repository for tests, served over HTTP on 127.0.0.1.
//
// Built the way an archive is: .deb files made by dpkg-deb (or given), laid
// out under pool/, Packages indexes (plain, .gz, .xz) made from each .deb's
// control fields, a Release listing their SHA256, signed by a real gpg key
// into InRelease (clearsigned) and Release.gpg (detached). Options break it
// in the ways a hostile or broken mirror would, after signing where that is
// the point: an unknown signer, a corrupt signature, an index or .deb that
// no longer matches what was signed, expired metadata, a missing .xz,
// answers of 5xx before success. Every request is counted per path.
//
// The signing keys live in one temporary GNUPGHOME per test process, made on
// first use and removed (its gpg-agent stopped) when the process exits.

import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join, normalize, sep } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { buildDeb as buildDebFile, type DebCompression, type DebFile } from "./debs.ts";

const run = promisify(execFile);

// ---------------------------------------------------------------- keys

/** A gpg key made for the tests, exported in both file formats. */
export interface TestKey {
  fingerprint: string;
  /** Binary OpenPGP public key (gpg --export). */
  publicKeyPath: string;
  /** ASCII-armored public key (gpg --export --armor). */
  armoredKeyPath: string;
}

/** The test GNUPGHOME and its two keys: `repo` signs by default, `other` plays an unknown signer. */
export interface TestKeys {
  home: string;
  repo: TestKey;
  other: TestKey;
}

let keys: Promise<TestKeys> | undefined;

/** The process's test keys, generated with gpg on first use. */
export function testKeys(): Promise<TestKeys> {
  keys ??= makeKeys();
  return keys;
}

async function makeKeys(): Promise<TestKeys> {
  // Short path: gpg-agent's socket path must fit in sockaddr_un.
  const home = mkdtempSync(join(tmpdir(), "cs-gpg-"));
  process.once("exit", () => {
    try {
      execFileSync("gpgconf", ["--kill", "all"], {
        env: { ...process.env, GNUPGHOME: home },
        stdio: "ignore",
      });
    } catch {
      // No agent running, or gpgconf missing: nothing to stop.
    }
    rmSync(home, { recursive: true, force: true });
  });
  const repo = await makeKey(home, "cudaseal test repository");
  const other = await makeKey(home, "cudaseal untrusted signer");
  return { home, repo, other };
}

async function makeKey(home: string, name: string): Promise<TestKey> {
  await gpg(home, ["--passphrase", "", "--quick-gen-key", name, "ed25519", "sign", "never"]);
  const { stdout } = await gpg(home, ["--with-colons", "--list-keys", name]);
  const fingerprint = stdout
    .split("\n")
    .find((line) => line.startsWith("fpr:"))
    ?.split(":")[9];
  if (!fingerprint) throw new Error(`gpg made no key for ${name}`);
  const slug = name.replaceAll(" ", "-");
  const publicKeyPath = join(home, `${slug}.gpg`);
  const armoredKeyPath = join(home, `${slug}.asc`);
  await gpg(home, ["--output", publicKeyPath, "--export", fingerprint]);
  await gpg(home, ["--armor", "--output", armoredKeyPath, "--export", fingerprint]);
  return { fingerprint, publicKeyPath, armoredKeyPath };
}

function gpg(home: string, args: string[], input?: string) {
  const child = run("gpg", ["--batch", "--quiet", "--no-tty", "--pinentry-mode", "loopback", ...args], {
    env: { ...process.env, GNUPGHOME: home },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (input !== undefined) child.child.stdin?.end(input);
  return child;
}

/** Clearsign `text` with one or more test keys, as an archive makes InRelease. */
export async function clearsign(text: string, ...signers: TestKey[]): Promise<string> {
  const { home } = await testKeys();
  const users = signers.flatMap((key) => ["--local-user", key.fingerprint]);
  const { stdout } = await gpg(home, [...users, "--digest-algo", "SHA256", "--clearsign"], text);
  return stdout;
}

/** A detached signature of the file at `path` (Release.gpg), binary unless `armor`. */
export async function detachSign(path: string, key: TestKey, armor = false): Promise<Uint8Array> {
  const { home } = await testKeys();
  const out = `${path}.sig-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await gpg(home, [
    "--local-user",
    key.fingerprint,
    "--digest-algo",
    "SHA256",
    ...(armor ? ["--armor"] : []),
    "--output",
    out,
    "--detach-sign",
    path,
  ]);
  const bytes = await readFile(out);
  await rm(out, { force: true });
  return bytes;
}

// ---------------------------------------------------------------- packages

/** A package for the helper to build with dpkg-deb. */
export interface PackageSpec {
  name: string;
  version: string;
  /** Default: the repository's first architecture. */
  arch?: string;
  /** Default: the repository's first component. */
  component?: string;
  /** Further control fields: Depends, Provides, Multi-Arch, Section… */
  fields?: Record<string, string>;
  /**
   * Files of the package, by path relative to the root (`usr/lib/libx.so.1`):
   * contents, or a symlink, or contents with a mode (setuid bits included).
   */
  files?: Record<
    string,
    string | Uint8Array | { symlink: string } | { content: string | Uint8Array; mode: number }
  >;
  /** Maintainer scripts (postinst…), kept in the control archive. */
  scripts?: Record<string, string>;
}

/** A .deb made elsewhere, to be published as it is. */
export interface DebInput {
  path: string;
  component?: string;
}

/** One .deb as the repository publishes it. */
export interface PublishedDeb {
  name: string;
  version: string;
  arch: string;
  component: string;
  /** Path relative to the archive root, as in Packages' Filename. */
  filename: string;
  /** Where the file lies on disk. */
  path: string;
  size: number;
  sha256: string;
}

export type { DebCompression };

/** Build a .deb from a repository package spec with dpkg-deb into `outDir` (test/helpers/debs.ts does the work). */
export async function buildDeb(
  spec: PackageSpec & { arch: string },
  outDir: string,
  compression: DebCompression = "gzip",
): Promise<string> {
  const files: Record<string, DebFile> = {};
  for (const [path, content] of Object.entries(spec.files ?? {})) files[path] = content;
  return buildDebFile(
    {
      name: spec.name,
      version: spec.version,
      arch: spec.arch,
      fields: spec.fields,
      files,
      scripts: spec.scripts,
      compression,
    },
    outDir,
  );
}

// ---------------------------------------------------------------- repository

export interface AptRepoOptions {
  /** Default "trixie". */
  suite?: string;
  /** Default: the suite. */
  codename?: string;
  /** Default ["main"]. */
  components?: string[];
  /** Default ["amd64"]. */
  arches?: string[];
  packages?: PackageSpec[];
  debs?: (string | DebInput)[];
  origin?: string;
  label?: string;
  /** Release's Date; default now. */
  date?: Date;
  /** Release's Valid-Until; none by default. A past date makes an expired repository. */
  validUntil?: Date;
  /** Write Acquire-By-Hash: yes and the by-hash/SHA256/ copies of each index. */
  acquireByHash?: boolean;
  /**
   * Lay the repository out flat, as NVIDIA's are, in this folder under the
   * root (`debian12/x86_64`): InRelease, one Packages for every architecture
   * and the .debs side by side, no dists/ or pool/. Sources name it with the
   * suite `${flat}/` and no components.
   */
  flat?: string;
  /** Index formats to publish; default all of "xz", "gz", "plain". Leave out "xz" to force a fallback. */
  formats?: ("xz" | "gz" | "plain")[];
  /** Publish InRelease (default true). */
  inRelease?: boolean;
  /** Publish Release.gpg next to Release (default true); `"armored"` for an ASCII one. */
  releaseGpg?: boolean | "armored";
  /** Sign with this key instead of the repository's own: `"other"` is one the client does not trust. */
  signWith?: "repo" | "other";
  /** Flip a bit of the signature packets in InRelease and Release.gpg, keeping the armor valid. */
  corruptSignature?: boolean;
  /** Change the text of InRelease after it was signed. */
  tamperInRelease?: boolean;
  /** Rewrite every Packages index after Release was signed, so its SHA256 no longer matches. */
  tamperIndex?: boolean;
  /** Names of packages whose .deb is altered (one byte) after it was indexed. */
  tamperDebs?: string[];
  /** Answer these URL paths (`/dists/trixie/InRelease`) with 5xx this many times before serving them. */
  failures?: Record<string, number>;
  /** The status for `failures`; default 503. */
  failureStatus?: number;
}

export interface AptRepo {
  /** The archive root: sources name it, suites live under `${url}/dists/`. */
  url: string;
  /** Where the repository lies on disk. */
  dir: string;
  suite: string;
  components: string[];
  arches: string[];
  /** The key that signed it (the trusted one unless `signWith: "other"`). */
  signer: TestKey;
  /** The repository's own key, the one a client should trust. */
  key: TestKey;
  /** Binary public key file of `key`. */
  publicKeyPath: string;
  /** ASCII-armored public key file of `key`. */
  armoredKeyPath: string;
  debs: PublishedDeb[];
  /** Requests received, by URL path, counting failed answers too. */
  requests: Map<string, number>;
  /** How often `path` was asked for. */
  count(path: string): number;
  /** How often `path` was answered 304 Not Modified. */
  notModifiedCount(path: string): number;
  /** Answer `path` with `status` (default 503) the next `times` requests. */
  failNext(path: string, times: number, status?: number): void;
  close(): Promise<void>;
}

/** Build, sign and serve a repository; close() stops the server and removes the files. */
export async function startAptRepo(options: AptRepoOptions = {}): Promise<AptRepo> {
  const suite = options.suite ?? "trixie";
  const components = options.components ?? ["main"];
  const arches = options.arches ?? ["amd64"];
  const formats = options.formats ?? ["xz", "gz", "plain"];
  const testKeyPair = await testKeys();
  const key = testKeyPair.repo;
  const signer = options.signWith === "other" ? testKeyPair.other : key;

  const dir = mkdtempSync(join(tmpdir(), "cudaseal-repo-"));
  try {
    const flat = options.flat?.replace(/^\/+|\/+$/g, "");
    const debs = await publishDebs(dir, options, components, arches, flat);
    const suiteDir = flat ? join(dir, flat) : join(dir, "dists", suite);
    // Published index files by path under the suite, and each index's text.
    const indexes = new Map<string, Buffer>();
    const texts = new Map<string, string>();
    if (flat) {
      const text = (await Promise.all(debs.map((deb) => packagesParagraph(deb)))).join("\n");
      texts.set("Packages", text);
      await writeIndexes(suiteDir, "Packages", text, formats, indexes);
    }
    for (const component of flat ? [] : components) {
      for (const arch of arches) {
        const records = debs.filter(
          (d) => d.component === component && (d.arch === arch || d.arch === "all"),
        );
        const text = (await Promise.all(records.map((deb) => packagesParagraph(deb)))).join("\n");
        const path = `${component}/binary-${arch}/Packages`;
        texts.set(path, text);
        await writeIndexes(suiteDir, path, text, formats, indexes);
      }
    }
    if (options.acquireByHash) {
      for (const [path, bytes] of indexes) {
        const byHash = byHashPath(suiteDir, path, bytes);
        await mkdir(dirname(byHash), { recursive: true });
        await writeFile(byHash, bytes);
      }
    }

    const releasePath = join(suiteDir, "Release");
    await writeFile(releasePath, releaseText(suite, components, arches, indexes, options));
    if (options.inRelease !== false) {
      let signed = await clearsign(await readFile(releasePath, "utf8"), signer);
      if (options.corruptSignature) signed = corruptArmoredSignature(signed);
      if (options.tamperInRelease) signed = signed.replace(/^(Suite: .*)$/m, "$1-tampered");
      await writeFile(join(suiteDir, "InRelease"), signed);
    }
    if (options.releaseGpg !== false) {
      const armored = options.releaseGpg === "armored";
      let signature = await detachSign(releasePath, signer, armored);
      if (options.corruptSignature) {
        signature = armored
          ? Buffer.from(corruptArmoredSignature(Buffer.from(signature).toString("utf8")))
          : flipLastByte(signature);
      }
      await writeFile(join(suiteDir, "Release.gpg"), signature);
    }

    if (options.tamperIndex) {
      const extra = "\nPackage: injected\nVersion: 1.0\nArchitecture: all\nFilename: pool/injected.deb\n";
      for (const [path, original] of indexes) {
        const text = texts.get(path.replace(/\.(xz|gz)$/, "")) ?? "";
        const tampered = await encodeIndex(text + extra, path);
        await writeFile(join(suiteDir, path), tampered);
        // The by-hash copy too: its name still says the signed hash.
        if (options.acquireByHash) await writeFile(byHashPath(suiteDir, path, original), tampered);
      }
    }
    for (const name of options.tamperDebs ?? []) {
      const deb = debs.find((d) => d.name === name);
      if (!deb) throw new Error(`tamperDebs: no package ${name}`);
      await writeFile(deb.path, flipLastByte(await readFile(deb.path)));
    }

    return await serve(dir, { suite, components, arches, key, signer, debs, options });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Where Acquire-By-Hash clients fetch an index: next to it, named by its SHA256. */
function byHashPath(suiteDir: string, path: string, bytes: Uint8Array): string {
  return join(suiteDir, dirname(path), "by-hash", "SHA256", sha256(bytes));
}

async function publishDebs(
  dir: string,
  options: AptRepoOptions,
  components: string[],
  arches: string[],
  flat?: string,
): Promise<PublishedDeb[]> {
  const build = join(dir, ".debs");
  mkdirSync(build, { recursive: true });
  const inputs: DebInput[] = (options.debs ?? []).map((d) => (typeof d === "string" ? { path: d } : d));
  for (const spec of options.packages ?? []) {
    const path = await buildDeb({ ...spec, arch: spec.arch ?? arches[0] }, build);
    inputs.push({ path, component: spec.component });
  }
  const published: PublishedDeb[] = [];
  for (const input of inputs) {
    const component = input.component ?? components[0];
    const name = await debField(input.path, "Package");
    const version = await debField(input.path, "Version");
    const arch = await debField(input.path, "Architecture");
    const source = (await debField(input.path, "Source")).split(" ")[0] || name;
    const prefix = source.startsWith("lib") ? source.slice(0, 4) : source[0];
    const file = `${name}_${stripEpoch(version)}_${arch}.deb`;
    // A flat repository's Filename is relative to its own folder.
    const filename = flat ? `./${file}` : `pool/${component}/${prefix}/${source}/${file}`;
    const path = flat ? join(dir, flat, file) : join(dir, filename);
    await mkdir(dirname(path), { recursive: true });
    await copyFile(input.path, path);
    const bytes = await readFile(path);
    published.push({
      name,
      version,
      arch,
      component,
      filename,
      path,
      size: bytes.length,
      sha256: sha256(bytes),
    });
  }
  await rm(build, { recursive: true, force: true });
  return published;
}

async function debField(path: string, field: string): Promise<string> {
  const { stdout } = await run("dpkg-deb", ["--field", path, field]);
  return stdout.trim();
}

/** The Packages paragraph of a .deb: its control fields, then where and what it is. */
async function packagesParagraph(deb: PublishedDeb): Promise<string> {
  const { stdout } = await run("dpkg-deb", ["--field", deb.path]);
  const bytes = await readFile(deb.path);
  const md5 = createHash("md5").update(bytes).digest("hex");
  const control = stdout.endsWith("\n") ? stdout : `${stdout}\n`;
  return `${control}Filename: ${deb.filename}\nSize: ${deb.size}\nMD5sum: ${md5}\nSHA256: ${deb.sha256}\n`;
}

async function writeIndexes(
  suiteDir: string,
  path: string,
  text: string,
  formats: string[],
  indexes: Map<string, Buffer>,
): Promise<void> {
  const variants: [string, Buffer][] = [];
  if (formats.includes("plain")) variants.push([path, Buffer.from(text)]);
  if (formats.includes("gz")) variants.push([`${path}.gz`, await encodeIndex(text, `${path}.gz`)]);
  if (formats.includes("xz")) variants.push([`${path}.xz`, await encodeIndex(text, `${path}.xz`)]);
  for (const [p, bytes] of variants) {
    await mkdir(dirname(join(suiteDir, p)), { recursive: true });
    await writeFile(join(suiteDir, p), bytes);
    indexes.set(p, bytes);
  }
}

async function encodeIndex(text: string, path: string): Promise<Buffer> {
  if (path.endsWith(".gz")) return gzipSync(text);
  if (path.endsWith(".xz")) {
    const child = run("xz", ["-c", "-6"], { encoding: "buffer", maxBuffer: 256 * 1024 * 1024 });
    child.child.stdin?.end(text);
    return (await child).stdout;
  }
  return Buffer.from(text);
}

function releaseText(
  suite: string,
  components: string[],
  arches: string[],
  indexes: Map<string, Buffer>,
  options: AptRepoOptions,
): string {
  const lines = [
    `Origin: ${options.origin ?? "cudaseal-test"}`,
    `Label: ${options.label ?? "cudaseal-test"}`,
    `Suite: ${suite}`,
    `Codename: ${options.codename ?? suite}`,
    `Date: ${rfc2822(options.date ?? new Date())}`,
  ];
  if (options.validUntil) lines.push(`Valid-Until: ${rfc2822(options.validUntil)}`);
  if (options.acquireByHash) lines.push("Acquire-By-Hash: yes");
  lines.push(`Architectures: ${arches.join(" ")}`, `Components: ${components.join(" ")}`);
  lines.push("Description: cudaseal test repository", "SHA256:");
  for (const [path, bytes] of [...indexes].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(` ${sha256(bytes)} ${String(bytes.length).padStart(8)} ${path}`);
  }
  return `${lines.join("\n")}\n`;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A date as Release files write it: `Sat, 08 Nov 2025 09:51:22 UTC`. */
export function rfc2822(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`
  );
}

/**
 * Flip a bit in the last byte of the signature packets inside an armored
 * signature (the end of the signature value) and fix the CRC, so the armor
 * still reads and only the cryptographic check can fail.
 */
export function corruptArmoredSignature(armored: string): string {
  const begin = armored.indexOf("-----BEGIN PGP SIGNATURE-----");
  const end = armored.indexOf("-----END PGP SIGNATURE-----");
  const block = armored.slice(begin, end);
  const lines = block.split("\n");
  const blank = lines.findIndex((line, i) => i > 0 && line.trim() === "");
  const body: string[] = [];
  let crcLine = -1;
  for (let i = blank + 1; i < lines.length; i++) {
    if (lines[i].startsWith("=")) crcLine = i;
    else if (lines[i].trim() !== "") body.push(lines[i].trim());
  }
  const bytes = flipLastByte(Buffer.from(body.join(""), "base64"));
  const b64 = Buffer.from(bytes).toString("base64");
  const wrapped = b64.match(/.{1,64}/g) ?? [];
  const crc = crcLine === -1 ? [] : [`=${crc24(bytes)}`];
  const rebuilt = [...lines.slice(0, blank + 1), ...wrapped, ...crc, ""].join("\n");
  return armored.slice(0, begin) + rebuilt + armored.slice(end);
}

function flipLastByte(bytes: Uint8Array): Buffer {
  const copy = Buffer.from(bytes);
  copy[copy.length - 1] ^= 0x01;
  return copy;
}

/** The armor checksum of RFC 4880 §6.1, base64. */
function crc24(bytes: Uint8Array): string {
  let crc = 0xb704ce;
  for (const byte of bytes) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  crc &= 0xffffff;
  return Buffer.from([crc >> 16, (crc >> 8) & 0xff, crc & 0xff]).toString("base64");
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function stripEpoch(version: string): string {
  const colon = version.indexOf(":");
  return colon === -1 ? version : version.slice(colon + 1);
}

// ---------------------------------------------------------------- server

interface ServeState {
  suite: string;
  components: string[];
  arches: string[];
  key: TestKey;
  signer: TestKey;
  debs: PublishedDeb[];
  options: AptRepoOptions;
}

async function serve(dir: string, state: ServeState): Promise<AptRepo> {
  const requests = new Map<string, number>();
  const failures = new Map<string, { times: number; status: number }>();
  for (const [path, times] of Object.entries(state.options.failures ?? {})) {
    failures.set(path, { times, status: state.options.failureStatus ?? 503 });
  }
  const root = normalize(dir) + sep;

  const notModified = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const failure = failures.get(path);
    if (failure && failure.times > 0) {
      failure.times--;
      res.writeHead(failure.status, { "content-type": "text/plain" }).end("try again later\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405).end();
      return;
    }
    const file = normalize(join(dir, path));
    if (!file.startsWith(root) || basename(file).startsWith(".")) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (bytes) => {
        // An ETag as mirrors send one, and 304 to a request that already holds it.
        const etag = `"${createHash("sha256").update(bytes).digest("hex").slice(0, 32)}"`;
        if (req.headers["if-none-match"] === etag) {
          notModified.set(path, (notModified.get(path) ?? 0) + 1);
          res.writeHead(304, { etag }).end();
          return;
        }
        res.writeHead(200, {
          "content-type": "application/octet-stream",
          "content-length": bytes.length,
          etag,
        });
        res.end(req.method === "HEAD" ? undefined : bytes);
      },
      () => {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    suite: state.suite,
    components: state.components,
    arches: state.arches,
    signer: state.signer,
    key: state.key,
    publicKeyPath: state.key.publicKeyPath,
    armoredKeyPath: state.key.armoredKeyPath,
    debs: state.debs,
    requests,
    count: (path) => requests.get(path) ?? 0,
    notModifiedCount: (path) => notModified.get(path) ?? 0,
    failNext: (path, times, status = 503) => {
      failures.set(path, { times, status });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
