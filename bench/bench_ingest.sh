#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Ingest benchmark: readings per second through the HTTP API (CLIENTS
# concurrent gateway clients, batches of PER x RPM = 1,000 readings, written
# in C with libcurl: bench_load.c) against the raw rate of inserting the same
# rows into the same store with prepared statements in one process
# (bench_raw.c ingest), measured in the same run.  Prints both and the ratio.
#
#   BACKEND=sqlite|postgresql B=BUILD_DIR bench/bench_ingest.sh [ACCOUNTS]
# Knobs: CLIENTS (4), NGW gateways driven (16), PER meters each (50), RPM
# readings per meter per batch (20), BATCHES per gateway (8).
. "$(dirname "$0")/bench_lib.sh"
N=${1:-10000} CLIENTS=${CLIENTS:-4} NGW=${NGW:-16} PER=${PER:-50} RPM=${RPM:-20} BATCHES=${BATCHES:-8}
[ $((NGW * PER)) -le "$N" ] || fail "ACCOUNTS must be at least NGW x PER"

start_server
populate "$N" "$NGW" "$PER"
T0=$(date -d "$(date +%Y-%m-01) 00:00" +%s)   # this month: its partition exists

http=$("$B/bench/bench_load" "$URL" "$T/tokens" "$CLIENTS" "$BATCHES" "$PER" "$RPM" "$T0")
stored=$(q 'SELECT count(*) FROM readings')
charged=$(q "SELECT count(*) FROM ledger WHERE kind = 'charge'")
raw=$("$B/bench/bench_raw" ingest "$BACKEND" "$DB" "$NGW" "$BATCHES" "$PER" "$RPM" "$T0" 1000000000)
h=$(echo "$http" | field rate) r=$(echo "$raw" | field rate)
echo "backend=$BACKEND accounts=$N clients=$CLIENTS batch=$((PER * RPM)) readings=$((NGW * BATCHES * PER * RPM))"
echo "http_ingest: $http (stored $stored, $charged charge entries)"
echo "raw_insert:  $raw"
echo "ratio http/raw = $(ratio "$h" "$r")   (target >= 0.50)"
