#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `meterbox-agent status` and `resend` against a running agent with
# simulated meters, offline and online:
#   1. offline (no server): each meter's last reading and relay, no balance,
#      no sync, the backlog as agent.db holds it; after a snapshot applied
#      offline (--apply) the meter's local balance, its trip and policy
#      state "cut", its relay open; the text form says the same;
#   2. status never gets in the running agent's way: 40 runs while it polls
#      every 50 ms, each one answers, the agent logs no lock error and its
#      readings go on;
#   3. online: the last successful sync appears and the bound meter's
#      backlog drains; readings of a meter the server does not know are set
#      aside and counted; once the meter is bound, `resend METER` puts them
#      back and they reach the server from seq 1; an unknown meter is an
#      error;
#   4. the server stops: status still answers, the last sync stays, the
#      backlog grows again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
PY=/usr/bin/python3
TARIFF="$MB_SRC/etc/tariffs/beijing-residential.conf"

meters() {
  cat <<M
  { name = "m1"; plugin = "sim"; bus = "b"; address = "000000000001"; account = "1300000001";
    poll_interval = 0.05;
    options = { profile = "flat"; base_w = 6000; peak_w = 6000; noise_pct = 0; speed = 3000;
                start_wh = 1000000; seed = 7; }; },
  { name = "m2"; plugin = "sim"; bus = "b"; address = "000000000002"; account = "1300000002";
    poll_interval = 0.5; options = { seed = 8; start_wh = 2000000; }; }
M
}
# conf [SERVER-GROUP]
conf() {
  cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-status"; region = "110105"; };
timezone = "Asia/Shanghai";
store = { path = "$T/agent.db"; };
$1
buses = ( { name = "b"; type = "none"; } );
meters = (
$(meters)
);
CONF
  "$MB_AGENT" -t -c "$T/agent.conf" >/dev/null || fail "agent config rejected"
}
db() { sql "$T/agent.db" "$1" 2>/dev/null; }
status() { "$MB_AGENT" -c "$T/agent.conf" status "$@"; }
# sj EXPR: a Python expression over the status JSON s (meters by name: m).
sj() {
  status --json >"$T/status.json" || fail "status --json failed"
  $PY -c 'import json, sys
s = json.load(open(sys.argv[1])); m = {x["name"]: x for x in s["meters"]}
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list)) or v is None or isinstance(v, bool) else v)' \
    "$T/status.json" "$1"
}

# 1. Offline.
conf ""
start_agent "$T/agent.conf" "$T/agent.log"
both_read() { [ "$(db 'SELECT count(DISTINCT meter_id) FROM readings')" = 2 ]; }
wait_for 20 both_read || fail "no readings: $(cat "$T/agent.log")"
[ "$(sj 's["server"]')" = null ] && [ "$(sj 's["last_sync"]')" = null ] || fail "an offline gateway shows a server or a sync"
for n in 1 2; do
  seq=$(sj "m['m$n']['last_reading']['seq']")
  top=$(db "SELECT max(seq) FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.name = 'm$n'")
  [ "$seq" -ge 1 ] && [ "$seq" -le "$top" ] || fail "m$n: status seq $seq, agent.db has up to $top"
  [ "$(sj "m['m$n']['relay']")" = closed ] || fail "m$n: relay $(sj "m['m$n']['relay']"), want closed"
  [ "$(sj "m['m$n']['balance_fen']")" = null ] || fail "m$n: a balance without a snapshot"
  [ "$(sj "m['m$n']['address']")" = "00000000000$n" ] || fail "m$n: address $(sj "m['m$n']['address']")"
done
w=$(sj 's["upload"]["readings"]')
[ "$w" -ge 2 ] && [ "$w" -le "$(db 'SELECT count(*) FROM readings WHERE acked = 0')" ] ||
  fail "backlog $w is not what agent.db holds"
# One status is one read transaction: its numbers agree with each other.
[ "$(sj 'm["m1"]["waiting"] + m["m2"]["waiting"] == s["upload"]["readings"]')" = true ] ||
  fail "the meters' backlogs do not add up to the total: $(cat "$T/status.json")"

# A snapshot with 5 yuan, applied offline: m1 uses about 4 fen a reading.
row=$(db "SELECT seq, ts, import_wh FROM readings WHERE meter_id = 1 ORDER BY seq DESC LIMIT 1")
IFS='|' read -r seq ts wh <<<"$row"
$PY - "$TARIFF" "$seq" "$ts" "$wh" >"$T/answer.json" <<'PY'
import json, sys, time
tariff, seq, ts, wh = sys.argv[1:]
lt = time.localtime(int(ts))
print(json.dumps({"server_time": int(ts), "meters": [{
  "meter": "000000000001", "account": "1300000001", "mode": "prepaid",
  "protected": False, "balance_fen": 500,
  "ref": {"seq": int(seq), "t": int(ts), "import_wh": int(wh)},
  "tier": {"period_start": 0, "used_wh": 0},
  "acc": {"month": "%04d-%02d" % (lt.tm_year, lt.tm_mon), "lines": []},
  "tariff": {"id": "cn-bj-residential", "hash": "h1", "text": open(tariff).read()},
  "thresholds": {"alarm1_fen": 300, "alarm2_fen": 150, "credit_limit_fen": 0, "reconnect_fen": 100},
  "commands": []}]}))
PY
TZ=Asia/Shanghai "$MB_AGENT" -c "$T/agent.conf" --apply "$T/answer.json" >/dev/null || fail "--apply failed"
cut_open() { [ "$(sj 'm["m1"]["policy"]')" = cut ] && [ "$(sj 'm["m1"]["relay"]')" = open ]; }
wait_for 60 cut_open || fail "status never showed m1 cut and open: $(cat "$T/status.json")"
b=$(sj 'm["m1"]["balance_fen"]')
[ "$b" -le 0 ] || fail "m1 cut with a balance of $b fen"
[ "$(sj 'm["m1"]["last_decision"]["type"]')" = trip ] || fail "m1: last decision not the trip"
[ "$(sj 'm["m2"]["balance_fen"]')" = null ] && [ "$(sj 'm["m2"]["policy"]')" = null ] ||
  fail "m2 got m1's snapshot"
status >"$T/status.txt" || fail "status (text) failed"
grep -q 'offline gateway' "$T/status.txt" || fail "text: not an offline gateway: $(cat "$T/status.txt")"
grep -Eq '^uplink +not looked at: an offline gateway$' "$T/status.txt" || fail "text: the uplink of an offline gateway: $(cat "$T/status.txt")"
grep -E '^m1 +000000000001 .* open \(trip\) +cut ' "$T/status.txt" >/dev/null ||
  fail "text: m1 is not shown open (trip), cut: $(cat "$T/status.txt")"
y=$($PY -c "b = $b; print(('-' if b < 0 else '') + '%d.%02d' % (abs(b) // 100, abs(b) % 100))")
grep -E "^m1 .* $y open" "$T/status.txt" >/dev/null || fail "text: m1's balance $y yuan not shown: $(cat "$T/status.txt")"
pass "offline: last readings, relays, backlog; after an offline snapshot m1 at $b fen, tripped, policy cut, relay open"

# 2. Beside the running agent, again and again.
before=$(db "SELECT max(seq) FROM readings WHERE meter_id = 1")
for i in $(seq 40); do
  status --json >/dev/null || fail "status run $i failed"
done
# (readings reach agent.db with the next group commit: wait for one)
grew() { [ "$(db "SELECT max(seq) FROM readings WHERE meter_id = 1")" -gt "$before" ]; }
wait_for 20 grew || fail "the agent stopped reading while status ran ($before -> $(db "SELECT max(seq) FROM readings WHERE meter_id = 1"))"
after=$(db "SELECT max(seq) FROM readings WHERE meter_id = 1")
! grep -Ei 'locked|busy|cannot commit' "$T/agent.log" || fail "the agent hit status's connection"
pass "40 status runs beside the agent: m1 read on from seq $before to $after, no lock error"
kill -TERM "$AGENT_PID" && wait "$AGENT_PID" || fail "agent did not stop cleanly"

# 3. Online: m1 bound, m2 unknown to the server.
server_conf "$T/server.conf"
FIXED=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "s/port = 0;/port = $FIXED;/" "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"
api POST /api/v1/gateways '{"name":"gw-status","region":"110105"}'; expect 201
GW=$(j '["token"]')
api POST /api/v1/tariffs "@$TARIFF"; expect 201
for n in 1 2; do
  api POST /api/v1/accounts "{\"number\":\"130000000$n\",\"holder\":\"S $n\",\"region\":\"110105\",
      \"mode\":\"prepaid\",\"alarm1_fen\":300,\"alarm2_fen\":150,\"credit_limit_fen\":0,\"reconnect_fen\":100}"
  expect 201
  api PUT /api/v1/accounts/130000000$n/tariff '{"tariff":"cn-bj-residential","effective":"2020-01-01"}'
  expect 200
done
api PUT /api/v1/meters/000000000001 '{"gateway":"gw-status","account":"1300000001"}'; expect 200
api POST /api/v1/accounts/1300000001/topups '{"amount_fen":900000,"reference":"S-1"}'; expect 201
conf "server = { url = \"$URL\"; token = \"$GW\"; interval = 1; backoff_max = 2; timeout = 5; };"
start_agent "$T/agent.conf" "$T/agent.log"
synced() { [ "$(sj 's["last_sync"]')" != null ]; }
wait_for 60 synced || fail "status shows no sync: $(tail -5 "$T/agent.log")"
set_aside() { [ "$(sj 'm["m2"]["set_aside"]')" -ge 3 ]; }
wait_for 60 set_aside || fail "m2's readings never set aside: $(cat "$T/status.json")"
t_sync=$(sj 's["last_sync"]')
now=$(date +%s)
[ $((now - t_sync)) -le 30 ] && [ $((t_sync - now)) -le 5 ] || fail "last sync $t_sync is not recent (now $now)"
[ "$(sj 's["server"]')" = "$URL" ] || fail "status does not name the server"
status >"$T/status.txt"
grep -q "^server    $URL, last sync .* s ago)" "$T/status.txt" || fail "text: no last sync: $(cat "$T/status.txt")"
grep -q 'meterbox-agent resend' "$T/status.txt" || fail "text: set-aside readings without the way out"
m1_done() { [ "$(sj 'm["m1"]["set_aside"]')" = 0 ] && [ "$(sj 'm["m1"]["balance_fen"]')" != null ]; }
wait_for 60 m1_done || fail "m1 (bound) has set-aside readings or no balance: $(cat "$T/status.json")"
pass "online: last sync $((now - t_sync)) s ago, m1 synced with the server's balance, m2 (unbound) set aside"

# Bind m2, resend its readings: they reach the server from seq 1.
api PUT /api/v1/meters/000000000002 '{"gateway":"gw-status","account":"1300000002"}'; expect 200
! "$MB_AGENT" -c "$T/agent.conf" resend m9 >"$T/resend.out" 2>&1 || fail "resend of an unknown meter succeeded"
grep -q "no meter 'm9'" "$T/resend.out" || fail "resend m9: $(cat "$T/resend.out")"
"$MB_AGENT" -c "$T/agent.conf" resend m2 >"$T/resend.out" 2>&1 || fail "resend m2: $(cat "$T/resend.out")"
n=$(sed -n 's/^m2: \([0-9]*\) set-aside readings back in the upload queue$/\1/p' "$T/resend.out")
[ "${n:-0}" -ge 3 ] || fail "resend m2 did not requeue: $(cat "$T/resend.out")"
[ "$(db "SELECT count(*) FROM events WHERE type = 'readings_resent'")" = 1 ] || fail "no readings_resent event"
srv_m2() { dbq "$T" "SELECT count(*) FROM readings WHERE seq = 1 AND meter_id =
                (SELECT id FROM meters WHERE address = '000000000002')"; }
m2_in() { [ "$(srv_m2)" = 1 ] && [ "$(sj 'm["m2"]["set_aside"]')" = 0 ]; }
wait_for 60 m2_in || fail "m2's resent readings never reached the server: $(cat "$T/status.json")"
pass "resend m2 after binding: $n readings requeued, seq 1 stored by the server; an unknown meter refused"

# 4. The server goes away.
stop_server
grows() { [ "$(sj 's["upload"]["readings"]')" -ge 20 ]; }
wait_for 60 grows || fail "the backlog does not grow with the server down"
[ "$(sj 's["last_sync"]')" -ge "$t_sync" ] || fail "last sync went back"
t_end=$(sj 's["last_sync"]')
sleep 3
[ "$(sj 's["last_sync"]')" = "$t_end" ] || fail "last sync moves with no server"
pass "server down: status answers, last sync stays at $t_end, backlog $(sj 's["upload"]["readings"]') readings"
