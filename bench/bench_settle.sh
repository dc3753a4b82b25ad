#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Month-close benchmark: accounts settled per second by POST
# /api/v1/settlements over ACCOUNTS accounts (each with a boundary reading at
# both ends of last month), against the in-run baseline of the least a close
# must do per account, straight into the same store with prepared statements
# in one process (read both boundaries, write one bill row: bench_raw.c
# settle).  Prints both and the ratio.
#
#   BACKEND=sqlite|postgresql B=BUILD_DIR bench/bench_settle.sh [ACCOUNTS]
. "$(dirname "$0")/bench_lib.sh"
N=${1:-10000}
M=$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m)
T0=$(date -d "$M-01 00:00" +%s) T1=$(date -d "$(date +%Y-%m-01) 00:00" +%s)

start_server
populate "$N" 1 1
boundaries "$T0" "$T1"
s0=$(date +%s.%N)
curl -sf -o "$T/close.json" -H "Authorization: Bearer $ADMIN" -d "{\"month\":\"$M\"}" "$URL/api/v1/settlements" \
  || fail "close: $(tail -3 "$T/server.log")"
s1=$(date +%s.%N)
settled=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["settled"])' "$T/close.json")
[ "$settled" = "$N" ] || fail "settled $settled of $N: $(head -c 300 "$T/close.json")"
secs=$(/usr/bin/python3 -c "print('%.3f' % ($s1 - $s0))")
c=$(/usr/bin/python3 -c "print('%.0f' % ($N / ($s1 - $s0)))")
raw=$("$B/bench/bench_raw" settle "$BACKEND" "$DB" "$N" "$T0" "$((T1 + 86400 * 31))")
r=$(echo "$raw" | field rate)
echo "backend=$BACKEND accounts=$N month=$M"
echo "month_close: accounts $N seconds $secs rate $c"
echo "raw_baseline: $raw"
echo "ratio close/raw = $(ratio "$c" "$r")   (target: close >= 100000 accounts/s on sqlite)"
