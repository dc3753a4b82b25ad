#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bytes the agent's store writes to disk per reading, for a meter box of
# METERS meters (default 3) read once a minute: the default store settings
# against the flash-wear ones of docs/operations-install.md.  Time runs 60
# times faster than real (poll_interval 1 s stands for a minute,
# commit_interval_ms 1000 for 60000), which keeps the number of readings per
# commit, and so the bytes per reading, as on the gateway.
#
#   bench/footprint_writes.sh            (after bench/footprint.sh has built)
#   METERS=3 SECONDS_RUN=60 bench/footprint_writes.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build-footprint}
RUN=${SECONDS_RUN:-60}
METERS=${METERS:-3}
[ -x "$B/agent/meterbox-agent" ] || { echo "run bench/footprint.sh first (it builds $B)" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/mbwrites.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT

# conf NAME STORE-SETTINGS
conf() {
  {
    echo "gateway = { id = \"gw-writes\"; };"
    echo "store = { path = \"$W/$1.db\"; $2 };"
    echo "log = { level = \"warning\"; };"
    echo "buses = ( { name = \"b0\"; type = \"none\"; } );"
    echo "meters = ("
    for i in $(seq 1 "$METERS"); do
      [ "$i" -gt 1 ] && echo ","
      printf '  { name = "m%d"; plugin = "sim"; bus = "b0"; poll_interval = 1; options = { seed = %d; speed = 60; }; }' "$i" "$i"
    done
    echo ");"
  } >"$W/$1.conf"
}
conf default ''
conf batched 'commit_every = 10; commit_interval_ms = 1000; synchronous = "normal";'
declare -A pid wbytes n
for k in default batched; do
  "$B/agent/meterbox-agent" -f -c "$W/$k.conf" -P "$B/plugins" 2>"$W/$k.log" &
  pid[$k]=$!
  PIDS+=("${pid[$k]}")
done
sleep "$RUN"
# write_bytes: what this process caused to reach the block device.
for k in default batched; do
  wbytes[$k]=$(awk '$1 == "write_bytes:" { print $2 }' "/proc/${pid[$k]}/io")
done
kill -TERM "${pid[@]}"
wait "${pid[@]}" 2>/dev/null || true
PIDS=()
printf '%-40s %9s %12s %14s %16s\n' "$METERS meters, 1 reading/min each" readings "to disk B" "B/reading" "MiB/day"
for k in default batched; do
  n[$k]=$(sqlite3 "$W/$k.db" 'SELECT count(*) FROM readings')
  case $k in
  default) label="commit_every 1, synchronous full" ;;
  batched) label="commit_every 10, 60 s, normal" ;;
  esac
  per=$((wbytes[$k] / n[$k]))
  printf '%-40s %9s %12s %14s %16s\n' "$label" "${n[$k]}" "${wbytes[$k]}" "$per" \
    "$(awk -v p="$per" -v m="$METERS" 'BEGIN { printf "%.1f", p * m * 1440 / 1048576 }')"
done
echo "ratio default / batched: $(awk -v a="${wbytes[default]}" -v b="${wbytes[batched]}" -v na="${n[default]}" -v nb="${n[batched]}" \
  'BEGIN { printf "%.1f", (a / na) / (b / nb) }') (bytes per reading)"
