// Splitting an instruction's arguments into words the way BuildKit's
// Dockerfile lexer does: whitespace separates words unless quoted, and the
// file's escape character (`\` or a backtick) escapes the next character.
// Variable expansion is in substitute.ts; this file only finds the words.

/** The words of `text`, quotes and escapes kept as written (`"a b"` stays one word, quotes included). */
export function splitWords(text: string, esc: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      word += ch;
      if (ch === esc && quote === '"' && i + 1 < text.length) word += text[++i];
      else if (ch === quote) quote = "";
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    inWord = true;
    word += ch;
    if (ch === esc && i + 1 < text.length) word += text[++i];
    else if (ch === '"' || ch === "'") quote = ch;
  }
  if (inWord) words.push(word);
  return words;
}

/** A word with its quotes removed and escapes applied, without expanding variables. */
export function unquote(word: string, esc: string): string {
  let out = "";
  let quote = "";
  for (let i = 0; i < word.length; i++) {
    const ch = word[i];
    if (quote === "'") {
      if (ch === "'") quote = "";
      else out += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = "";
      else if (ch === esc && i + 1 < word.length && '"$`\\'.includes(word[i + 1])) out += word[++i];
      else out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === esc && i + 1 < word.length) {
      out += word[++i];
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * BuildKit's extractBuilderFlags: the `--name[=value]` words at the start of
 * the arguments (quotes removed inside them) and the rest of the text. A lone
 * `--` ends the flags.
 */
export function extractFlags(text: string): { flags: { name: string; value?: string }[]; rest: string } {
  const flags: { name: string; value?: string }[] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
    if (!text.startsWith("--", pos)) return { flags, rest: text.slice(pos) };
    let word = "";
    let quote = "";
    for (; pos < text.length; pos++) {
      const ch = text[pos];
      if (quote) {
        if (ch === quote) quote = "";
        else if (ch === "\\" && pos + 1 < text.length) word += text[++pos];
        else word += ch;
        continue;
      }
      if (/\s/.test(ch)) break;
      if (ch === "'" || ch === '"') quote = ch;
      else if (ch === "\\" && pos + 1 < text.length) word += text[++pos];
      else word += ch;
    }
    if (word === "--") return { flags, rest: text.slice(pos).trimStart() };
    const eq = word.indexOf("=");
    flags.push(eq < 0 ? { name: word.slice(2) } : { name: word.slice(2, eq), value: word.slice(eq + 1) });
  }
}

/** `key=value` pairs of a comma-separated flag value (`--mount=type=cache,target=/x`), keys lower-cased. */
export function csvFields(value: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of splitCsv(value)) {
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (key)
      fields.set(
        key,
        eq < 0
          ? ""
          : part
              .slice(eq + 1)
              .trim()
              .replace(/^"(.*)"$/, "$1"),
      );
  }
  return fields;
}

// CSV as BuildKit's --mount parser reads it: commas inside double quotes do not split.
function splitCsv(value: string): string[] {
  const parts: string[] = [];
  let part = "";
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === "," && !quoted) {
      parts.push(part);
      part = "";
    } else {
      part += ch;
    }
  }
  parts.push(part);
  return parts;
}
