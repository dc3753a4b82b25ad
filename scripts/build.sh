#!/usr/bin/env bash
# Configure and build one flavour of the tree.
#   scripts/build.sh [plain|asan] [extra cmake args...]
# plain -> build/, asan -> build-asan/ (AddressSanitizer + UBSan).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
flavour=${1:-plain}
shift || true
case "$flavour" in
  plain) dir="$top/build"; args=() ;;
  asan) dir="$top/build-asan"; args=(-DMB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
  *) echo "build.sh: unknown flavour '$flavour' (plain or asan)" >&2; exit 2 ;;
esac
cmake -S "$top" -B "$dir" -G Ninja "${args[@]}" "$@" >/dev/null
cmake --build "$dir"
