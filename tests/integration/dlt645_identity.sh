#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Meter identity (issue 16): a DL/T 645 meter is known by its own 12-digit
# address however the config spells it.  Meter "typed" is configured as
# "6605518" and meter "found" as "auto" (discovered with 13H on its own bus):
# agent.db, the uploaded readings and the server binding all use
# 000006605518 and 201900012345, and a trip the server sends for each
# address reaches that meter on its simulator.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
SIM_PY="$MB_SRC/tests/integration/dlt645_sim.py"
PY=/usr/bin/python3

# sim NAME ADDRESS: a simulator on a pty of its own; its path in $T/NAME.pty.
sim() {
  cat >"$T/$1.json" <<JSON
[{"address": "$2", "forward": "10.00", "reverse": "0.00", "relay": "closed",
  "voltage": ["230.0"], "current": ["1.000"], "power": "0.2300", "pf": "1.000", "freq": "50.00"}]
JSON
  $PY "$SIM_PY" --meters "$T/$1.json" --path-file "$T/$1.pty" --log "$T/$1.log" \
    >/dev/null 2>"$T/$1.err" &
  PIDS+=("$!")
  wait_for 20 test -s "$T/$1.pty" || fail "simulator $1 did not start: $(cat "$T/$1.err")"
}
sim typed 000006605518
sim found 201900012345

signed_gateway gw-id 000006605518 201900012345

cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-id"; };
timezone = "Asia/Shanghai";
store = { path = "$T/agent.db"; };
server = { url = "$URL"; token = "$GW"; command_key = "$KEY"; interval = 1; backoff_max = 1; };
buses = (
  { name = "a"; type = "serial"; device = "$(cat "$T/typed.pty")"; baud = 9600; parity = "N"; timeout_ms = 1000; },
  { name = "b"; type = "serial"; device = "$(cat "$T/found.pty")"; baud = 9600; parity = "N"; timeout_ms = 1000; }
);
meters = (
  { name = "typed"; plugin = "dlt645"; bus = "a"; address = "6605518"; poll_interval = 0.5;
    timeout_ms = 10000; options = { password = "02000000"; clock = false; }; },
  { name = "found"; plugin = "dlt645"; bus = "b"; address = "auto"; poll_interval = 0.5;
    timeout_ms = 10000; options = { password = "02000000"; clock = false; }; }
);
CONF
start_agent "$T/agent.conf" "$T/agent.log"
adb() { sql "$T/agent.db" "$1" 2>/dev/null; }

stored() { [ "$(adb "SELECT group_concat(name || '=' || address, ' ') FROM (SELECT * FROM meters ORDER BY name)")" = \
             "found=201900012345 typed=000006605518" ]; }
wait_for 30 stored || fail "agent.db meters: $(adb 'SELECT name, address FROM meters'); $(tail -5 "$T/agent.log")"
pass "agent.db knows both meters by their own 12-digit addresses"

at_server() { [ "$(sqlv "SELECT count(DISTINCT m.address) FROM readings r JOIN meters m ON m.id = r.meter_id
                         WHERE m.address IN ('000006605518', '201900012345')")" = 2 ]; }
wait_for 30 at_server || fail "readings not at the server under both addresses: $(tail -5 "$T/agent.log")"
[ "$(sqlv "SELECT count(*) FROM meters WHERE address IN ('6605518', 'auto', 'typed', 'found')")" = 0 ] ||
  fail "the server learnt a typed spelling: $(sqlv 'SELECT address FROM meters')"
pass "the server receives the readings under the meters' own addresses"

for a in 000006605518 201900012345; do
  api POST /api/v1/meters/$a/commands '{"op":"trip","reason":"identity test"}'; expect 201
done
tripped() { grep -q "\"addr\": \"$1\", \"alarm\": false, \"cmd\": \"1A\".*\"ok\": true" "$T/$2.log"; }
wait_for 30 tripped 000006605518 typed || fail "trip never reached 000006605518: $(tail -3 "$T/agent.log")"
wait_for 30 tripped 201900012345 found || fail "trip never reached 201900012345: $(tail -3 "$T/agent.log")"
[ "$(adb "SELECT count(*) FROM events WHERE type = 'command_rejected'")" = 0 ] ||
  fail "a command was refused: $(adb "SELECT reason, data FROM events WHERE type = 'command_rejected'")"
pass "a trip the server sends for each address reaches its meter"

done_at_server() { [ "$(sqlv "SELECT count(*) FROM commands WHERE state = 'done'")" = 2 ]; }
wait_for 30 done_at_server || fail "server: $(sqlv 'SELECT id, state FROM commands')"
pass "both commands end done at the server"
