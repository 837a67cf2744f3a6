#!/bin/sh
# Builds the GPU smoke program: smoke/build.sh OUT [amd64|arm64]
#
# The binary links against glibc only (CUDA is opened with dlopen at run
# time), so it runs in any image with libc6. The architecture defaults to
# the host's; another one needs its cross compiler (gcc-aarch64-linux-gnu or
# gcc-x86-64-linux-gnu). CC overrides the compiler for the host's.
# Build on a glibc no newer than the image's (Debian 13: 2.41).
set -eu

usage() {
  echo "usage: $0 OUT [amd64|arm64]" >&2
  exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
out=$1
here=$(cd "$(dirname "$0")" && pwd)

case $(uname -m) in
  x86_64 | amd64) host=amd64 ;;
  aarch64 | arm64) host=arm64 ;;
  *) host=unknown ;;
esac
arch=${2:-$host}
case $arch in
  amd64) triplet=x86_64-linux-gnu ;;
  arm64) triplet=aarch64-linux-gnu ;;
  *)
    echo "build.sh: unsupported architecture '$arch' (use amd64 or arm64)" >&2
    exit 2
    ;;
esac

if [ "$arch" = "$host" ]; then
  cc=${CC:-gcc}
else
  cc=$triplet-gcc
fi
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "build.sh: $cc not found; install it (Debian: gcc-$(echo "$triplet" | tr _ -)) to build for $arch" >&2
  exit 1
fi

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
# Hardened like Debian's packages: stack protector, fortify, PIE, full RELRO.
"$cc" -O2 -std=gnu11 -Wall -Wextra -Werror \
  -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE -pie \
  -Wl,-z,relro,-z,now -Wl,--as-needed -s \
  -o "$tmp" "$here/cuda-smoke.c" -ldl
mv "$tmp" "$out"
echo "built $out for $arch with $cc" >&2
