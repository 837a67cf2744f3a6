// Just enough of POSIX sh to see which commands a RUN runs: words (quotes
// removed), redirections dropped, commands split at `;`, `&&`, `||`, `&`,
// newlines and parentheses, and pipelines kept together so `curl … | sh` is
// one pipeline of two commands. A `case`'s patterns (`arm64|aarch64)`) are
// dropped, so their `|` is no pipe. `$(…)` and backticks stay inside their word;
// rules that care look into the raw text. This is a linter's view, not an
// interpreter: no expansion, no functions, no control flow.

import type { Instruction } from "./dockerfile.ts";

/** One simple command. */
export interface ShellCommand {
  /** Words with quotes removed; redirections and their targets left out. */
  words: string[];
  /** Which pipeline (commands joined by `|`) it belongs to, and its place in it. */
  pipeline: number;
  position: number;
}

/** Shells a pipeline or heredoc may feed a script to. */
export const SHELLS: ReadonlySet<string> = new Set(["sh", "bash", "zsh", "dash", "ash", "ksh"]);

/** Reserved words and prefixes that come before the command's name. */
const PREFIXES = new Set([
  "if",
  "then",
  "else",
  "elif",
  "do",
  "while",
  "until",
  "!",
  "{",
  "}",
  "time",
  "exec",
]);
/** Commands that run their arguments as another command. */
const WRAPPERS = new Set(["sudo", "env", "nice", "nohup", "stdbuf", "timeout", "xargs", "su-exec", "gosu"]);

/** The simple commands of a shell script. */
export function shellCommands(script: string): ShellCommand[] {
  const out: ShellCommand[] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  let dropNext = false;
  let pipeline = 0;
  let position = 0;
  // Open `case … in` blocks, and whether a pattern list (up to its `)`) comes next.
  let cases = 0;
  let inPattern = false;

  const endWord = () => {
    if (inWord) {
      if (dropNext) dropNext = false;
      else words.push(word);
    }
    word = "";
    inWord = false;
  };
  const endCommand = (pipe: boolean) => {
    endWord();
    dropNext = false;
    if (words.length > 0) {
      out.push({ words, pipeline, position });
      position++;
    }
    words = [];
    if (!pipe) {
      if (position > 0) pipeline++;
      position = 0;
    }
  };

  for (let i = 0; i < script.length; i++) {
    const ch = script[i];
    const nextCh = script[i + 1];
    // `case WORD in` is complete: the first pattern list follows.
    if (!inWord && words.length === 3 && words[0] === "case" && words[2] === "in") {
      endCommand(false);
      cases++;
      inPattern = true;
    }
    if (inPattern && cases > 0) {
      if (/\s/.test(ch)) continue;
      if (/^esac(?![\w-])/.test(script.slice(i, i + 5))) {
        cases--;
        inPattern = false;
      } else {
        i = patternEnd(script, i);
        inPattern = false;
        continue;
      }
    }
    if (ch === "\\") {
      if (nextCh === "\n") i++;
      else if (nextCh !== undefined) {
        word += nextCh;
        inWord = true;
        i++;
      }
      continue;
    }
    if (ch === "'") {
      const end = script.indexOf("'", i + 1);
      const stop = end < 0 ? script.length : end;
      word += script.slice(i + 1, stop);
      inWord = true;
      i = stop;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      for (; j < script.length && script[j] !== '"'; j++) {
        if (script[j] === "\\" && j + 1 < script.length && '"\\$`\n'.includes(script[j + 1])) {
          if (script[j + 1] !== "\n") word += script[j + 1];
          j++;
        } else {
          word += script[j];
        }
      }
      inWord = true;
      i = j;
      continue;
    }
    if (ch === "$" && nextCh === "(") {
      const end = closing(script, i + 1);
      word += script.slice(i, end + 1);
      inWord = true;
      i = end;
      continue;
    }
    if (ch === "`") {
      const end = script.indexOf("`", i + 1);
      const stop = end < 0 ? script.length : end;
      word += script.slice(i, stop + 1);
      inWord = true;
      i = stop;
      continue;
    }
    if (ch === "#" && !inWord) {
      while (i + 1 < script.length && script[i + 1] !== "\n") i++;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\r") {
      endWord();
      continue;
    }
    if (ch === "<" || ch === ">" || (ch === "&" && nextCh === ">")) {
      // An fd number right before the operator (`2>`) is part of it, not a word.
      if (/^\d+$/.test(word)) {
        word = "";
        inWord = false;
      } else {
        endWord();
      }
      if (ch === "<" && nextCh === "(") {
        // Process substitution `<(…)` is a word (a file name), not a redirection.
        const end = closing(script, i + 1);
        word += script.slice(i, end + 1);
        inWord = true;
        i = end;
        continue;
      }
      while (i + 1 < script.length && "<>&|-".includes(script[i + 1])) i++;
      dropNext = true;
      continue;
    }
    if (ch === "|" || ch === "&" || ch === ";" || ch === "\n" || ch === "(" || ch === ")") {
      const pipe = ch === "|" && nextCh !== "|";
      // `;;` (and `;&`, `;;&`) ends a case branch: a pattern list comes next.
      if (ch === ";" && (nextCh === ";" || nextCh === "&") && cases > 0) inPattern = true;

      if ((ch === "|" || ch === "&") && nextCh === ch) i++;
      else if (ch === "|" && nextCh === "&") i++;
      else if (ch === ";" && nextCh === ";") i++;
      endCommand(pipe);
      continue;
    }
    word += ch;
    inWord = true;
  }
  endCommand(false);
  return out;
}

// The index of the `)` that ends a case pattern starting at `start` (`(a|b)` or `a|b)`), skipping quoted text.
function patternEnd(text: string, start: number): number {
  let j = text[start] === "(" ? start + 1 : start;
  for (; j < text.length; j++) {
    const c = text[j];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, j + 1);
      if (end < 0) return text.length - 1;
      j = end;
    } else if (c === "\\") j++;
    else if (c === ")") return j;
  }
  return text.length - 1;
}

// The index of the `)` closing the `(` at `open`, skipping quoted text; the end if none.
function closing(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    const c = text[j];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, j + 1);
      if (end < 0) return text.length - 1;
      j = end;
    } else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return j;
  }
  return text.length - 1;
}

/** A command with assignments, reserved words and wrappers (sudo, env…) peeled off. */
export interface Invocation {
  /** The program's base name: `/usr/bin/apt-get` → `apt-get`. */
  name: string;
  args: string[];
  /** The wrappers it ran under, outermost first (`sudo`, `env`). */
  via: string[];
  /** `NAME=value` assignments written before it (for this command only). */
  assignments: Map<string, string>;
}

/** What a simple command runs. Undefined for a bare assignment. */
export function invocation(words: readonly string[]): Invocation | undefined {
  const via: string[] = [];
  const assignments = new Map<string, string>();
  let i = 0;
  while (i < words.length) {
    const w = words[i];
    const assign = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w);
    if (assign) {
      assignments.set(assign[1], assign[2]);
      i++;
    } else if (PREFIXES.has(w)) {
      i++;
    } else if (WRAPPERS.has(basename(w))) {
      via.push(basename(w));
      i++;
      // A wrapper's own options (sudo -E -u app, timeout 10, env -i) come before the command.
      while (i < words.length && (words[i].startsWith("-") || /^\d+[smhd]?$/.test(words[i]))) {
        const opt = words[i++];
        if (/^-[ugpCDhrtT]$/.test(opt) && via[via.length - 1] === "sudo") i++;
      }
    } else {
      break;
    }
  }
  if (i >= words.length) return undefined;
  return { name: basename(words[i]), args: words.slice(i + 1), via, assignments };
}

function basename(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? path : path.slice(slash + 1);
}

/**
 * The shell text a RUN executes: the command line in shell form (or the
 * `-c` script of an exec-form shell), plus every heredoc body that a shell
 * runs (`RUN <<EOF`, `RUN bash <<EOF`), but not bodies fed to other programs
 * (`RUN python3 <<EOF`, `RUN cat <<EOF > file`).
 */
export function runScript(ins: Instruction): string {
  if (ins.json !== undefined) {
    const [prog, ...rest] = ins.json;
    const c = rest.indexOf("-c");
    if (prog !== undefined && SHELLS.has(basename(prog)) && c >= 0 && rest[c + 1] !== undefined) {
      return rest[c + 1];
    }
    return ins.json.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(" ");
  }
  if (ins.heredocs.length === 0) return ins.args;
  const commands = shellCommands(ins.args);
  const shellRuns =
    commands.length === 0 || commands.some((c) => SHELLS.has(invocation(c.words)?.name ?? ""));
  if (!shellRuns) return ins.args;
  return [ins.args, ...ins.heredocs.map((h) => h.body)].join("\n");
}
