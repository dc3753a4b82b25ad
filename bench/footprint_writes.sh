#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bytes the agent's store writes to disk a day for a meter box of METERS
# meters (default 32) read once a minute, under these store settings:
#   synced   every reading its own synced transaction (the agent's default
#            before the durability model; the baseline)
#   default  the agent's built-in defaults (commit_every 100, 5 s)
#   openwrt  the OpenWrt package's defaults (openwrt/files/meterbox.config:
#            commit_every 2048, an hour, keep_acked_days 0)
# each offline (no server: every reading stays, a day of outage), and the
# last two also online: uploading every second (10 scaled minutes) to a
# meterbox-server on loopback (SERVER_B's, default build/) that acknowledges
# them, a gateway's normal day.
# Time runs SPEED times faster than real (default 600: poll_interval 0.1 s
# stands for a minute, and every store interval is divided alike), which
# keeps the number of readings per commit, and so the bytes per reading, as
# on the gateway; 120 s of run are 20 hours.  write_bytes of /proc/PID/io is
# what the process caused to reach the block device; every commit is synced,
# so the page cache's own timing does not enter.  Counted from WARM seconds
# after the start (creating agent.db, once in a gateway's life, writes about
# 1.6 MB) over RUN seconds, against the readings that reached agent.db
# meanwhile (readings.id counts them, also those deleted once acknowledged;
# a grouped setting's last window is in memory: about 1/20 of
# the readings at the OpenWrt setting).
#
#   bench/footprint_writes.sh            (after bench/footprint.sh has built)
#   METERS=32 SECONDS_RUN=120 SPEED=600 WARM=10 bench/footprint_writes.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build-footprint}
RUN=${SECONDS_RUN:-120}
WARM=${WARM:-10}
METERS=${METERS:-32}
SPEED=${SPEED:-600}
[ -x "$B/agent/meterbox-agent" ] || { echo "run bench/footprint.sh first (it builds $B)" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/mbwrites.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT

# scaled MS: a gateway's interval in this run's time
scaled() { echo $(($1 / SPEED)); }
poll=$(awk -v s="$SPEED" 'BEGIN { printf "%.4f", 60 / s }')
# conf NAME STORE-SETTINGS [SERVER-GROUP]
conf() {
  {
    echo "gateway = { id = \"gw-writes\"; };"
    echo "store = { path = \"$W/$1.db\"; $2 };"
    echo "${3:-}"
    echo "log = { level = \"warning\"; };"
    echo "buses = ( { name = \"b0\"; type = \"none\"; } );"
    echo "meters = ("
    for i in $(seq 1 "$METERS"); do
      [ "$i" -gt 1 ] && echo ","
      printf '  { name = "m%d"; plugin = "sim"; bus = "b0"; address = "%012d"; poll_interval = %s; options = { seed = %d; speed = %d; }; }' \
        "$i" "$i" "$poll" "$i" "$SPEED"
    done
    echo ");"
  } >"$W/$1.conf"
}
conf synced 'commit_every = 1; commit_interval_ms = 0;'
conf default "commit_interval_ms = $(scaled 5000);"
conf openwrt "commit_every = 2048; commit_interval_ms = $(scaled 3600000); keep_acked_days = 0;"
names=(synced default openwrt)
SERVER_B=${SERVER_B:-$top/build}
if [ -x "$SERVER_B/server/meterbox-server" ]; then
  . "$top/bench/bench_server.sh"
  bench_server "$SERVER_B/server/meterbox-server" "$W" \
    'limits = { max_body_bytes = 4194304; max_readings = 10000; };'
  for g in default openwrt; do
    tok=$(api POST /api/v1/gateways "{\"name\":\"gw-$g\"}" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    for i in $(seq 1 "$METERS"); do api PUT "/api/v1/meters/$g$(printf %06d "$i")" "{\"gateway\":\"gw-$g\"}" >/dev/null; done
    conf "$g-online" "$(sed -n 's/^store = { path = "[^"]*"; \(.*\) };$/\1/p' "$W/$g.conf")" \
      "server = { url = \"$URL\"; token = \"$tok\"; interval = 1; batch_readings = 5000; batch_bytes = 4000000; };"
    sed -i "s/gw-writes/gw-$g/; s/address = \"000000\([0-9]*\)\"/address = \"$g\1\"/" "$W/$g-online.conf"
    names+=("$g-online")
  done
fi
declare -A pid wbytes n
for k in "${names[@]}"; do
  "$B/agent/meterbox-agent" -f -c "$W/$k.conf" -P "$B/plugins" 2>"$W/$k.log" &
  pid[$k]=$!
  PIDS+=("${pid[$k]}")
done
# What reached the disk, and the readings on flash, at the same moments (the
# readings that still wait in memory are not counted, nor their bytes).
sample() {
  for k in "${names[@]}"; do
    wbytes[$k]=$(($(awk '$1 == "write_bytes:" { print $2 }' "/proc/${pid[$k]}/io") - ${wbytes[$k]:-0}))
    n[$k]=$(($(sqlite3 -cmd ".timeout 5000" "$W/$k.db" 'SELECT coalesce(max(id), 0) FROM readings') - ${n[$k]:-0}))
  done
}
sleep "$WARM"
sample
sleep "$RUN"
sample
kill -TERM "${pid[@]}"
wait "${pid[@]}" 2>/dev/null || true
PIDS=()
printf '%-48s %9s %12s %10s %10s\n' "$METERS meters, 1 reading/min each" readings "to disk B" "B/reading" "MiB/day"
for k in "${names[@]}"; do
  case $k in
  synced) label="every reading synced (baseline)" ;;
  default) label="built-in defaults (100 readings or 5 s)" ;;
  openwrt) label="OpenWrt package (2048 or 1 h, keep 0 days)" ;;
  default-online) label="built-in defaults, online" ;;
  openwrt-online) label="OpenWrt package, online" ;;
  esac
  per=$((wbytes[$k] / n[$k]))
  printf '%-48s %9s %12s %10s %10s\n' "$label" "${n[$k]}" "${wbytes[$k]}" "$per" \
    "$(awk -v p="$per" -v m="$METERS" 'BEGIN { printf "%.1f", p * m * 1440 / 1048576 }')"
done
for k in "${names[@]:1}"; do
  echo "ratio $k / synced: $(awk -v a="${wbytes[$k]}" -v b="${wbytes[synced]}" -v na="${n[$k]}" -v nb="${n[synced]}" \
    'BEGIN { printf "%.3f", (a / na) / (b / nb) }') (bytes per reading)"
done
