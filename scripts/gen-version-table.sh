#!/bin/sh
# Regenerates test/fixtures/version-pairs.tsv: pairs of Debian versions and
# the order dpkg itself puts them in, so the TypeScript comparison is tested
# against the reference implementation rather than against our reading of it.
#
# The corpus is a fixed list of real-world versions (Debian's CUDA packages,
# the driver, glibc, security updates, backports, snapshots) plus versions
# made up by a seeded generator (epochs, tildes, plus signs, letters, long
# numbers, leading zeros, revisions) and near-miss variants of each, so most
# pairs differ in one small place. The generator is a fixed LCG in awk, so
# the same dpkg gives the same file.
#
# Usage: sh scripts/gen-version-table.sh [count]   (needs dpkg; default 3600 pairs)
set -eu

count=${1:-3600}
here=$(dirname "$0")
out="$here/../test/fixtures/version-pairs.tsv"
command -v dpkg >/dev/null 2>&1 || { echo "dpkg is needed to decide the pairs" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

awk -v count="$count" '
# Park-Miller: the products stay below 2^53, so awk doubles compute it exactly.
function rnd(n) { seed = (seed * 16807) % 2147483647; return int(seed / 128) % n }
function pick(list,   parts, n) { n = split(list, parts, " "); return parts[rnd(n) + 1] }
function number(   r, s, i) {
  r = rnd(20)
  if (r < 8) return rnd(10) ""
  if (r < 12) return rnd(100) ""
  if (r < 14) return rnd(100000) ""
  if (r < 16) return "0" rnd(10)
  if (r < 17) return "00" rnd(100)
  s = ""
  for (i = 0; i < 18 + rnd(12); i++) s = s rnd(10)
  return s
}
function word() { return pick("a b c z A Z rc rc1 beta alpha pre git dfsg ds ds1 svn cuda cuda12 b deb really") }
function upstream(   s, parts, i, r) {
  s = number()
  parts = rnd(5)
  for (i = 0; i < parts; i++) {
    r = rnd(12)
    if (r < 6) s = s "." number()
    else if (r < 7) s = s "~" word() number()
    else if (r < 8) s = s "+" word()
    else if (r < 9) s = s word()
    else if (r < 10) s = s "~" number()
    else if (r < 11) s = s "+~" number()
    else s = s "." word() number()
  }
  if (rnd(12) == 0) s = s "~"
  return s
}
function revision(   r) {
  r = rnd(14)
  if (r < 4) return ""
  if (r < 7) return "-" (rnd(9) + 1)
  if (r < 8) return "-0"
  if (r < 9) return "-" (rnd(9) + 1) "+deb" (11 + rnd(3)) "u" (rnd(9) + 1)
  if (r < 10) return "-" (rnd(9) + 1) "~bpo" (11 + rnd(3)) "+1"
  if (r < 11) return "-" (rnd(9) + 1) "+b" (rnd(3) + 1)
  if (r < 12) return "-" (rnd(9) + 1) "." (rnd(3) + 1)
  if (r < 13) return "-0ubuntu" (rnd(5) + 1)
  return "-" (rnd(9) + 1) "~exp" (rnd(2) + 1)
}
function version(   e) {
  e = rnd(10)
  return (e < 7 ? "" : e < 9 ? "1:" : pick("0: 2: 10: 01:")) upstream() revision()
}
# A variant of v that differs in one small place.
function mutate(v,   r, n, pre, post) {
  r = rnd(16)
  if (r == 0) return v "~"
  if (r == 1) return v "~rc1"
  if (r == 2) return v "+b1"
  if (r == 3) return v ".0"
  if (r == 4) return v "a"
  if (r == 5) { if (v !~ /^[0-9]+:/) return "1:" v; n = substr(v, index(v, ":") + 1); return (n ~ /:/) ? "0:" n : n }
  if (r == 6) return (v ~ /-[^-]*$/) ? v "~" : v "-0"
  if (r == 7) return (v ~ /-[^-]*$/) ? substr(v, 1, match(v, /-[^-]*$/) - 1) : v "-1"
  if (r == 8) { n = match(v, /[0-9]+/); return substr(v, 1, n - 1) "0" substr(v, n) }
  if (r == 9) { if (match(v, /[0-9][^0-9]*$/)) { pre = substr(v, 1, RSTART - 1); post = substr(v, RSTART + 1); return pre ((substr(v, RSTART, 1) + 1) % 10) post } return v "1" }
  if (r == 10) { n = index(v, "."); return n ? substr(v, 1, n - 1) "+" substr(v, n + 1) : v "+" }
  if (r == 11) { n = index(v, "."); return n ? substr(v, 1, n - 1) "~" substr(v, n + 1) : v "~1" }
  if (r == 12) return v "~~"
  if (r == 13) return v "+"
  if (r == 14) { n = match(v, /[a-z]/); return n ? substr(v, 1, n - 1) toupper(substr(v, n, 1)) substr(v, n + 1) : v "A" }
  return v "-1"
}
function emit(a, b) { if (!((a, b) in seen)) { seen[a, b] = 1; print a "\t" b; emitted++ } }
BEGIN {
  seed = 20240521
  nseeds = split("12.4.127~12.4.1-2 12.4.131~12.4.1-2 2.36-9+deb12u7 2.36-9+deb12u10 2.36-9 1:2.0~rc1 1:2.0 2.0~rc1 2.0 " \
    "11.2.1.3~12.4.1-2 11.1.1+~10.3.5.147~12.4.1-2 550.163.01-2 535.274.02-1~deb13u1 2.6.0+dfsg-7+b1 2.6.0+dfsg-7 " \
    "9.0.0.312~cuda12 9.1.0.70-1 0.0~git20210507.1787867~ 0.0~git20210507.1787867 3.21.12-10+b3 13.1 4.2 2.38 2.34 " \
    "1:18~ 1:18 10.1.168-4~ 10.1.168-4 12~ 13~ 2024.1.1.4~12.4.1-2 2.41-12 2.41-12+deb13u1 1.0 1.0-0 1.00 0:1.0 " \
    "1.0+ 1.0~ 1.0~~ 1.0~~a 1.0a 1.0.0 1 0 00 1:0 1.2-3-4 1:2.3:4-1 1:2.3:4 7.88.1-10+deb12u5 3.0.15-1~deb12u1 " \
    "1.2.13.dfsg-1 1:1.2.13.dfsg-1 1:1.3.dfsg+really1.3.1-1 9.7.1.26-1 4.9.2-4+cuda12.4 2.22.3-1+cuda12.6 " \
    "99999999999999999999999 99999999999999999999998 1.000000000000000000000001 1.1 1.a 1.A 1.+ 1.-1 1.~ " \
    "2:1.0 10:1.0 1.0-1 1.0-1.1 1.0-1+b1 1.0-1~bpo12+1 1.0-0ubuntu1 12.0.0-1 12.4.1-1 12.6.77-1 560.35.03-1 " \
    "1:2.3.4-0.1 3.13.5-1 3.13~ 3.14 5.0 4.1.1 0.0~git20220513.bb1473a 1.17.0 2.0.11 1.5.5 1:1.2.0", seeds, " ")
  for (i = 1; i <= nseeds; i++) pool[++npool] = seeds[i]
  for (i = 0; i < 400; i++) pool[++npool] = version()
  # Every seed against its neighbours in the list, then generated pairs.
  for (i = 1; i < nseeds; i++) emit(seeds[i], seeds[i + 1])
  while (emitted < count) {
    r = rnd(10)
    a = pool[rnd(npool) + 1]
    if (r < 6) b = mutate(a)
    else if (r < 7) b = mutate(mutate(a))
    else if (r < 8) b = a
    else b = pool[rnd(npool) + 1]
    if (rnd(2)) emit(a, b); else emit(b, a)
  }
}' > "$tmp/pairs"

# Any dpkg warning (a version it finds odd) aborts: the table must hold only
# versions dpkg accepts cleanly.
: > "$tmp/table"
while IFS="$(printf '\t')" read -r a b; do
  if dpkg --compare-versions "$a" lt "$b" 2>>"$tmp/warnings"; then
    result="<"
  elif dpkg --compare-versions "$a" eq "$b" 2>>"$tmp/warnings"; then
    result="="
  else
    result=">"
  fi
  printf '%s\t%s\t%s\n' "$a" "$b" "$result" >> "$tmp/table"
done < "$tmp/pairs"
if [ -s "$tmp/warnings" ]; then
  cat "$tmp/warnings" >&2
  echo "dpkg complained about some generated versions; fix the generator" >&2
  exit 1
fi
mv "$tmp/table" "$out"
echo "wrote $(wc -l < "$out") pairs to $out" >&2
