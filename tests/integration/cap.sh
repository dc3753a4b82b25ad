#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A long outage against a small agent.db cap: routine readings are thinned,
# but the month's boundary readings, relay decisions and the record of what
# was thinned all survive and reach the server once it is back.
#
# The gateway clock starts (libfaketime) at 23:59:52 on the last day of a
# month, so a month boundary passes during the outage.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
CAP=160000

server_conf "$T/server.conf"
FIXED=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "s/port = 0;/port = $FIXED;/; s/max_body_bytes = [0-9]*/max_body_bytes = 1048576/" "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"
api POST /api/v1/gateways '{"name":"gw-cap","region":"1"}'; expect 201
GW=$(j '["token"]')
for n in 1 2 3 4; do api PUT /api/v1/meters/00000000000$n '{"gateway":"gw-cap"}'; expect 200; done
stop_server   # the outage begins

meter() {
  echo "{ name = \"m$1\"; plugin = \"sim\"; bus = \"b$(($1 % 2))\"; address = \"00000000000$1\";
          poll_interval = 0.05; options = { seed = $1; speed = 60; }; }"
}
cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-cap"; };
timezone = "Asia/Shanghai";
store = { path = "$T/agent.db"; max_bytes = $CAP; };
server = { url = "$URL"; token = "$GW"; interval = 1; backoff_max = 1; timeout = 3;
           window_minutes = 1; };
buses = ( { name = "b0"; type = "none"; }, { name = "b1"; type = "none"; } );
meters = ( $(meter 1), $(meter 2), $(meter 3), $(meter 4) );
CONF
export TZ=Asia/Shanghai
export FAKETIME="@2026-10-31 23:59:52" FAKETIME_DONT_FAKE_MONOTONIC=1
ft_clean_stale
export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
start_agent "$T/agent.conf" "$T/agent.log"
unset LD_PRELOAD FAKETIME

adb() { sql "$T/agent.db" "$1" 2>/dev/null; }
boundaries() { [ "$(adb "SELECT count(*) FROM readings WHERE kind = 1")" -ge 4 ]; }
wait_for 60 boundaries || fail "no boundary readings at the month change: $(tail "$T/agent.log")"

# A relay decision during the outage: a snapshot (as an operator would load it
# with --apply) that puts meter 1 below its credit limit.
row=$(adb "SELECT seq, ts, import_wh FROM readings r JOIN meters m ON m.id = r.meter_id
           WHERE m.address = '000000000001' ORDER BY seq DESC LIMIT 1")
IFS='|' read -r seq ts wh <<<"$row"
/usr/bin/python3 - "$MB_SRC/etc/tariffs/beijing-residential.conf" "$seq" "$ts" "$wh" >"$T/snap.json" <<'PY'
import json, sys, time
tariff, seq, ts, wh = sys.argv[1:]
lt = time.localtime(int(ts))
print(json.dumps({"meters": [{"meter": "000000000001", "account": "A1", "mode": "prepaid",
  "protected": False, "balance_fen": -1,
  "ref": {"seq": int(seq), "t": int(ts), "import_wh": int(wh)},
  "tier": {"period_start": 0, "used_wh": 0},
  "acc": {"month": "%04d-%02d" % (lt.tm_year, lt.tm_mon), "lines": []},
  "tariff": {"id": "bj", "hash": "h", "text": open(tariff).read()},
  "thresholds": {"alarm1_fen": 0, "alarm2_fen": 0, "credit_limit_fen": 0, "reconnect_fen": 100},
  "commands": []}]}))
PY
"$MB_AGENT" -c "$T/agent.conf" --apply "$T/snap.json" >/dev/null || fail "--apply"
tripped() { [ "$(adb "SELECT count(*) FROM events WHERE type = 'trip'")" -ge 1 ]; }
wait_for 20 tripped || fail "no trip: $(adb "SELECT type, reason FROM events")"

thinned() { [ "$(adb "SELECT count(*) FROM events WHERE type = 'thinned'")" -ge 3 ]; }
wait_for 120 thinned || fail "agent.db never reached its cap: $(adb 'SELECT count(*) FROM readings')"
size=$(adb "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
[ "$size" -le $((CAP * 2)) ] || fail "agent.db grew to $size bytes, cap $CAP"
kill -0 "$AGENT_PID" || fail "the agent died at its cap"
[ "$(adb "SELECT count(*) FROM readings WHERE kind = 1")" = 4 ] || fail "a boundary reading was thinned"
stored=$(adb "SELECT count(*) FROM readings")
pass "at its cap agent.db thinned routine readings ($stored kept, $size bytes) and kept the boundary readings and the trip"

start_server "$T/server.conf" "$T/server.log"
delivered() { [ "$(adb "SELECT count(*) FROM events WHERE acked = 0")" = 0 ] &&
              [ "$(adb "SELECT count(*) FROM readings WHERE acked = 0 AND kind = 1")" = 0 ]; }
wait_for 90 delivered || fail "not delivered: $(adb "SELECT count(*) FROM readings WHERE acked = 0")"
[ "$(sqlv "SELECT count(*) FROM readings WHERE kind = 'boundary'")" = 4 ] ||
  fail "the server lacks boundary readings"
for type in trip relay_confirmed thinned; do
  [ "$(sqlv "SELECT count(*) FROM events WHERE type = '$type'")" -ge 1 ] || fail "the server has no $type event"
done
dups=$(sqlv "SELECT count(*) FROM (SELECT meter_id, seq FROM readings GROUP BY meter_id, seq HAVING count(*) > 1) AS d")
[ "$dups" = 0 ] || fail "duplicates on the server"
pass "after the outage the boundary readings, the trip and the thinning record reached the server once"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || fail "agent did not stop cleanly"
stop_server
