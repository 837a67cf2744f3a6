// The string table of ld.so.cache as glibc's ldconfig lays it out
// (elf/stringtable.c): each string once, sorted so that a string that ends
// another follows it, and then stored inside it (tail merging). Offsets and
// bytes depend only on the set of strings, so the table is reproducible.

export interface StringTable {
  bytes: Buffer;
  /** Offset of each string added. */
  offsets: Map<string, number>;
}

/** Reversed-string order, longer first on a shared suffix: stringtable.c's finalize_compare. */
function finalizeCompare(left: Buffer, right: Buffer): number {
  const n = Math.min(left.length, right.length);
  for (let i = 1; i <= n; i++) {
    const l = left[left.length - i];
    const r = right[right.length - i];
    if (l !== r) return r - l;
  }
  return right.length - left.length;
}

/** Lay out the strings as ldconfig's stringtable_finalize does. */
export function buildStringTable(strings: Iterable<string>): StringTable {
  const unique = [...new Set(strings)].map((s) => ({ s, b: Buffer.from(s, "utf8"), offset: 0 }));
  if (unique.length === 0) return { bytes: Buffer.alloc(0), offsets: new Map() };
  unique.sort((x, y) => finalizeCompare(x.b, y.b));
  for (let j = 1; j < unique.length; j++) {
    const prev = unique[j - 1];
    const cur = unique[j];
    const tailMerged =
      prev.b.length >= cur.b.length && prev.b.subarray(prev.b.length - cur.b.length).equals(cur.b);
    cur.offset = tailMerged ? prev.offset + prev.b.length - cur.b.length : prev.offset + prev.b.length + 1;
  }
  const last = unique[unique.length - 1];
  const bytes = Buffer.alloc(last.offset + last.b.length + 1);
  for (const u of unique) if (bytes[u.offset] === 0) u.b.copy(bytes, u.offset);
  return { bytes, offsets: new Map(unique.map((u) => [u.s, u.offset])) };
}
