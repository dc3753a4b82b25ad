#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Offline cut-off by sequence, not by clock (issue 16).  One simulated meter
# drawing a steady 5 kWh a second (accelerated), a flat tariff of 0.55
# yuan/kWh and no network: the server's snapshot arrives with
# `meterbox-agent --apply`.  Every reading after the snapshot's reference
# (meter, seq) must be charged whatever the gateway clock says, so the trip
# comes with the first reading whose charge from the reference reaches the
# balance:
#   behind  the gateway clock is a day behind the server, which stamped the
#           reference with its own time;
#   ahead   the gateway clock ran an hour ahead when it took the reference
#           reading, and NTP then steps it back to the true time;
#   nullref the server has no reading of the meter yet (ref null): the agent
#           charges from its first reading after the snapshot.
# The expected reading is computed here from the stored registers.  The
# agent runs under libfaketime reading its offset from a file; the monotonic
# clock stays real.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
FT=${MB_FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1}
[ -e "$FT" ] || fail "libfaketime not installed ($FT)"

cat >"$T/tariff.conf" <<'TARIFF'
id = "flat-test";
name = "Flat 0.55";
currency = "CNY";
versions = ( { from = "2020-01-01"; label = "flat"; price = "0.5500"; } );
TARIFF
PRICE=5500
BALANCE=1000

# run CASE CLOCK-OFFSET: an agent with its own store under that clock.
run() {
  local c=$1
  sim_agent_conf "$T/$c.conf" gw-offline 6000 3000
  echo "$2" >"$T/$c.clock"
  ft_clean_stale
  FAKETIME_TIMESTAMP_FILE=$T/$c.clock FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
    FAKETIME_FORCE_MONOTONIC_FIX=0 LD_PRELOAD=$FT \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    start_agent "$T/$c.conf" "$T/$c.log"
}
db() { sql "$T/$1.db" "$2" 2>/dev/null; }
readings() { [ "$(db "$1" 'SELECT count(*) FROM readings')" -ge "$2" ] 2>/dev/null; }

# answer CASE REF-JSON: the server's answer for m1 with that reference.
answer() {
  $PY - "$T/tariff.conf" "$2" "$BALANCE" >"$T/$1.json" <<'PY'
import json, sys, time
tariff, ref, bal = sys.argv[1:]
ref = json.loads(ref)
lt = time.localtime()
print(json.dumps({"server_time": int(time.time()), "meters": [{
  "meter": "000000000001", "account": "1100000001", "mode": "prepaid",
  "protected": False, "balance_fen": int(bal), "ref": ref,
  "tier": {"period_start": 0, "used_wh": 0} if ref else None,
  "acc": {"month": "%04d-%02d" % (lt.tm_year, lt.tm_mon), "lines": []},
  "tariff": {"id": "flat-test", "hash": "h-flat", "text": open(tariff).read()},
  "thresholds": {"alarm1_fen": 0, "alarm2_fen": 0, "credit_limit_fen": 0,
                 "reconnect_fen": 100},
  "commands": []}]}))
PY
  "$MB_AGENT" -c "$T/$1.conf" --apply "$T/$1.json" >/dev/null || fail "$1: --apply failed"
}

# expect_trip CASE REF-SEQ: the trip came with the first reading after
# REF-SEQ whose charge from it reaches the balance (half away from zero).
expect_trip() {
  local c=$1 ref=$2 refwh want got
  tripped() { [ "$(db "$c" "SELECT count(*) FROM events WHERE type = 'trip'")" -ge 1 ]; }
  wait_for 30 tripped || fail "$c: no trip: $(db "$c" "SELECT seq, ts, import_wh, balance_fen FROM readings ORDER BY seq DESC LIMIT 3") $(tail -3 "$T/$c.log")"
  refwh=$(db "$c" "SELECT import_wh FROM readings WHERE seq = $ref")
  want=$(db "$c" "SELECT min(seq) FROM readings WHERE seq > $ref
                  AND ((import_wh - $refwh) * $PRICE + 50000) / 100000 >= $BALANCE")
  got=$(db "$c" "SELECT json_extract(data, '\$.seq') FROM events WHERE type = 'trip'")
  [ -n "$want" ] && [ "$got" = "$want" ] || fail "$c: trip at seq $got, expected $want (reference seq $ref)"
  [ "$(db "$c" "SELECT balance_fen FROM readings WHERE seq = $got")" -le 0 ] || fail "$c: balance at the trip"
}

# behind: the gateway is a day behind; the reference carries the server's time.
run behind "-1d"
wait_for 20 readings behind 3 || fail "behind: no readings: $(cat "$T/behind.log")"
IFS='|' read -r seq wh <<<"$(db behind 'SELECT seq, import_wh FROM readings ORDER BY seq DESC LIMIT 1')"
answer behind "{\"seq\": $seq, \"t\": $(date +%s), \"import_wh\": $wh}"
expect_trip behind "$seq"
pass "gateway clock a day behind the server: the trip came at the right reading"

# ahead: the reference was stamped an hour ahead; then the clock is corrected.
run ahead "+1h"
wait_for 20 readings ahead 3 || fail "ahead: no readings: $(cat "$T/ahead.log")"
IFS='|' read -r seq ts wh <<<"$(db ahead 'SELECT seq, ts, import_wh FROM readings ORDER BY seq DESC LIMIT 1')"
[ "$ts" -gt "$(($(date +%s) + 3000))" ] || fail "ahead: the reading is not stamped an hour ahead"
echo "+0" >"$T/ahead.clock"
answer ahead "{\"seq\": $seq, \"t\": $ts, \"import_wh\": $wh}"
expect_trip ahead "$seq"
pass "gateway clock an hour ahead, then stepped back: the trip came at the right reading"

# nullref: the server has not seen the meter; the first reading after the
# snapshot is the reference.
run nullref "+0"
wait_for 20 readings nullref 3 || fail "nullref: no readings: $(cat "$T/nullref.log")"
# A reading may be stored while --apply runs: the reference is the first
# reading after whichever was the newest when the snapshot was stored.
before=$(db nullref 'SELECT max(seq) FROM readings')
answer nullref null
after=$(db nullref 'SELECT max(seq) FROM readings')
ok=0
for r in $(seq "$((before + 1))" "$((after + 1))"); do
  (expect_trip nullref "$r") >/dev/null 2>&1 && ok=1
done
[ $ok = 1 ] || expect_trip nullref "$((after + 1))"
pass "a snapshot with no reference: charged from the first reading after it, tripped at the right reading"

