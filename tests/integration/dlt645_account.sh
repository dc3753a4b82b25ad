#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The customer number (户号) from the meter (issue 16): two DL/T 645-2007
# cost-control meters hold their customer numbers in 0400040E.  "right" is
# bound at the server to the account that number names; "swapped" holds
# another household's number.  The agent reads both numbers into the
# readings and reports them (meter_account events); the server raises
# binding_mismatch for "swapped" only, which the events API (and the wall
# and webhooks) see, instead of billing the wrong household in silence.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
SIM_PY="$MB_SRC/tests/integration/dlt645_sim.py"
PY=/usr/bin/python3

cat >"$T/meters.json" <<'JSON'
[{"address": "000000000011", "forward": "10.00", "account": "000012345678"},
 {"address": "000000000012", "forward": "20.00", "account": "000099999999"}]
JSON
$PY "$SIM_PY" --meters "$T/meters.json" --path-file "$T/pty" --log "$T/sim.log" >/dev/null 2>"$T/sim.err" &
PIDS+=("$!")
wait_for 20 test -s "$T/pty" || fail "simulator did not start: $(cat "$T/sim.err")"

signed_gateway gw-acct
for n in 12345678 1100000002; do
  api POST /api/v1/accounts "{\"number\":\"$n\",\"holder\":\"H$n\",\"region\":\"1\",\"mode\":\"prepaid\"}"; expect 201
done
api PUT /api/v1/meters/000000000011 '{"gateway":"gw-acct","account":"12345678"}'; expect 200
api PUT /api/v1/meters/000000000012 '{"gateway":"gw-acct","account":"1100000002"}'; expect 200

cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-acct"; };
timezone = "Asia/Shanghai";
store = { path = "$T/agent.db"; };
server = { url = "$URL"; token = "$GW"; command_key = "$KEY"; interval = 1; backoff_max = 1; };
buses = ( { name = "rs485"; type = "serial"; device = "$(cat "$T/pty")"; baud = 9600; parity = "N"; } );
meters = (
  { name = "right"; plugin = "dlt645"; bus = "rs485"; address = "11"; poll_interval = 0.5;
    timeout_ms = 10000; options = { account = true; electrical = false; clock = false; }; },
  { name = "swapped"; plugin = "dlt645"; bus = "rs485"; address = "12"; poll_interval = 0.5;
    timeout_ms = 10000; options = { account = true; electrical = false; clock = false; }; }
);
CONF
"$MB_AGENT" --once -c "$T/agent.conf" >"$T/out" 2>"$T/err" || fail "--once: $(cat "$T/err")"
grep -q '"meter":"right".*"meter_account":"000012345678"' "$T/out" || fail "no account in the reading: $(cat "$T/out")"
grep -q '"meter":"swapped".*"meter_account":"000099999999"' "$T/out" || fail "no account: $(cat "$T/out")"
pass "the customer number 0400040E is read into each reading"

start_agent "$T/agent.conf" "$T/agent.log"
mismatch() {
  api GET "/api/v1/events?limit=50&type=binding_mismatch"
  [ "$($PY -c 'import json,sys; print(",".join(e["meter"] for e in json.load(open(sys.argv[1]))["events"]))' "$T/resp")" = 000000000012 ]
}
wait_for 30 mismatch || fail "no binding_mismatch for 000000000012: $(cat "$T/resp"); $(tail -3 "$T/agent.log")"
j '["events"][0]["reason"]' | grep -q "holds customer number 000099999999 but is bound to account 1100000002" ||
  fail "reason: $(cat "$T/resp")"
[ "$(sqlv "SELECT count(*) FROM events WHERE type = 'meter_account'")" = 2 ] ||
  fail "meter_account events at the server: $(sqlv "SELECT type, body FROM events")"
pass "the server raises binding_mismatch for the meter bound to another household, not for the right one"
