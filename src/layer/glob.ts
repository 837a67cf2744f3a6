// Globs for spec excludes/keep, matched against image paths without a
// leading slash: `*` stays within one path segment, `**` crosses segments,
// `?` is one character. A pattern that matches a directory matches all below it.

export type PathMatcher = (path: string) => boolean;

export function compileGlobs(patterns: readonly string[]): PathMatcher {
  if (patterns.length === 0) return () => false;
  const source = patterns.map((p) => globToRegExp(p.replace(/^\/+/, ""))).join("|");
  const re = new RegExp(`^(?:${source})(?:/.*)?$`);
  return (path) => re.test(path);
}

function globToRegExp(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") {
      if (glob[i + 1] === "*") {
        i++;
        if (glob[i + 1] === "/") {
          i++;
          out += "(?:.*/)?";
        } else {
          out += ".*";
        }
      } else {
        out += "[^/]*";
      }
    } else if (c === "?") {
      out += "[^/]";
    } else {
      out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return out.replace(/\/+$/, "");
}
