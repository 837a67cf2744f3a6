// Reads the machine's own apt configuration to find its Debian mirrors, as
// mmdebstrap does, so that no mirror host is ever written into cudaseal.
// Both formats are read: one-line `sources.list` and deb822 `*.sources`.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { type Paragraph, parseDeb822 } from "../deb/deb822.ts";
import { readRegularFileSync } from "../util/read-regular-file.ts";

export interface SystemEntry {
  uri: string;
  suites: string[];
  components: string[];
  file: string;
}

export interface SystemMirrors {
  /** Base URI of the Debian archive mirror (for suites like `trixie`). */
  debian?: string;
  /** Base URI of the Debian security archive (for suites like `trixie-security`). */
  security?: string;
  entries: SystemEntry[];
}

const DEBIAN_SUITES = new Set([
  "sid",
  "unstable",
  "testing",
  "stable",
  "oldstable",
  "oldoldstable",
  "experimental",
  "jessie",
  "stretch",
  "buster",
  "bullseye",
  "bookworm",
  "trixie",
  "forky",
  "duke",
]);

/** The suites of a release other than itself: `trixie-updates`, `trixie-security`… */
const DEBIAN_SUFFIXES = new Set(["updates", "security", "backports", "backports-sloppy", "proposed-updates"]);

/** Read every enabled `deb` entry under `<root>/etc/apt` and pick the Debian mirrors. */
export function readSystemMirrors(root = "/"): SystemMirrors {
  const dir = join(root, "etc/apt");
  const entries: SystemEntry[] = [];
  const main = join(dir, "sources.list");
  entries.push(...readOneLine(main));
  let names: string[] = [];
  try {
    names = readdirSync(join(dir, "sources.list.d")).sort();
  } catch {
    // no sources.list.d: only sources.list counts
  }
  for (const name of names) {
    const path = join(dir, "sources.list.d", name);
    if (name.endsWith(".list")) entries.push(...readOneLine(path));
    else if (name.endsWith(".sources")) entries.push(...readDeb822(path));
  }
  const result: SystemMirrors = { entries };
  for (const entry of entries) {
    if (!/^https?:\/\//.test(entry.uri)) continue;
    for (const suite of entry.suites) {
      const base = suite.replace(/\/updates$/, "-security");
      const [name, suffix] = splitSuite(base);
      // Third-party repositories name suites after Debian's releases too
      // (`trixie stable`, `trixie-pgdg main`); Debian's own have `main`.
      if (!DEBIAN_SUITES.has(name) || (suffix !== undefined && !DEBIAN_SUFFIXES.has(suffix))) continue;
      if (!entry.components.includes("main")) continue;
      if (suffix === "security") result.security ??= entry.uri.replace(/\/+$/, "");
      else result.debian ??= entry.uri.replace(/\/+$/, "");
    }
  }
  return result;
}

function splitSuite(suite: string): [string, string | undefined] {
  const dash = suite.indexOf("-");
  return dash < 0 ? [suite, undefined] : [suite.slice(0, dash), suite.slice(dash + 1)];
}

/** A sources file is a few lines; a FIFO or device left in sources.list.d is passed over, not waited on. */
const MAX_SOURCES_FILE = 1024 * 1024;

function readText(path: string): string | undefined {
  try {
    return readRegularFileSync(path, { what: "apt sources file", max: MAX_SOURCES_FILE }).toString("utf8");
  } catch {
    return undefined;
  }
}

/** `deb [opt=val ...] uri suite component...` */
export function parseOneLine(text: string, file: string): SystemEntry[] {
  const entries: SystemEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) continue;
    // A bracketed run is part of its word: the options after `deb`, and the
    // label inside a cdrom URI (`cdrom:[Debian GNU/Linux 13 …]/`), spaces and all.
    const words = line.match(/(?:[^\s[]+|\[[^\]]*\])+/g) ?? [];
    const at = words[1]?.startsWith("[") ? 2 : 1;
    if (words[0] !== "deb" || words.length < at + 2) continue;
    entries.push({ uri: words[at], suites: [words[at + 1]], components: words.slice(at + 2), file });
  }
  return entries;
}

/** deb822 stanzas with `Types`, `URIs`, `Suites`, `Components`, `Enabled`. */
export function parseDeb822Sources(text: string, file: string): SystemEntry[] {
  const entries: SystemEntry[] = [];
  let stanzas: Paragraph[];
  try {
    stanzas = parseDeb822(text, { source: file });
  } catch {
    // A file apt itself would reject names no mirror cudaseal can use.
    return entries;
  }
  for (const stanza of stanzas) {
    const words = (name: string) => (stanza.get(name) ?? "").split(/\s+/).filter(Boolean);
    if (!words("Types").includes("deb")) continue;
    if ((stanza.get("Enabled") ?? "yes").trim().toLowerCase() === "no") continue;
    for (const uri of words("URIs")) {
      entries.push({ uri, suites: words("Suites"), components: words("Components"), file });
    }
  }
  return entries;
}

function readOneLine(path: string): SystemEntry[] {
  const text = readText(path);
  return text === undefined ? [] : parseOneLine(text, path);
}

function readDeb822(path: string): SystemEntry[] {
  const text = readText(path);
  return text === undefined ? [] : parseDeb822Sources(text, path);
}
