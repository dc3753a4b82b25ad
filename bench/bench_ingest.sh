#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Ingest benchmark: readings per second through the HTTP API (CLIENTS
# concurrent gateway clients, batches of PER x RPM = 1,000 agent-shaped
# readings in arrival order, written in C with libcurl: bench_load.c), every
# batch answered only once it is on stable storage, against the raw rate of
# inserting the same rows into the same table with the database's own C API
# (bench_raw.c ingest: a prepared INSERT per row, 1,000-row transactions,
# synchronous=FULL on SQLite), measured in the same run.  Prints both, the
# ratio (target >= 0.50) and, on SQLite, the HTTP rate against 150,000/s.
#
#   BACKEND=sqlite|postgresql B=BUILD_DIR bench/bench_ingest.sh [ACCOUNTS]
# Knobs: CLIENTS (4), NGW gateways driven (16), PER meters each (50), RPM
# readings per meter per batch (20), BATCHES per gateway (8), PERF=FILE (a
# perf profile of the server during the HTTP run).
. "$(dirname "$0")/bench_lib.sh"
N=${1:-10000} CLIENTS=${CLIENTS:-4} NGW=${NGW:-16} PER=${PER:-50} RPM=${RPM:-20} BATCHES=${BATCHES:-8}
[ $((NGW * PER)) -le "$N" ] || fail "ACCOUNTS must be at least NGW x PER"

start_server
populate "$N" "$NGW" "$PER"
T0=$(date -d "$(date +%Y-%m-01) 00:00" +%s)   # this month: its partition exists

# PERF=FILE: a profile of the server during the HTTP run (perf record -g)
if [ -n "${PERF:-}" ]; then
  perf record -q -e cpu-clock --call-graph dwarf,16384 -o "$PERF" -p "$SERVER_PID" 2>/dev/null &
  perf_pid=$!
  sleep 0.5
fi
cpu() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; } # utime + stime, ticks
c0=$(cpu)
http=$("$B/bench/bench_load" "$URL" "$T/tokens" "$CLIENTS" "$BATCHES" "$PER" "$RPM" "$T0")
c1=$(cpu)
if [ -n "${PERF:-}" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
stored=$(q 'SELECT count(*) FROM readings')
charged=$(q "SELECT count(*) FROM ledger WHERE kind = 'charge'")
raw=$("$B/bench/bench_raw" ingest "$BACKEND" "$DB" "$NGW" "$BATCHES" "$PER" "$RPM" "$T0" 1000000000)
h=$(echo "$http" | field rate) r=$(echo "$raw" | field rate)
echo "backend=$BACKEND accounts=$N clients=$CLIENTS batch=$((PER * RPM)) readings=$((NGW * BATCHES * PER * RPM))"
echo "machine: $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg) after the run"
echo "http_ingest: $http (stored $stored, $charged charge entries)"
echo "server cpu: $(/usr/bin/python3 -c "print('%.2f' % (($c1 - $c0) * 1e6 / $(getconf CLK_TCK) / $((NGW * BATCHES * PER * RPM))))") us per reading (all its threads; the load client's not counted)"
echo "raw_insert:  $raw"
echo "ratio http/raw = $(ratio "$h" "$r")   (target >= 0.50)"
[ "$BACKEND" = sqlite ] && echo "http rate / 150,000 = $(ratio "$h" 150000)   (target >= 1.00)"
exit 0
