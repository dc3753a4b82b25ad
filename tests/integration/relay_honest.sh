#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Honest command results (issue 16).  Two DL/T 645-1997 meters, which have no
# remote control: "bare" has nothing else to cut it, "old" has the box's GPIO
# contactor as its relay_fallback.  The server trips both:
#  - bare's command ends failed, with the reason, in agent.db, in the
#    server's commands table and as a relay_fault event the wall lists (it
#    used to be reported done while the supply stayed on);
#  - old's trip is carried out by the GPIO contactor and ends done.
# The GPIO chip is replaced at the libgpiod edge only (tests/plugins/
# fake_gpiod.c, preloaded): the gpio plugin runs unchanged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
SIM_PY="$MB_SRC/tests/integration/dlt645_sim.py"
PY=/usr/bin/python3

cat >"$T/meters.json" <<'JSON'
[{"address": "000000000097", "protocol": "1997", "forward": "321.09", "voltage": ["230"]},
 {"address": "000000000098", "protocol": "1997", "forward": "12.00", "voltage": ["231"]}]
JSON
$PY "$SIM_PY" --meters "$T/meters.json" --path-file "$T/pty" --log "$T/sim.log" >/dev/null 2>"$T/sim.err" &
PIDS+=("$!")
wait_for 20 test -s "$T/pty" || fail "simulator did not start: $(cat "$T/sim.err")"

signed_gateway gw-relay 000000000097 000000000098

cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-relay"; };
timezone = "Asia/Shanghai";
store = { path = "$T/agent.db"; };
server = { url = "$URL"; token = "$GW"; command_key = "$KEY"; interval = 1; backoff_max = 1; };
buses = ( { name = "rs485"; type = "serial"; device = "$(cat "$T/pty")"; baud = 2400; parity = "N"; },
          { name = "local"; type = "none"; } );
meters = (
  { name = "old"; plugin = "dlt645"; bus = "rs485"; address = "97"; poll_interval = 0.5;
    timeout_ms = 10000; relay_fallback = "box-k1";
    options = { protocol = "1997"; clock = false; rates = false; reverse = false; }; },
  { name = "bare"; plugin = "dlt645"; bus = "rs485"; address = "98"; poll_interval = 0.5;
    timeout_ms = 10000; options = { protocol = "1997"; clock = false; rates = false; reverse = false; }; },
  { name = "box-k1"; plugin = "gpio"; bus = "local"; poll_interval = 0; timeout_ms = 500;
    options = { chip = "fakechip"; line = 17; }; }
);
CONF
start_gpio_agent
adb() { sql "$T/agent.db" "$1" 2>/dev/null; }
# In the order the server lists the meters: the agent refuses a command id
# older than one it already took (docs/security.md).
api POST /api/v1/meters/000000000097/commands '{"op":"trip","reason":"arrears"}'; expect 201
OLD=$(j '["id"]')
api POST /api/v1/meters/000000000098/commands '{"op":"trip","reason":"arrears"}'; expect 201
BARE=$(j '["id"]')

wait_for 30 state_at_server "$BARE" failed ||
  fail "bare's trip at the server: $(sqlv "SELECT state FROM commands WHERE id = $BARE"); $(tail -5 "$T/agent.log")"
[ "$(adb "SELECT state FROM commands WHERE id = $BARE")" = failed ] || fail "agent.db: not failed"
adb "SELECT reason FROM events WHERE type = 'command_result'" | grep -q "meter bare cannot trip" ||
  fail "no reason: $(adb "SELECT type, reason FROM events WHERE meter_id = (SELECT id FROM meters WHERE name = 'bare')")"
pass "a trip a 1997 meter cannot do ends failed, with the reason, on the agent and the server"

wall() {
  api GET "/api/v1/events?limit=30&type=trip,close,tamper,meter_fault,relay_fault,alarm1,alarm2"
  j '["events"]' | grep -q "command $BARE (trip) failed: meter bare cannot trip"
}
wait_for 30 wall || fail "the wall's event feed lacks the failed command: $(cat "$T/resp")"
pass "the wall's event feed shows the failed command as a relay_fault"

wait_for 30 state_at_server "$OLD" done ||
  fail "old's trip: $(sqlv "SELECT state FROM commands WHERE id = $OLD"); $(tail -5 "$T/agent.log")"
grep -qx "fakechip 17 0" "$T/gpio.state" || fail "the contactor did not open: $(cat "$T/gpio.state" 2>&1)"
if grep -q '"ctrl": "1C"' "$T/sim.log"; then fail "a 1997 meter was sent 1CH"; fi
pass "a 1997 meter with relay_fallback is cut by the box's GPIO contactor"
