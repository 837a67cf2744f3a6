#!/bin/sh
# Refreshes keys/debian-archive-keyring.pgp, the Debian keys cudaseal trusts
# by default, from the debian-archive-keyring package of a Debian release.
#
#   scripts/update-debian-keys.sh [MIRROR_URL]
#
# MIRROR_URL is a Debian archive root (the part before /dists/); without it the
# first non-security URI of this machine's apt configuration is used.
# Environment: SUITE (default trixie), ARCH (default amd64), VERIFY_KEYRING
# (keys that must sign the suite's InRelease; default: the keys shipped now,
# else this machine's Debian keyring).
#
# Every step is checked against the one before, so the new keys are only as
# trusted as the old: InRelease must carry a good signature from
# VERIFY_KEYRING, Packages.xz must match the SHA256 in that signed text, and
# the .deb must match the SHA256 in Packages.xz.
set -eu

SUITE="${SUITE:-trixie}"
ARCH="${ARCH:-amd64}"
# The keys that sign Debian 12 and 13, their security archives and their
# release announcements. Older ones are left out: 11 is out of support.
KEYS="bookworm-automatic bookworm-security-automatic bookworm-stable
trixie-automatic trixie-security-automatic trixie-stable"

cd "$(dirname "$0")/.."
ROOT="$(pwd)"
OUT_KEYRING="$ROOT/keys/debian-archive-keyring.pgp"
OUT_README="$ROOT/keys/README.md"

die() {
  echo "update-debian-keys: $*" >&2
  exit 1
}
for tool in curl gpg gpgv dpkg-deb xz sha256sum awk; do
  command -v "$tool" >/dev/null 2>&1 || die "needs $tool"
done

# The archive root from apt's configuration: deb822 .sources files first,
# then one-line sources.list entries; security archives are skipped.
mirror_from_apt() {
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      /^[ \t]*$/ { if (uri != "" && suites !~ /-security/) { print uri; exit } uri = ""; suites = ""; next }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "suites:" { suites = $0 }
      END { if (uri != "" && suites !~ /-security/) print uri }
    ' "$f" | head -n 1
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) !~ /-security/) print $i }' "$f"
  done
}

MIRROR="${1:-}"
if [ -z "$MIRROR" ]; then
  MIRROR="$(mirror_from_apt | head -n 1)"
  [ -n "$MIRROR" ] || die "no mirror given and none found in /etc/apt; pass the archive URL"
fi
MIRROR="${MIRROR%/}"

if [ -z "${VERIFY_KEYRING:-}" ]; then
  if [ -s "$OUT_KEYRING" ]; then
    VERIFY_KEYRING="$OUT_KEYRING"
  elif [ -s /usr/share/keyrings/debian-archive-keyring.gpg ]; then
    VERIFY_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
  else
    die "set VERIFY_KEYRING to keys that sign $SUITE"
  fi
fi
case "$VERIFY_KEYRING" in /*) ;; *) VERIFY_KEYRING="$ROOT/$VERIFY_KEYRING" ;; esac

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT INT TERM
export GNUPGHOME="$WORK/gnupg"
mkdir -m 700 "$GNUPGHOME"

fetch() {
  curl --fail --silent --show-error --location --retry 3 --max-filesize 268435456 -o "$2" "$1" ||
    die "cannot download $1"
}
check_sha256() {
  actual="$(sha256sum "$1" | awk '{print $1}')"
  [ "$actual" = "$2" ] || die "$1: SHA256 $actual, expected $2"
}

echo "InRelease of $SUITE, checked against $VERIFY_KEYRING" >&2
fetch "$MIRROR/dists/$SUITE/InRelease" "$WORK/InRelease"
# gpgv fails when any one signature has an unknown key; one good signature
# and no bad one is what apt accepts, so read the status lines instead.
gpgv --status-fd 3 --keyring "$VERIFY_KEYRING" --output "$WORK/Release" "$WORK/InRelease" \
  3>"$WORK/gpgv.status" 2>"$WORK/gpgv.log" || true
if grep -q '^\[GNUPG:\] BADSIG' "$WORK/gpgv.status" || ! grep -q '^\[GNUPG:\] VALIDSIG' "$WORK/gpgv.status"; then
  cat "$WORK/gpgv.log" >&2
  die "InRelease of $SUITE has no good signature from $VERIFY_KEYRING"
fi

index="main/binary-$ARCH/Packages.xz"
index_sha="$(awk -v p="$index" '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 } s && $3 == p { print $1 }' "$WORK/Release")"
[ -n "$index_sha" ] || die "the signed Release lists no $index"
if grep -q '^Acquire-By-Hash: yes' "$WORK/Release"; then
  fetch "$MIRROR/dists/$SUITE/main/binary-$ARCH/by-hash/SHA256/$index_sha" "$WORK/Packages.xz"
else
  fetch "$MIRROR/dists/$SUITE/$index" "$WORK/Packages.xz"
fi
check_sha256 "$WORK/Packages.xz" "$index_sha"

xz -dc "$WORK/Packages.xz" | awk '
  /^Package: / { p = ($2 == "debian-archive-keyring") }
  p && /^(Version|Filename|SHA256): / { print $1, $2 }
' >"$WORK/record"
version="$(awk '$1 == "Version:" { print $2; exit }' "$WORK/record")"
filename="$(awk '$1 == "Filename:" { print $2; exit }' "$WORK/record")"
deb_sha="$(awk '$1 == "SHA256:" { print $2; exit }' "$WORK/record")"
[ -n "$filename" ] && [ -n "$deb_sha" ] || die "no debian-archive-keyring in $index"
case "$filename" in pool/*.deb) ;; *) die "unexpected Filename $filename" ;; esac
case "$filename" in *..*) die "unexpected Filename $filename" ;; esac

echo "debian-archive-keyring $version" >&2
fetch "$MIRROR/$filename" "$WORK/keyring.deb"
check_sha256 "$WORK/keyring.deb" "$deb_sha"
dpkg-deb -x "$WORK/keyring.deb" "$WORK/pkg"

: >"$WORK/keyring.pgp"
for name in $KEYS; do
  file="$WORK/pkg/usr/share/keyrings/debian-archive-$name.pgp"
  [ -s "$file" ] || die "the package has no $(basename "$file")"
  cat "$file" >>"$WORK/keyring.pgp"
done

# One line per key for the README: fingerprint, user ID, expiry, and the
# subkeys (gpgv names the subkey that made a signature, not the primary).
gpg --batch --quiet --show-keys --with-colons "$WORK/keyring.pgp" 2>/dev/null | awk -F: '
  function flush() {
    if (fpr == "") return
    cmd = "date -u -d @" expires " +%Y-%m-%d"; cmd | getline day; close(cmd)
    printf "| `%s` | %s | %s | %s |\n", fpr, uid, day, subs
    fpr = ""; uid = ""; subs = ""
  }
  $1 == "pub" { flush(); last = "pub"; expires = $7; next }
  $1 == "sub" { last = "sub"; next }
  $1 == "fpr" && last == "pub" { fpr = $10; last = ""; next }
  $1 == "fpr" && last == "sub" { subs = subs (subs == "" ? "" : "<br>") "`" $10 "`"; last = ""; next }
  $1 == "uid" && uid == "" { uid = $10; gsub(/\\x3a/, ":", uid); sub(/ <.*/, "", uid) }
  END { flush() }
' >"$WORK/fingerprints"
[ -s "$WORK/fingerprints" ] || die "cannot list the keys"

cp "$WORK/keyring.pgp" "$OUT_KEYRING"
keyring_sha="$(sha256sum "$OUT_KEYRING" | awk '{print $1}')"
cat >"$OUT_README" <<EOF
# Trusted keys

\`debian-archive-keyring.pgp\` is the keyring cudaseal trusts for Debian
sources unless a spec names its own (\`--keyring\`). It is a binary OpenPGP
keyring: the keys below, concatenated. Its SHA256 is

    $keyring_sha

They come from the Debian package \`debian-archive-keyring\` version
\`$version\` (\`$filename\` in $SUITE main), whose \`.deb\` has SHA256

    $deb_sha

The files taken from its \`usr/share/keyrings/\`, in order:
$(for name in $KEYS; do printf '\n- `debian-archive-%s.pgp`' "$name"; done)

| Fingerprint | Key | Expires | Subkeys |
| --- | --- | --- | --- |
$(cat "$WORK/fingerprints")

The archive keys (*Automatic Signing Key*) sign each suite's \`InRelease\`;
the security keys sign the \`-security\` suites; the *Stable Release Key*
signs point releases alongside them. A suite is accepted when one of its
signatures verifies with one of these keys.

Regenerate with \`scripts/update-debian-keys.sh [MIRROR_URL]\`. The script
checks the suite's \`InRelease\` against the keys shipped now, \`Packages.xz\`
against that signed \`InRelease\`, and the \`.deb\` against \`Packages.xz\`,
so each new keyring is vouched for by the one before it. Review the
fingerprints above against Debian's published ones before committing a change.
EOF
echo "wrote $OUT_KEYRING and $OUT_README" >&2
