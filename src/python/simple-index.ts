// The client of Python's "simple" repository API: a project's page at
// `<index>/<normalised-name>/` lists its files. PEP 691's JSON form is asked
// for first and PEP 503's HTML accepted; both give each file's name, URL
// (relative to the page), hashes, Requires-Python and yanked state.
//
// Requests go through src/http (header and idle timeouts, bounded retries,
// a capped body), so every wait is bounded. A page is untrusted input: its
// size is capped, its JSON is checked field by field, and its HTML is read
// for anchors alone. Credentials come from index-auth.ts and travel only in
// a header; every message names the index through redactUrl.

import { CudasealError } from "../errors.ts";
import {
  type GetOptions,
  HttpStatusError,
  openGet,
  readCapped,
  redactUrl,
  retryingGet,
  tooLarge,
} from "../http/index.ts";
import { authHeaders, type IndexAuthOptions, splitCredentials } from "./index-auth.ts";
import { sha256Hex } from "./lock-common.ts";
import { normalizeName } from "./names.ts";

/** One file a project page lists. */
export interface IndexFile {
  filename: string;
  /** Absolute, without user info. */
  url: string;
  sha256?: string;
  requiresPython?: string;
  yanked: boolean;
  size?: number;
}

export interface SimpleIndexOptions extends IndexAuthOptions {
  signal?: AbortSignal;
  /** Header and idle bounds; unset ones come from the environment or src/http's defaults. */
  timeouts?: GetOptions["timeouts"];
  /** Attempts per page (default src/http's). */
  attempts?: number;
  /** The largest page read (default 64 MiB; a project with thousands of files is a few MiB). */
  maxBytes?: number;
}

const ACCEPT =
  "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";
const DEFAULT_MAX_PAGE = 64 * 1024 * 1024;

/** The project page's URL: `<index>/<normalised name>/`, with the index's user info dropped. */
export function projectUrl(index: string, project: string): string {
  const base = splitCredentials(index).url;
  return `${base.endsWith("/") ? base : `${base}/`}${encodeURIComponent(normalizeName(project))}/`;
}

function indexFailed(
  index: string,
  why: string,
  options: { cause?: unknown; hint?: string } = {},
): CudasealError {
  return new CudasealError("PY_INDEX_FAILED", `index ${redactUrl(splitCredentials(index).url)}: ${why}`, {
    cause: options.cause,
    hint: options.hint,
    details: { index: redactUrl(splitCredentials(index).url) },
  });
}

/**
 * The files `index` lists for `project`, or undefined when the index does
 * not have the project (404). PY_INDEX_FAILED for anything else that goes
 * wrong: refused credentials, a page too large or malformed, a server that
 * stays down or silent past the timeouts.
 */
export async function listProjectFiles(
  index: string,
  project: string,
  options: SimpleIndexOptions = {},
): Promise<IndexFile[] | undefined> {
  let url: string;
  try {
    url = projectUrl(index, project);
  } catch (err) {
    throw new CudasealError("PY_INDEX_FAILED", "an index URL is not a URL", { cause: err });
  }
  const max = options.maxBytes ?? DEFAULT_MAX_PAGE;
  const headers = {
    accept: ACCEPT,
    ...(await authHeaders(index, { ...options, indexes: [index, ...(options.indexes ?? [])] })),
  };
  const get: GetOptions = {
    signal: options.signal,
    timeouts: options.timeouts,
    attempts: options.attempts,
    headers,
    label: `${project} on ${redactUrl(url)}`,
  };
  let page: { body: Buffer; type: string; finalUrl: string };
  try {
    page = await retryingGet(url, get, async () => {
      const res = await openGet(url, get);
      const body = await readCapped(res, max, () =>
        tooLarge(url, max, get.label, "a project page this large is not a simple index"),
      );
      // After a redirect, links are relative to where the page was found.
      return { body, type: res.headers.get("content-type") ?? "", finalUrl: res.url || url };
    });
  } catch (err) {
    if (err instanceof HttpStatusError && (err.status === 404 || err.status === 410)) return undefined;
    if (options.signal?.aborted && err === options.signal.reason) throw err;
    if (err instanceof HttpStatusError && (err.status === 401 || err.status === 403))
      throw indexFailed(index, `HTTP ${err.status} for ${project}`, {
        cause: err,
        hint: "give the index's credentials in its URL (https://user:token@host/simple/) or a netrc file ($NETRC, ~/.netrc)",
      });
    throw indexFailed(index, `cannot list ${project}: ${(err as Error).message}`, { cause: err });
  }
  const json = /^application\/(vnd\.pypi\.simple\.v1\+)?json\b/i.test(page.type.trim());
  const text = page.body.toString("utf8");
  const files = json ? parseJsonPage(text, page.finalUrl, index) : parseHtmlPage(text, page.finalUrl, index);
  return files;
}

/** A link as the page wrote it, made absolute against the page; user info dropped. */
function absolute(href: string, pageUrl: string, index: string): { url: string; fragment: string } {
  let u: URL;
  try {
    u = new URL(href, pageUrl);
  } catch {
    throw indexFailed(index, `a link is not a URL: ${JSON.stringify(href.slice(0, 100))}`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:" && u.protocol !== "file:")
    throw indexFailed(index, `a link uses ${u.protocol}, not http(s)`);
  // A remote page must not send the fetch to the builder's own files; a local index may.
  if (u.protocol === "file:" && new URL(pageUrl).protocol !== "file:")
    throw indexFailed(index, "a link of a remote page points at a local file (file:)");
  const fragment = u.hash.replace(/^#/, "");
  u.hash = "";
  u.username = "";
  u.password = "";
  return { url: u.href, fragment };
}

/** PEP 691 JSON: `{meta: {api-version: "1.x"}, files: [{filename, url, hashes, …}]}`. */
export function parseJsonPage(text: string, pageUrl: string, index: string): IndexFile[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw indexFailed(index, "the project page is not JSON", { cause: err });
  }
  const d = doc as { meta?: { "api-version"?: unknown }; files?: unknown };
  const api = d?.meta?.["api-version"];
  if (typeof api !== "string" || !/^1\./.test(api))
    throw indexFailed(index, `api-version ${JSON.stringify(api)} is not 1.x`);
  if (!Array.isArray(d.files)) throw indexFailed(index, "the project page has no files list");
  return d.files.map((f: unknown) => {
    const e = f as Record<string, unknown>;
    if (typeof e?.filename !== "string" || typeof e.url !== "string")
      throw indexFailed(index, "a file has no filename or url");
    const hashes = (e.hashes ?? {}) as Record<string, unknown>;
    return {
      filename: e.filename,
      url: absolute(e.url, pageUrl, index).url,
      sha256: sha256Hex(hashes.sha256),
      requiresPython: typeof e["requires-python"] === "string" ? e["requires-python"] : undefined,
      yanked: e.yanked === true || (typeof e.yanked === "string" && e.yanked !== ""),
      size: typeof e.size === "number" ? e.size : undefined,
    };
  });
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, e: string) => {
    if (e[0] === "#") {
      const code =
        e[1] === "x" || e[1] === "X" ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[e.toLowerCase()] ?? whole;
  });
}

function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(
    /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g,
  ))
    out.set((m[1] as string).toLowerCase(), unescapeHtml(m[2] ?? m[3] ?? m[4] ?? ""));
  return out;
}

/** PEP 503 HTML: one `<a href="…#sha256=…" data-requires-python="…" data-yanked>filename</a>` per file. */
export function parseHtmlPage(text: string, pageUrl: string, index: string): IndexFile[] {
  const files: IndexFile[] = [];
  for (const m of text.matchAll(/<a\b([^>]*)>([^<]*)<\/a\s*>/gi)) {
    const attrs = attributes(m[1] as string);
    const href = attrs.get("href");
    if (href === undefined) continue;
    const { url, fragment } = absolute(href, pageUrl, index);
    const hash = /^sha256=([0-9a-fA-F]{64})$/.exec(fragment);
    const filename = unescapeHtml((m[2] as string).trim());
    if (filename === "") continue;
    files.push({
      filename,
      url,
      sha256: hash ? (hash[1] as string).toLowerCase() : undefined,
      requiresPython: attrs.get("data-requires-python"),
      yanked: attrs.has("data-yanked"),
    });
  }
  return files;
}
