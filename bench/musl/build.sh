#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A representative gateway build of meterbox-agent and its plugins, for
# bench/footprint.sh (LIBC=musl): musl libc instead of glibc, and musl builds
# of the agent's libraries made from Debian's own source packages, configured
# small the way OpenWrt packages them (scripts/musl/libs.sh).
#
#   bench/musl/build.sh            agent in build-musl/, libraries in the cache
#   B=DIR MB_MUSL_CACHE=DIR bench/musl/build.sh
#
# Libraries: those of scripts/musl/libs.sh, installed to $MB_MUSL_CACHE/prefix
# (default ~/.cache/meterbox-musl/prefix).  The agent, the plugins and the
# libraries carry that prefix's lib/ as their rpath, so they run without
# LD_LIBRARY_PATH, by musl's loader /lib/ld-musl-x86_64.so.1.  Takes about
# 2 minutes on 2 cores the first time (downloads included), seconds
# afterwards: each library is built once (stamp files).  A benchmark tool
# only, MinSizeRel without tests or -Werror: the musl CI stage, with tests,
# is scripts/musl/build.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-$top/build-musl}
C=${MB_MUSL_CACHE:-$HOME/.cache/meterbox-musl}
P=$C/prefix
jobs=${MB_JOBS:-$(nproc)}

MB_MUSL_CACHE=$C "$top/scripts/musl/libs.sh"
# Only the prefix's .pc files: never the host's glibc libraries.
export PKG_CONFIG_LIBDIR=$P/lib/pkgconfig PKG_CONFIG_PATH=

plugins=(sim modbus dlt645 gpio)
echo "== meterbox-agent and ${plugins[*]} with musl-gcc in $B (log: $B/build.log)"
mkdir -p "$B"
if ! cmake -S "$top" -B "$B" -G Ninja -DCMAKE_C_COMPILER=musl-gcc -DCMAKE_BUILD_TYPE=MinSizeRel \
  -DMB_BUILD_SERVER=OFF -DMB_BUILD_TESTS=OFF -DMB_WERROR=OFF -DCMAKE_BUILD_RPATH="$P/lib" \
  >"$B/build.log" 2>&1 ||
  ! cmake --build "$B" -j "$jobs" --target meterbox-agent "${plugins[@]}" >>"$B/build.log" 2>&1; then
  tail -30 "$B/build.log" >&2
  exit 1
fi

echo "built:"
echo "  $B/agent/meterbox-agent"
for p in "${plugins[@]}"; do
  echo "  $B/plugins/$p.so"
done
echo "libraries ($P/lib, found through the rpath):"
/lib/ld-musl-x86_64.so.1 --list "$B/agent/meterbox-agent" 2>&1 | awk '{ print "  " $0 }'
