#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cross-build the agent, its plugins and their unit tests for an embedded
# target with Debian 12's cross toolchains, and run the tests under qemu-user.
#
#   scripts/cross/build.sh ARCH [cmake args...]   ARCH: arm64 armhf mipsel s390x
#   scripts/cross/build.sh all                    the four, one after another
#
# For each ARCH: installs the host packages in host-packages.txt (cross gcc,
# qemu-user) when missing, makes build-cross/sysroot-ARCH (sysroot.sh: the
# target's -dev packages, unpacked, nothing installed), configures
# build-cross/ARCH with the toolchain file ARCH.cmake and -DMB_BUILD_SERVER=OFF,
# builds with -j MB_JOBS (default: nproc) and runs every test that executes a
# target binary (under qemu-ARCH -L SYSROOT) except those in skip-tests.txt.
# s390x is the big-endian one: byte-order bugs (Modbus words, BCD, the store)
# show up there.
#
# Exit status: 0 when every ARCH built and passed, 1 otherwise.  It ends with
# one line per ARCH: passed or FAILED, and the minutes it took.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
jobs=${MB_JOBS:-$(nproc)}

usage() {
  echo "usage: scripts/cross/build.sh ARCH|all [cmake args...]  (ARCH: $(known | tr '\n' ' '))" >&2
  exit 2
}
known() { awk '!/^#/ && NF {print $1}' "$here/arches.txt"; }
field() { awk -v a="$1" -v n="$2" '!/^#/ && $1 == a {print $n}' "$here/arches.txt"; }

# install_host TRIPLET: the cross compiler and qemu-user, when missing.
install_host() {
  local p missing=()
  mapfile -t pkgs < <(grep -v '^\s*#' "$here/host-packages.txt" | grep -v '^\s*$' |
                      sed "s/@TRIPLET@/$1/g")
  pkgs+=(cmake ninja-build pkg-config python3)
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "cross: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# select_tests BUILD: the names of the tests to run under qemu, one a line.
select_tests() {
  ctest --test-dir "$1" --show-only=json-v1 | /usr/bin/python3 -c '
import json, sys
skip = set()
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        skip.add(line.split()[0])
for t in json.load(sys.stdin)["tests"]:
    cmd = t.get("command") or [""]
    labels = next((p["value"] for p in t.get("properties", []) if p["name"] == "LABELS"), [])
    emulated = cmd[0].endswith("/" + sys.argv[2]) or cmd[0] == sys.argv[2]
    if (emulated or "unit" in labels) and t["name"] not in skip:
        print(t["name"])
' "$here/skip-tests.txt" "$2"
}

# build_one ARCH [cmake args...]
build_one() {
  local arch=$1 triplet qemu sysroot build names
  shift
  triplet=$(field "$arch" 2)
  qemu=$(field "$arch" 3)
  [ -n "$triplet" ] || usage
  sysroot="$top/build-cross/sysroot-$arch"
  build="$top/build-cross/$arch"

  install_host "$triplet"
  "$here/sysroot.sh" "$arch" "$sysroot"
  MB_CROSS_SYSROOT="$sysroot" cmake -S "$top" -B "$build" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$here/$arch.cmake" -DMB_BUILD_SERVER=OFF "$@" >/dev/null
  MB_CROSS_SYSROOT="$sysroot" cmake --build "$build" -j "$jobs"

  names=$(select_tests "$build" "$qemu")
  [ -n "$names" ] || { echo "cross: $arch: no test to run" >&2; return 1; }
  echo "cross: $arch: running $(echo "$names" | wc -l) tests under $qemu"
  ctest --test-dir "$build" --output-on-failure -j "$jobs" \
    -R "^($(echo "$names" | paste -sd'|'))\$"
}

[ $# -ge 1 ] || usage
target=$1
shift
minutes() { awk -v s="$1" 'BEGIN { printf "%.1f", s / 60 }'; }

if [ "$target" != all ]; then
  [ -n "$(field "$target" 1)" ] || usage
  echo "== cross: $target"
  build_one "$target" "$@"
  echo "cross: $target passed in $(minutes "$SECONDS") min"
  exit 0
fi

# all: each ARCH in a process of its own (so set -e holds inside it), going
# on after a failure so the summary covers every ARCH.
summary=()
status=0
for arch in $(known); do
  start=$SECONDS
  if "$0" "$arch" "$@"; then
    result=passed
  else
    result=FAILED
    status=1
  fi
  summary+=("$(printf 'cross: %-7s %-7s %5s min' "$arch" "$result" "$(minutes $((SECONDS - start)))")")
done
printf '%s\n' "${summary[@]}"
exit $status
