#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# How the costs grow: bench_ingest.sh and bench_settle.sh at each account
# count (default 10k, 100k, 1M), one backend.  Each line keeps its own
# in-run baseline and ratio; a cost that grows linearly shows as a flat
# rate across the sizes.
#
#   BACKEND=sqlite|postgresql B=BUILD_DIR bench/bench_scale.sh [N...]
set -euo pipefail
here=$(dirname "$0")
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
for n in "${sizes[@]}"; do
  echo "== ${BACKEND:-sqlite} $n accounts"
  "$here/bench_ingest.sh" "$n" | grep -E "^(http_ingest|raw_insert|ratio)"
  "$here/bench_settle.sh" "$n" | grep -E "^(month_close|raw_baseline|ratio)"
done
