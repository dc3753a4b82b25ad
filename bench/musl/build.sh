#!/usr/bin/env bash
# A representative gateway build of meterbox-agent and the sim plugin, for
# bench/footprint.sh (LIBC=musl): musl libc instead of glibc, and musl builds
# of the agent's libraries made from Debian's own source packages, configured
# small the way OpenWrt packages them (shared libraries, -Os; libcurl with
# HTTP and HTTPS only, TLS by mbedTLS, no optional dependencies).
#
#   bench/musl/build.sh            agent in build-musl/, libraries in the cache
#   B=DIR MB_MUSL_CACHE=DIR bench/musl/build.sh
#
# Libraries: sqlite3, json-c, libconfig, nettle, mbedtls, curl, installed to
# $MB_MUSL_CACHE/prefix (default ~/.cache/meterbox-musl/prefix).  The agent,
# the plugin and the libraries carry that prefix's lib/ as their rpath, so
# they run without LD_LIBRARY_PATH, by musl's loader /lib/ld-musl-x86_64.so.1.
# Takes about 80 s on 2 cores the first time (downloads included), seconds
# afterwards: each library is built once (stamp files).  A benchmark tool
# only: it touches neither the normal build nor the tests.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-$top/build-musl}
C=${MB_MUSL_CACHE:-$HOME/.cache/meterbox-musl}
P=$C/prefix
jobs=${MB_JOBS:-$(nproc)}
mkdir -p "$C/src" "$C/build" "$C/stamp" "$C/log" "$P"

# Tools: musl-gcc and its loader; m4 for nettle's assembly; autoconf, as
# Debian's nettle patch makes its config.h.in stale; dpkg-dev so that
# apt-get source unpacks and patches the sources.
need=()
for p in musl-tools musl-dev m4 autoconf dpkg-dev cmake ninja-build pkg-config tcl; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "== apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Debian source packages: the same archives as the binary ones, as deb-src.
if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "== adding deb-src entries: /etc/apt/sources.list.d/meterbox-src.sources"
  sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
    >/etc/apt/sources.list.d/meterbox-src.sources
  apt-get update -qq
fi

# src PKG: the unpacked, patched source tree of Debian source package PKG.
src() {
  local d
  d=$(find "$C/src" -maxdepth 1 -type d -name "$1-[0-9]*" | head -1)
  if [ -z "$d" ]; then
    (cd "$C/src" && apt-get source -qq "$1" >"$C/log/$1.source" 2>&1) ||
      { echo "apt-get source $1 failed:" >&2; cat "$C/log/$1.source" >&2; exit 1; }
    d=$(find "$C/src" -maxdepth 1 -type d -name "$1-[0-9]*" | head -1)
  fi
  echo "$d"
}

export CC=musl-gcc
export CFLAGS="-Os"
# Libraries find each other (libcurl -> libmbedtls) through their rpath.
export LDFLAGS="-Wl,-rpath,$P/lib"
# Only the prefix's .pc files: never the host's glibc libraries.
export PKG_CONFIG_LIBDIR=$P/lib/pkgconfig PKG_CONFIG_PATH=

# [SUBDIR=DIR] lib PKG autotools|cmake ARGS...: build and install PKG (only
# its subdirectory DIR, for autotools) once, out of tree.
lib() {
  local pkg=$1 kind=$2 s b
  shift 2
  [ -f "$C/stamp/$pkg" ] && return 0
  s=$(src "$pkg")
  b=$C/build/$pkg
  echo "== $pkg: $(basename "$s") (log: $C/log/$pkg.build)"
  rm -rf "$b" && mkdir -p "$b"
  # && chains: set -e does not apply on the left of ||.
  if [ "$kind" = autotools ]; then
    (cd "$b" && "$s/configure" --prefix="$P" --libdir="$P/lib" --enable-shared --disable-static \
      "$@" && make -C "${SUBDIR:-.}" -j "$jobs" && make -C "${SUBDIR:-.}" install)
  else
    cmake -S "$s" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_INSTALL_PREFIX="$P" \
      -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_RPATH="$P/lib" "$@" && ninja -C "$b" -j "$jobs" install
  fi >"$C/log/$pkg.build" 2>&1 || { echo "$pkg failed:" >&2; tail -30 "$C/log/$pkg.build" >&2; exit 1; }
  # Stripped, as OpenWrt installs libraries (some builds add -g of their own).
  find "$P/lib" -maxdepth 1 -type f -name '*.so*' -exec strip --strip-unneeded {} +
  touch "$C/stamp/$pkg"
}

lib sqlite3 autotools --disable-tcl --disable-readline --disable-editline
lib json-c cmake -DBUILD_SHARED_LIBS=ON -DBUILD_STATIC_LIBS=OFF -DBUILD_TESTING=OFF \
  -DDISABLE_WERROR=ON
# Its lib/ only: the manual needs makeinfo.
SUBDIR=lib lib libconfig autotools --disable-cxx --disable-examples
# The agent needs HMAC-SHA256 only: no hogweed (public key), so no GMP.
lib nettle autotools --disable-public-key --disable-openssl --disable-documentation
lib mbedtls cmake -DUSE_SHARED_MBEDTLS_LIBRARY=ON -DUSE_STATIC_MBEDTLS_LIBRARY=OFF \
  -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF -DMBEDTLS_FATAL_WARNINGS=OFF
# As OpenWrt's libcurl: HTTP(S) only, mbedTLS, none of the optional libraries.
lib curl autotools --with-mbedtls="$P" --without-openssl --without-gnutls \
  --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --without-ca-path \
  --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp --disable-dict \
  --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
  --disable-gopher --disable-mqtt --disable-manual --without-zlib --without-brotli \
  --without-zstd --without-libidn2 --without-libpsl --without-nghttp2 --without-libssh2 \
  --without-libssh --without-librtmp --without-gssapi

echo "== meterbox-agent and sim.so with musl-gcc in $B (log: $B/build.log)"
mkdir -p "$B"
if ! cmake -S "$top" -B "$B" -G Ninja -DCMAKE_C_COMPILER=musl-gcc -DCMAKE_BUILD_TYPE=MinSizeRel \
  -DMB_BUILD_SERVER=OFF -DMB_BUILD_TESTS=OFF -DMB_WERROR=OFF -DCMAKE_BUILD_RPATH="$P/lib" \
  >"$B/build.log" 2>&1 ||
  ! cmake --build "$B" -j "$jobs" --target meterbox-agent sim >>"$B/build.log" 2>&1; then
  tail -30 "$B/build.log" >&2
  exit 1
fi

echo "built:"
for f in "$B/agent/meterbox-agent" "$B/plugins/sim.so"; do
  echo "  $f"
done
echo "libraries ($P/lib, found through the rpath):"
/lib/ld-musl-x86_64.so.1 --list "$B/agent/meterbox-agent" 2>&1 | awk '{ print "  " $0 }'
