// An ImageTree read from a real directory on disk, as the build would fill
// it: every path, symlink targets, modes, the ELF facts the streaming ELF
// reader gives, `#!` lines, and the text of ld.so.conf and its includes.

import { createReadStream } from "node:fs";
import { lstat, open, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { ImageTree, TreeNode } from "../../src/link/types.ts";
import { readElfFile } from "../../src/trim/elf-stream.ts";

/** Every path under `root`, canonical (no leading slash), as an ImageTree; `owner` names each file's package. */
export async function readImageTree(
  root: string,
  arch = "amd64",
  owner: (path: string) => string | undefined = () => undefined,
): Promise<ImageTree> {
  const nodes = new Map<string, TreeNode>();
  async function walk(rel: string): Promise<void> {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const path = rel === "" ? name : `${rel}/${name}`;
      const full = join(root, path);
      const st = await lstat(full);
      if (st.isSymbolicLink())
        nodes.set(path, { type: "symlink", target: await readlink(full), owner: owner(path) });
      else if (st.isDirectory()) {
        nodes.set(path, { type: "directory", mode: st.mode & 0o7777 });
        await walk(path);
      } else if (st.isFile())
        nodes.set(path, await fileNode(full, path, st.mode & 0o7777, st.size, owner(path)));
    }
  }
  await walk("");
  return { arch, nodes };
}

async function fileNode(
  full: string,
  path: string,
  mode: number,
  size: number,
  owner?: string,
): Promise<TreeNode> {
  const node: Extract<TreeNode, { type: "file" }> = { type: "file", mode, size, owner };
  const elf = await readElfFile(createReadStream(full));
  if (elf && elf !== "unreadable") {
    node.elf = {
      bits: elf.bits,
      machine: elf.machine,
      type: elf.type,
      interpreter: elf.interpreter,
      soname: elf.soname,
      needed: elf.needed,
      rpath: elf.rpath,
      runpath: elf.runpath,
    };
    return node;
  }
  if (path === "etc/ld.so.conf" || path.startsWith("etc/ld.so.conf.d/"))
    node.text = await readFile(full, "utf8");
  const fh = await open(full, "r");
  try {
    const head = Buffer.alloc(256);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const text = head.toString("utf8", 0, bytesRead);
    if (text.startsWith("#!")) {
      const line = text.slice(2).split("\n")[0].trim();
      const space = line.search(/[ \t]/);
      node.shebang =
        space < 0
          ? { interpreter: line }
          : { interpreter: line.slice(0, space), argument: line.slice(space).trim() || undefined };
    }
  } finally {
    await fh.close();
  }
  return node;
}
