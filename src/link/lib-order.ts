// glibc's _dl_cache_libcmp (elf/dl-cache.c): the order ld.so.cache is sorted
// in and the loader's binary search assumes. Runs of digits compare as
// numbers (in C `int`, wrapping as it does there), a digit sorts after any
// other character, other bytes compare as C `char`, which is signed on
// x86-64 and unsigned on AArch64, so the order follows the target.

const isDigit = (b: number) => b >= 0x30 && b <= 0x39;

/** <0, 0 or >0 as glibc's _dl_cache_libcmp compares the two names. */
export function libcmp(a: Uint8Array, b: Uint8Array, signedChar: boolean): number {
  const ch = (buf: Uint8Array, i: number) => {
    const v = i < buf.length ? buf[i] : 0;
    return signedChar && v > 127 ? v - 256 : v;
  };
  let i = 0;
  let j = 0;
  while (i < a.length && a[i] !== 0) {
    const c1 = ch(a, i);
    const c2 = ch(b, j);
    if (isDigit(c1)) {
      if (!isDigit(c2)) return 1;
      let v1 = 0;
      let v2 = 0;
      while (i < a.length && isDigit(a[i])) v1 = (v1 * 10 + a[i++] - 0x30) | 0;
      while (j < b.length && isDigit(b[j])) v2 = (v2 * 10 + b[j++] - 0x30) | 0;
      if (v1 !== v2) return (v1 - v2) | 0;
    } else if (isDigit(c2)) return -1;
    else if (c1 !== c2) return c1 - c2;
    else {
      i++;
      j++;
    }
  }
  return ch(a, i) - ch(b, j);
}
