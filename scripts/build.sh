#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configure and build one flavour of the tree.
#   scripts/build.sh [plain|asan|fuzz] [extra cmake args...]
# plain -> build/, asan -> build-asan/ (AddressSanitizer + UBSan),
# tsan -> build-tsan/ (ThreadSanitizer), fuzz -> build-fuzz/ (clang + libFuzzer).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
flavour=${1:-plain}
shift || true
case "$flavour" in
  plain) dir="$top/build"; args=() ;;
  asan) dir="$top/build-asan"; args=(-DMB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
  tsan) dir="$top/build-tsan"; args=(-DMB_TSAN=ON -DCMAKE_BUILD_TYPE=Debug) ;;
  fuzz) dir="$top/build-fuzz"; args=(-DMB_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug); export CC=clang ;;
  *) echo "build.sh: unknown flavour '$flavour' (plain, asan, tsan or fuzz)" >&2; exit 2 ;;
esac
cmake -S "$top" -B "$dir" -G Ninja "${args[@]}" "$@" >/dev/null
cmake --build "$dir"
