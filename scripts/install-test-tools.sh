#!/bin/sh
# Installs the Debian tools the test suite and benchmarks use as real peers
# and cross-checks: dpkg-deb and dpkg-scanpackages build test repositories,
# gpg signs them, skopeo/umoci/podman read the images cudaseal writes,
# mmdebstrap and pigz are the benchmark's peer pipeline, docker-registry
# (with htpasswd for its basic auth) is the registry tests push to, and
# python3-pip/-wheel/-setuptools build and cross-check Python wheels.
set -eu

need=""
have() { command -v "$1" >/dev/null 2>&1; }
want() { have "$1" || need="$need $2"; }

want dpkg-deb dpkg
want dpkg-scanpackages dpkg-dev
want gpg gpg
want gpgv gpgv
want ar binutils
want xz xz-utils
want zstd zstd
want skopeo skopeo
want umoci umoci
want podman podman
want mmdebstrap mmdebstrap
want pigz pigz
want tar tar
want gcc gcc
# cudaseal run and diagnostics: true compile static helpers (native/*.c): libc.a.
[ -f "/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo none)/libc.a" ] || need="$need libc6-dev"
# Python wheels in tests are built and cross-checked by Debian's own pip,
# wheel and setuptools, run by Debian's interpreter (not a python3 earlier on PATH).
/usr/bin/python3 -c 'import pip' 2>/dev/null || need="$need python3-pip"
/usr/bin/python3 -c 'import wheel' 2>/dev/null || need="$need python3-wheel"
/usr/bin/python3 -c 'import setuptools' 2>/dev/null || need="$need python3-setuptools"
want docker-registry docker-registry
want htpasswd apache2-utils
# The report's browser tests drive Debian's chromium, headless (no browser download).
want chromium chromium
# The Markdown summaries (scan, audit, compare --format markdown) are rendered
# by GitHub's own GFM implementation to check their tables and escaping.
want cmark-gfm cmark-gfm

# cosign cross-checks cudaseal's signatures. Debian 12 has no cosign
# package; Debian 13 (trixie) does. Rather than add trixie to this machine's
# sources, apt reads trixie from this machine's own Debian mirror in a
# throwaway config and only downloads the .deb, unpacked into .tools/ (tests
# look there as well as on PATH).
cosign_from_trixie() {
  tools="$(cd "$(dirname "$0")/.." && pwd)/.tools"
  [ -x "$tools/bin/cosign" ] && return 0
  codename=$( (. /etc/os-release && echo "${VERSION_CODENAME:-}") 2>/dev/null || true)
  # The URI that serves this release's own suite is the Debian archive
  # (not security, not a third-party repository).
  mirror=$(
    {
      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk -v c="$codename" '$1 == "deb" { u = ""; for (i = 2; i <= NF; i++) { if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; continue } if (u == "") u = $i; else if ($i == c) { print u; exit } else break } }'
      cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk -v c="$codename" 'BEGIN { RS = ""; FS = "\n" } { u = ""; s = 0; for (i = 1; i <= NF; i++) { if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, a, " "); u = a[1] } if ($i ~ /^Suites:/) { n = split($i, b, /[ \t]+/); for (j = 2; j <= n; j++) if (b[j] == c) s = 1 } } if (u != "" && s) print u }'
    } | head -n 1
  )
  if [ -z "$mirror" ]; then
    echo "test tools: cosign missing and no Debian mirror found in apt sources; the cosign cross-checks cannot run" >&2
    return 0
  fi
  work=$(mktemp -d)
  # apt downloads as the _apt user, which must be able to write there.
  chmod 755 "$work"
  if [ "$(id -u)" = 0 ]; then chown _apt "$work" 2>/dev/null || true; fi
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$tools"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$work/trixie.list"
  aptopts="-o Dir::Etc::sourcelist=$work/trixie.list -o Dir::Etc::sourceparts=- -o Dir::State::Lists=$work/lists -o Dir::Cache=$work/cache -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Get::List-Cleanup=0"
  # shellcheck disable=SC2086
  if apt-get -qq $aptopts update && (cd "$work" && apt-get -qq $aptopts download cosign); then
    mkdir -p "$tools/bin"
    dpkg-deb -x "$work"/cosign_*.deb "$work/root" && cp "$work/root/usr/bin/cosign" "$tools/bin/cosign" &&
      echo "test tools: cosign from trixie in $tools/bin"
  else
    echo "test tools: could not download cosign from trixie; the cosign cross-checks cannot run" >&2
  fi
  rm -rf "$work"
}
have cosign || cosign_from_trixie

if [ -z "$need" ]; then
  echo "test tools: all present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if have sudo; then SUDO="sudo"; else
    echo "error: missing:$need; run this as root or install them with apt" >&2
    exit 1
  fi
fi
echo "test tools: installing$need"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need uidmap fuse-overlayfs >/dev/null
