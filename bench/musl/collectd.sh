#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# collectd for the gateway's libc, the other side of LIBC=musl
# bench/bench_agent.sh: Debian 12's collectd (5.12) built with musl-gcc
# against the musl libraries of scripts/musl/libs.sh and configured small as
# OpenWrt's collectd package is (its utils/collectd/Makefile: -Os, no debug,
# no yajl, gcrypt or udev, NaN emulation, every plugin off but those the
# benchmark loads).  The daemon, types.db and four shared plugins: modbus
# (libmodbus), csv, write_http (the prefix's libcurl over mbedTLS, as
# collectd-mod-write-http) and logfile, installed to their own prefix with
# the libraries' lib/ as rpath, so that it runs by musl's loader
# /lib/ld-musl-x86_64.so.1 without LD_LIBRARY_PATH.
#
#   bench/musl/collectd.sh      collectd in ~/.cache/meterbox-musl/collectd
#   MB_MUSL_CACHE=DIR MB_JOBS=N bench/musl/collectd.sh
#
# Installs to $MB_MUSL_CACHE/collectd (sbin/collectd, lib/collectd/*.so,
# share/collectd/types.db); source, build tree, log and stamp sit beside the
# libraries' in $MB_MUSL_CACHE.  Built once: a stamp file holds the configure
# arguments, and a change to them rebuilds it.  About 35 seconds on 2 busy
# cores the first time (download and autoreconf included), none afterwards.
# Needs apt-get (root or sudo) for bison and flex the first time.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
C=${MB_MUSL_CACHE:-$HOME/.cache/meterbox-musl}
P=$C/prefix
D=$C/collectd
jobs=${MB_JOBS:-$(nproc)}

# The libraries (libmodbus, libcurl, mbedTLS), and the tools they need.
MB_MUSL_CACHE=$C "$top/scripts/musl/libs.sh"

# configure's arguments, after OpenWrt's CONFIGURE_ARGS for collectd (less
# --with-libmodbus=DIR, which collectd 5.12's configure ignores: it finds
# libmodbus by pkg-config, given the prefix's .pc files below).  The
# prefix's include/ and lib/ as OpenWrt's staging directory is: libcurl
# 7.88's curl-config gives neither -I nor -L.
args=(CPPFLAGS="-I$P/include" LDFLAGS="-L$P/lib -Wl,-rpath,$P/lib"
  --prefix="$D" --enable-shared --disable-static --disable-werror --disable-debug
  --enable-daemon --with-nan-emulation --with-fp-layout=nothing --with-libyajl=no
  --without-libgcrypt --without-perl-bindings --without-libudev --without-java
  --with-libcurl="$P" --disable-all-plugins
  --enable-modbus --enable-csv --enable-write_http --enable-logfile)
stamp="${args[*]}"
if [ -f "$C/stamp/collectd" ] && [ "$(cat "$C/stamp/collectd")" = "$stamp" ] &&
  [ -x "$D/sbin/collectd" ]; then
  exit 0
fi

# Its source has no configure and no generated parser (Debian's build
# bootstraps it too): bison and flex for liboconfig (autotools come with
# libs.sh).
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()
for p in bison flex; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "== apt-get install ${need[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${need[@]}" >/dev/null
fi

# Debian's source package, in a directory of its own.  When the archive
# serves the .dsc and the upstream tarball but not Debian's own
# .debian.tar.xz (seen on this machine's mirror), apt-get source has
# already checked the tarball against the .dsc: unpack it alone, upstream
# 5.12.0 without Debian's patches, and say so.
S=$C/src/collectd
mkdir -p "$S" "$C/build" "$C/stamp" "$C/log"
s=$(find "$S" -mindepth 1 -maxdepth 1 -type d | head -1)
if [ -z "$s" ]; then
  if ! (cd "$S" && apt-get source -qq collectd >"$C/log/collectd.source" 2>&1); then
    orig=$(find "$S" -maxdepth 1 -name 'collectd_*.orig.tar.*' | head -1)
    [ -n "$orig" ] || { echo "apt-get source collectd failed:" >&2; cat "$C/log/collectd.source" >&2; exit 1; }
    echo "== collectd: no Debian patches ($(grep -m1 '^E:' "$C/log/collectd.source")), upstream $(basename "$orig")"
    tar -C "$S" -xf "$orig"
  fi
  s=$(find "$S" -mindepth 1 -maxdepth 1 -type d | head -1)
fi

b=$C/build/collectd
echo "== collectd: $(basename "$s") with musl-gcc into $D (log: $C/log/collectd.build)"
start=$(date +%s)
rm -rf "$b" "$D" && mkdir -p "$b"
# Only the prefix's .pc files (libmodbus): never the host's glibc libraries.
export PKG_CONFIG_LIBDIR=$P/lib/pkgconfig PKG_CONFIG_PATH=
export CC=musl-gcc CFLAGS="-Os"
# && chains: set -e does not apply on the left of ||.  Bootstrapped once per
# source tree (as Debian's dh-autoreconf does: there is no configure).
{ { [ -f "$s/.mb-autoreconf" ] || (cd "$s" && autoreconf -fi && touch .mb-autoreconf); } &&
  (cd "$b" && "$s/configure" "${args[@]}" && make -j "$jobs" && make install); } \
  >"$C/log/collectd.build" 2>&1 || { echo "collectd failed:" >&2; tail -30 "$C/log/collectd.build" >&2; exit 1; }
# configure's summary: the plugins must be the four asked for.
for p in modbus csv write_http logfile; do
  [ -f "$D/lib/collectd/$p.so" ] ||
    { echo "collectd: no $p plugin:" >&2; grep -E "^ +(modbus|write_http|libcurl|libmodbus)" "$C/log/collectd.build" >&2; exit 1; }
done
# Stripped, as OpenWrt installs it; BaseDir and PIDFile's directories.
strip --strip-unneeded "$D/sbin/collectd" "$D"/lib/collectd/*.so
mkdir -p "$D/var/lib/collectd" "$D/var/run"
echo "$stamp" >"$C/stamp/collectd"
echo "built in $(($(date +%s) - start)) s: $D/sbin/collectd, plugins $(cd "$D/lib/collectd" && echo *.so)"
/lib/ld-musl-x86_64.so.1 --list "$D/sbin/collectd" 2>&1 | awk '{ print "  " $0 }'
