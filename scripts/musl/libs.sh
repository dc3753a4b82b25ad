#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# musl builds of every library the agent side links, made from Debian's own
# source packages and configured small the way OpenWrt packages them (shared,
# -Os, stripped; libcurl with HTTP and HTTPS only, TLS by mbedTLS, no optional
# dependencies), for the musl gateway build (bench/musl/build.sh) and the musl
# CI stage (scripts/musl/build.sh).
#
#   scripts/musl/libs.sh                       libraries into ~/.cache/meterbox-musl
#   MB_MUSL_CACHE=DIR MB_JOBS=N scripts/musl/libs.sh
#
# Libraries: sqlite3, json-c, libconfig, nettle, mbedtls, curl (the agent),
# libmodbus, libgpiod v1 (the modbus and gpio plugins), cmocka (the unit
# tests) and libfaketime (the integration tests preload it into the agent,
# and a preloaded library must be built for the agent's C library),
# installed to $MB_MUSL_CACHE/prefix with that prefix's lib/ as their
# rpath, so whatever links them runs without LD_LIBRARY_PATH, by musl's
# loader /lib/ld-musl-x86_64.so.1.  Point PKG_CONFIG_LIBDIR at
# $MB_MUSL_CACHE/prefix/lib/pkgconfig to build against them.
#
# Each library is built once: a stamp file holds the arguments it was
# configured with, and a change to them rebuilds it.  About 2 minutes on 2
# cores the first time (downloads included), a second afterwards.  Needs root
# (or sudo) only when a tool below is missing or no deb-src entry exists.
set -euo pipefail
C=${MB_MUSL_CACHE:-$HOME/.cache/meterbox-musl}
P=$C/prefix
jobs=${MB_JOBS:-$(nproc)}
mkdir -p "$C/src" "$C/build" "$C/stamp" "$C/log" "$P"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_get() { DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 "$@"; }

# Tools: musl-gcc and its loader; m4 for nettle's assembly; autoconf, as
# Debian's nettle patch makes its config.h.in stale; automake, libtool and
# autoconf-archive to bootstrap libmodbus (its Debian source has no
# configure) and libgpiod (Debian's patch to configure.ac makes configure
# stale) with autoreconf, as Debian's own builds do; linux-libc-dev for the
# kernel headers these two include; dpkg-dev so that apt-get source unpacks
# and patches the sources.
need=()
for p in musl-tools musl-dev m4 autoconf automake libtool autoconf-archive linux-libc-dev \
  dpkg-dev cmake ninja-build pkg-config tcl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "== apt-get install ${need[*]}"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Debian source packages: the same archives as the binary ones, as deb-src
# (Debian 12's deb822 debian.sources, or an older one-line sources.list).
if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    echo "== adding deb-src entries: /etc/apt/sources.list.d/meterbox-src.sources"
    sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
      $sudo tee /etc/apt/sources.list.d/meterbox-src.sources >/dev/null
  else
    echo "== adding deb-src entries: /etc/apt/sources.list.d/meterbox-src.list"
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list |
      $sudo tee /etc/apt/sources.list.d/meterbox-src.list >/dev/null
  fi
  apt_get update -qq
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

# musl ships no kernel headers, and musl-gcc searches only musl's include
# directory.  The kernel's uapi headers do not depend on the libc, so the
# host's (linux-libc-dev) serve, through links in a directory of their own
# (all of /usr/include would bring glibc's headers in too), given only to
# the libraries that include them (libmodbus, libgpiod).
K=$C/kernel-headers
mkdir -p "$K"
ln -sfn /usr/include/linux "$K/linux"
ln -sfn /usr/include/asm-generic "$K/asm-generic"
ln -sfn "/usr/include/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/asm" "$K/asm"

export CC=musl-gcc
export CFLAGS="-Os"
export CPPFLAGS=
# Libraries find each other (libcurl -> libmbedtls) through their rpath.
export LDFLAGS="-Wl,-rpath,$P/lib"
# Only the prefix's .pc files: never the host's glibc libraries.
export PKG_CONFIG_LIBDIR=$P/lib/pkgconfig PKG_CONFIG_PATH=

# [SUBDIR=DIR] [CPPFLAGS=...] [AUTORECONF=1] lib PKG autotools|cmake|make ARGS...:
# build and install PKG (only its subdirectory DIR, for autotools and make;
# after autoreconf, with AUTORECONF=1) out of tree, unless the stamp says it
# was built with the same arguments.  ARGS go to configure, cmake or make.
lib() {
  local pkg=$1 kind=$2 s b stamp
  shift 2
  stamp="$kind ${SUBDIR:-.} ${AUTORECONF:-0} $CPPFLAGS $*"
  [ -f "$C/stamp/$pkg" ] && [ "$(cat "$C/stamp/$pkg")" = "$stamp" ] && return 0
  s=$(src "$pkg")
  b=$C/build/$pkg
  echo "== $pkg: $(basename "$s") (log: $C/log/$pkg.build)"
  rm -rf "$b" && mkdir -p "$b"
  # && chains: set -e does not apply on the left of ||.
  if [ "$kind" = autotools ]; then
    # Once per source tree: a failed build leaves it bootstrapped.
    { [ -z "${AUTORECONF:-}" ] || [ -f "$s/.mb-autoreconf" ] ||
      (cd "$s" && autoreconf -fi && touch .mb-autoreconf); } &&
      (cd "$b" && "$s/configure" --prefix="$P" --libdir="$P/lib" --enable-shared \
        --disable-static "$@" && make -C "${SUBDIR:-.}" -j "$jobs" &&
        make -C "${SUBDIR:-.}" install)
  elif [ "$kind" = make ]; then
    # A plain Makefile builds in its source tree: in a copy of it, then.
    cp -a "$s/." "$b" && make -C "$b/${SUBDIR:-.}" -j "$jobs" "$@" &&
      make -C "$b/${SUBDIR:-.}" "$@" install
  else
    cmake -S "$s" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_INSTALL_PREFIX="$P" \
      -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_RPATH="$P/lib" "$@" && ninja -C "$b" -j "$jobs" install
  fi >"$C/log/$pkg.build" 2>&1 || { echo "$pkg failed:" >&2; tail -30 "$C/log/$pkg.build" >&2; exit 1; }
  # Stripped, as OpenWrt installs libraries (some builds add -g of their own).
  find "$P/lib" -maxdepth 1 -type f -name '*.so*' -exec strip --strip-unneeded {} +
  echo "$stamp" >"$C/stamp/$pkg"
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
# The modbus plugin.  Its man pages are built only when asciidoc is there.
AUTORECONF=1 CPPFLAGS="-isystem $K" lib libmodbus autotools --disable-tests
# The gpio plugin: libgpiod v1 (Debian 12: 1.6.3), the library alone.
AUTORECONF=1 CPPFLAGS="-isystem $K" lib libgpiod autotools --disable-tools --disable-tests \
  --disable-bindings-cxx --disable-bindings-python
# The unit tests.
lib cmocka cmake -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF -DWITH_STATIC_LIB=OFF
# For tests/integration/policy.sh (MB_FAKETIME_LIB): libfaketimeMT.so.1 in
# lib/faketime, as Debian installs it.  Its Makefile adds -Werror, and at -Os
# gcc 12 warns of a maybe-uninitialized variable in the faketime wrapper
# program (which Debian builds at -O2).
SUBDIR=src lib faketime make PREFIX="$P" LIBDIRNAME=/lib/faketime \
  FAKETIME_COMPILE_CFLAGS=-Wno-maybe-uninitialized
