// Reading the arguments of one instruction by its kind: FROM's image and
// stage name, the name=value pairs of ARG, ENV and LABEL, COPY/ADD's sources
// and destination, EXPOSE's ports. Values stay raw (quotes as written) so the
// caller expands them with the variables in scope at that point.

import type { Instruction } from "./dockerfile.ts";
import { splitWords, unquote } from "./words.ts";

export interface FromArgs {
  /** The image as written, before substitution: `nvidia/cuda:${CUDA}-runtime-ubuntu22.04`. */
  image: string;
  /** The `AS name`, lower-cased as BuildKit compares stage names. */
  name?: string;
}

/** FROM [--platform=…] IMAGE [AS NAME]. */
export function fromArgs(ins: Instruction, esc: string): FromArgs {
  const words = splitWords(ins.args, esc);
  const image = words[0] ?? "";
  const as = words.findIndex((w, i) => i > 0 && w.toLowerCase() === "as");
  const name = as > 0 && words[as + 1] !== undefined ? unquote(words[as + 1], esc).toLowerCase() : undefined;
  return name === undefined ? { image } : { image, name };
}

export interface NameValue {
  name: string;
  /** Raw (quotes kept), undefined for `ARG NAME` with no default. */
  value?: string;
}

/**
 * The pairs of ARG, ENV and LABEL. ENV and LABEL also have BuildKit's legacy
 * form `ENV NAME the rest of the line`, used when the first word has no `=`.
 */
export function nameValues(ins: Instruction, esc: string): NameValue[] {
  const words = splitWords(ins.args, esc);
  if (words.length === 0) return [];
  if (ins.keyword !== "ARG" && !words[0].includes("=")) {
    const rest = ins.args.slice(ins.args.indexOf(words[0]) + words[0].length).trim();
    return [{ name: unquote(words[0], esc), value: rest }];
  }
  return words.map((w) => {
    const eq = w.indexOf("=");
    if (eq < 0) return { name: unquote(w, esc) };
    return { name: unquote(w.slice(0, eq), esc), value: w.slice(eq + 1) };
  });
}

export interface CopyArgs {
  /** Raw sources (or heredoc names for `COPY <<EOF /dest`). */
  sources: string[];
  /** Raw destination. */
  dest: string;
  /** True when the sources are heredocs written inline. */
  inline: boolean;
}

/** COPY/ADD's sources and destination, from the exec form or the shell words. */
export function copyArgs(ins: Instruction, esc: string): CopyArgs {
  const words = ins.json ?? splitWords(ins.args, esc);
  const dest = words.length > 1 ? words[words.length - 1] : "";
  const sources = words.slice(0, -1);
  const inline = ins.heredocs.length > 0 && sources.every((s) => /^\d*<<-?/.test(s));
  return { sources, dest, inline };
}

export interface Port {
  /** The port text as written (`8080/tcp`, `8000-8010`). */
  text: string;
  from: number;
  to: number;
}

/** EXPOSE's ports; ranges keep both ends, and words that are not ports (variables) are skipped. */
export function exposedPorts(words: string[]): Port[] {
  const ports: Port[] = [];
  for (const text of words) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(text);
    if (m) ports.push({ text, from: Number(m[1]), to: Number(m[2] ?? m[1]) });
  }
  return ports;
}
