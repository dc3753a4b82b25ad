#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The musl CI stage: build the whole agent side (meterbox-agent, every
# plugin, meterboxctl and the test suite) with musl-gcc and -Werror against
# the musl libraries of scripts/musl/libs.sh, as OpenWrt's C library is
# musl, and run natively every test registered without the server: unit,
# fuzz-corpus and agent-side integration tests.  glibc-only code (dladdr1
# once hid in the plugin loader) fails here, at compile time or in a test.
#
#   scripts/musl/build.sh [cmake args...]     in build-musl-ci/
#   B=DIR MB_MUSL_CACHE=DIR MB_JOBS=N scripts/musl/build.sh
#
# Libraries come from $MB_MUSL_CACHE (default ~/.cache/meterbox-musl; built
# once, about 2 minutes the first time); the binaries find them through their
# rpath and run by musl's loader /lib/ld-musl-x86_64.so.1.  Only our binaries
# are musl: the integration tests drive them with the host's tools (python3
# with pymodbus, socat, the sqlite3 shell), which scripts/setup.sh installs.
# Tests listed in skip-tests.txt (with the reason) are not run.
#
# Exit status: 0 when everything built and every test run passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=${B:-$top/build-musl-ci}
C=${MB_MUSL_CACHE:-$HOME/.cache/meterbox-musl}
P=$C/prefix
jobs=${MB_JOBS:-$(nproc)}

"$top/scripts/setup.sh"
MB_MUSL_CACHE=$C "$here/libs.sh"

# The stage's toolchain, for the build and for the builds some tests make of
# their own (packaging_openwrt configures the tree again; install_tree and
# plugin_example_out_of_tree build the example plugin with make): musl-gcc,
# the prefix's libraries only, and their rpath (from LDFLAGS, so installed
# copies keep it too).
export CC=musl-gcc PKG_CONFIG_LIBDIR=$P/lib/pkgconfig PKG_CONFIG_PATH='' LDFLAGS="-Wl,-rpath,$P/lib"
# agent_policy preloads libfaketime into the agent: the musl build of it.
export MB_FAKETIME_LIB=$P/lib/faketime/libfaketimeMT.so.1

# CMake keeps the libraries it found and LDFLAGS in its cache: a tree
# configured against another cache's prefix starts afresh.
if [ -f "$B/CMakeCache.txt" ] && ! grep -qF -- "-Wl,-rpath,$P/lib" "$B/CMakeCache.txt"; then
  echo "musl: $B was configured against another prefix: removing it"
  rm -rf "$B"
fi
cmake -S "$top" -B "$B" -G Ninja -DCMAKE_C_COMPILER=musl-gcc -DMB_BUILD_SERVER=OFF \
  -DMB_BUILD_TESTS=ON -DMB_WERROR=ON "$@" >/dev/null
cmake --build "$B" -j "$jobs"

skip=$(sed 's/#.*//' "$here/skip-tests.txt" | awk 'NF { print $1 }' | paste -sd'|')
echo "musl: running $(ctest --test-dir "$B" -N ${skip:+-E "^($skip)\$"} | sed -n 's/^Total Tests: //p')" \
  "tests natively${skip:+ (skipped: ${skip//|/ })}"
ctest --test-dir "$B" --output-on-failure -j "$jobs" ${skip:+-E "^($skip)\$"}
