#!/bin/sh
# Installs the Debian tools the test suite and benchmarks use as real peers
# and cross-checks: dpkg-deb and dpkg-scanpackages build test repositories,
# gpg signs them, skopeo/umoci/podman read the images cudaseal writes,
# mmdebstrap and pigz are the benchmark's peer pipeline.
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
