// apt preferences' Pin-Priority for one source: packages whose name matches
// a pin's glob get its priority from that source instead of the source's
// own. The first matching pin wins, as the first matching stanza does in
// apt_preferences(5). A negative priority keeps the package from being
// installed from that source.

/** A pin as a source carries it: a name glob (`*` any run, `?` one character) and its priority. */
export interface AptPin {
  package: string;
  priority: number;
}

/** The priority a package of `name` has from a source of `priority` with `pins`. */
export function pinnedPriority(name: string, priority: number, pins: readonly AptPin[] | undefined): number {
  for (const pin of pins ?? []) {
    if (globMatches(pin.package, name)) return pin.priority;
  }
  return priority;
}

function globMatches(glob: string, name: string): boolean {
  if (!/[*?]/.test(glob)) return glob === name;
  const source = [...glob]
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`).test(name);
}
