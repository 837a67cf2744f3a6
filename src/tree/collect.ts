// What each entry of a layer is to the dynamic loader, learnt as the entry
// passes on its way into the layer: its node in the image tree (link/types.ts).
// A file's body is watched, never held: the ELF reader picks out the header,
// PT_INTERP and the dynamic section; the first bytes give a `#!` line; only
// the loader's small configuration files are kept as text. Any layer writer
// (packages, the system layer, the user's contents, Python wheels) passes
// its entries through one collector and keeps `nodes()` with the layer.

import type { LayerEntry } from "../layer/entry.ts";
import type { TreeNode } from "../link/index.ts";
import { ElfStreamReader } from "../trim/elf-stream.ts";

/** The kernel reads no more of a `#!` line than this (BINPRM_BUF_SIZE). */
const SHEBANG_BYTES = 256;
/** ld.so.conf files larger than this are not configuration anyone meant. */
const MAX_CONFIG_TEXT = 64 * 1024;

/** A layer's nodes, as the layer cache keeps them: [canonical path, node], in layer order. */
export type TreeNodes = [string, TreeNode][];

type FileNode = Extract<TreeNode, { type: "file" }>;

/** Whether the loader reads `path` as configuration: ld.so.conf and what it includes from ld.so.conf.d. */
export function isLoaderConfig(path: string): boolean {
  return path === "etc/ld.so.conf" || /^etc\/ld\.so\.conf\.d\/[^/]+$/.test(path);
}

export class TreeCollector {
  readonly #nodes = new Map<string, TreeNode>();

  /** `entries`, unchanged, each recorded as it passes; `owner` is who ships them. */
  async *watch(
    entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>,
    owner?: string,
  ): AsyncGenerator<LayerEntry> {
    for await (const e of entries) yield this.record(e, owner);
  }

  /**
   * Record `entry`; returns it with its body wrapped so that the facts are
   * read as the body streams (whole-bytes bodies are read at once).
   */
  record(entry: LayerEntry, owner?: string): LayerEntry {
    const own = owner === undefined ? {} : { owner };
    switch (entry.type) {
      case "directory":
        this.#set(entry.path, { type: "directory", mode: entry.mode, ...own });
        return entry;
      case "symlink":
        this.#set(entry.path, { type: "symlink", target: entry.linkname ?? "", ...own });
        return entry;
      case "hardlink": {
        // The same inode as its target, written before it: the same node.
        const target = this.#nodes.get(entry.linkname ?? "");
        this.#set(
          entry.path,
          target?.type === "file" ? target : { type: "file", mode: entry.mode, size: 0, ...own },
        );
        return entry;
      }
      default: {
        const node: FileNode = { type: "file", mode: entry.mode, size: entry.size ?? 0, ...own };
        this.#set(entry.path, node);
        return { ...entry, body: watchedBody(entry, node) };
      }
    }
  }

  /** Every node recorded, in the order the layer holds them. */
  nodes(): TreeNodes {
    return [...this.#nodes];
  }

  #set(path: string, node: TreeNode): void {
    // A path written twice in one layer: the later entry is what extraction leaves.
    this.#nodes.delete(path);
    this.#nodes.set(path, node);
  }
}

/** The nodes of a layer whose entries are all at hand (synthesized layers). */
export function treeNodes(entries: readonly LayerEntry[], owner?: string): TreeNodes {
  const collector = new TreeCollector();
  for (const e of entries) collector.record(e, owner);
  return collector.nodes();
}

/** `entry`'s body, the same bytes, filling `node` with what they say once read to the end. */
function watchedBody(entry: LayerEntry, node: FileNode): Uint8Array | AsyncIterable<Uint8Array> {
  const watcher = new BodyWatcher(entry.path, entry.size ?? 0);
  const body = entry.body;
  if (body === undefined || body instanceof Uint8Array) {
    if (body) watcher.push(body);
    watcher.finish(node);
    return body ?? new Uint8Array(0);
  }
  return (async function* () {
    for await (const chunk of body) {
      watcher.push(chunk);
      yield chunk;
    }
    watcher.finish(node);
  })();
}

/** Reads what the loader needs from a file's chunks in passing. */
class BodyWatcher {
  readonly #elf = new ElfStreamReader();
  readonly #first: Buffer[] = [];
  #firstLength = 0;
  readonly #text: Buffer[] | undefined;

  constructor(path: string, size: number) {
    this.#text = isLoaderConfig(path) && size <= MAX_CONFIG_TEXT ? [] : undefined;
  }

  push(chunk: Uint8Array): void {
    const c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!this.#elf.done) this.#elf.push(c);
    if (this.#firstLength < SHEBANG_BYTES) {
      const keep = Buffer.from(c.subarray(0, SHEBANG_BYTES - this.#firstLength));
      this.#first.push(keep);
      this.#firstLength += keep.length;
    }
    this.#text?.push(Buffer.from(c));
  }

  finish(node: FileNode): void {
    const elf = this.#elf.end();
    if (elf !== null && elf !== "unreadable") {
      node.elf = elf;
      return;
    }
    const first = Buffer.concat(this.#first, this.#firstLength);
    const shebang = elf === null ? parseShebang(first) : undefined;
    if (shebang) node.shebang = shebang;
    if (this.#text) node.text = Buffer.concat(this.#text).toString("utf8");
  }
}

/** The interpreter and its one argument, as the kernel splits a `#!` line. */
export function parseShebang(head: Buffer): { interpreter: string; argument?: string } | undefined {
  if (head.length < 3 || head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  const nl = head.indexOf(0x0a);
  const line = head.toString("latin1", 2, nl < 0 ? head.length : nl).replace(/[ \t\r]+$/, "");
  const m = /^[ \t]*(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (!m) return undefined;
  return m[2] ? { interpreter: m[1], argument: m[2] } : { interpreter: m[1] };
}
