#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A DL/T 698.45 meter in security mode refuses a plaintext trip (DAR 15,
# unauthorised): the command ends failed with the meter's reason, and the
# agent cuts the supply with the box's GPIO contactor, the meter's
# relay_fallback.  The GPIO chip is replaced at the libgpiod edge only
# (tests/plugins/fake_gpiod.c, preloaded): the gpio plugin runs unchanged.
# A second meter that accepts plaintext control is tripped by itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
. "$(dirname "$0")/dlt698_lib.sh"

cat >"$T/meters.json" <<'JSON'
[{"address": "123456789012", "forward": "12345.67", "voltage": ["220.1"], "relay": "closed",
  "control": "refuse"},
 {"address": "000000000002", "forward": "99.99", "voltage": ["221.2"], "relay": "closed"}]
JSON
start_sim "$T/meters.json"

signed_gateway gw-698 123456789012 000000000002

cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-698"; };
timezone = "Asia/Shanghai";
store = { path = "$T/agent.db"; };
server = { url = "$URL"; token = "$GW"; command_key = "$KEY"; interval = 1; backoff_max = 1; };
buses = ( { name = "rs485"; type = "serial"; device = "$PTY"; baud = 9600; parity = "N";
            timeout_ms = 2000; },
          { name = "local"; type = "none"; } );
meters = (
  { name = "secure"; plugin = "dlt698"; bus = "rs485"; address = "123456789012";
    poll_interval = 0.5; timeout_ms = 10000; relay_fallback = "box-k1";
    options = { electrical = false; clock = false; frozen = false; }; },
  { name = "plain"; plugin = "dlt698"; bus = "rs485"; address = "000000000002";
    poll_interval = 0.5; timeout_ms = 10000;
    options = { electrical = false; clock = false; frozen = false; }; },
  { name = "box-k1"; plugin = "gpio"; bus = "local"; poll_interval = 0; timeout_ms = 500;
    options = { chip = "fakechip"; line = 17; }; }
);
CONF
start_gpio_agent
adb() { sql "$T/agent.db" "$1" 2>/dev/null; }
api POST /api/v1/meters/123456789012/commands '{"op":"trip","reason":"arrears"}'; expect 201
SECURE=$(j '["id"]')
api POST /api/v1/meters/000000000002/commands '{"op":"trip","reason":"arrears"}'; expect 201
PLAIN=$(j '["id"]')

wait_for 30 state_at_server "$PLAIN" done ||
  fail "plain's trip: $(sqlv "SELECT state FROM commands WHERE id = $PLAIN"); $(tail -5 "$T/agent.log")"
grep -q '"dar": 0, "event": "control", "omd": "80008100"' "$T/sim.log" ||
  fail "the plain meter was not tripped by ACTION 80008100: $(grep control "$T/sim.log")"
pass "a meter that accepts plaintext control is tripped with ACTION 80008100 and a time tag"

wait_for 30 state_at_server "$SECURE" failed ||
  fail "secure's trip: $(sqlv "SELECT state FROM commands WHERE id = $SECURE"); $(tail -5 "$T/agent.log")"
adb "SELECT reason FROM events WHERE type = 'command_result'" |
  grep -q "trip (ACTION 80008100): meter 123456789012 answered DAR 15: unauthorised (password error)" ||
  fail "the meter's reason is not recorded: $(adb "SELECT type, reason FROM events")"
pass "the refused trip ends failed with the meter's reason (DAR 15: unauthorised)"

contactor_open() { grep -qx "fakechip 17 0" "$T/gpio.state" 2>/dev/null; }
wait_for 30 contactor_open || fail "the contactor did not open: $(cat "$T/gpio.state" 2>&1); $(tail -5 "$T/agent.log")"
pass "the agent fell back to the box's GPIO contactor and opened it"
