#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The only DL/T 698.45 meter on a bus needs no address: the dlt698 plugin
# asks the wildcard address AAAAAAAAAAAA for 40010200 and reads the meter
# that answers, whose 12-digit address is its identity.  A pattern works the
# same way.  A meter that is not on the bus makes --once fail and names it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dlt698_lib.sh"

cat >"$T/meters.json" <<'JSON'
[
 {"address": "000039200933", "forward": "7.50", "rates": ["0.00", "2.50", "5.00", "0.00"],
  "reverse": "0.00", "voltage": ["229.9"], "current": ["0.250"], "power": "57.5", "pf": "0.999",
  "freq": "50.00", "date": "2024-03-15", "time": "12:34:56", "relay": "open",
  "frozen": [{"time": "2024-03-01 00:00:00", "forward": "7.00"}]}
]
JSON
cat >"$T/expect.json" <<'JSON'
{
 "solo": {"import_wh": 7500, "export_wh": 0, "rate_wh": [0, 2500, 5000, 0], "power_mw": 57500,
          "voltage_mv": [229900], "current_ma": [250], "pf_milli": 999, "freq_mhz": 50000,
          "relay": "open", "address": "000039200933", "meter_time": 1710477296,
          "frozen_import_wh": 7000, "frozen_time": 1709222400, "quality": 2}
}
JSON

conf() { # ADDRESS-LINE
  cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-dlt698"; };
buses = ( { name = "rs485"; type = "serial"; device = "$PTY"; baud = 9600; parity = "N";
            timeout_ms = 1000; } );
meters = (
  { name = "solo"; plugin = "dlt698"; bus = "rs485"; timeout_ms = 15000; $1
    options = { utc_offset_min = 480; }; }
);
CONF
}

start_sim "$T/meters.json"
for addr in "" 'address = "auto";' 'address = "AAAAAA200933";'; do
  conf "$addr"
  "$MB_AGENT" --once -c "$T/agent.conf" >"$T/out" 2>"$T/err" || fail "--once ($addr) failed: $(cat "$T/err")"
  check_json "$T/expect.json" <"$T/out" >"$T/diff" || fail "$addr: $(cat "$T/diff"); $(cat "$T/err")"
done
grep -q '"addr": "AAAAAAAAAAAA", "apdu": "0501004001020000", "event": "request", "sa_type": 1' "$T/sim.log" ||
  fail "no wildcard request for 40010200: $(cat "$T/sim.log")"
grep -q '"addr": "AAAAAA200933"' "$T/sim.log" || fail "the pattern was not asked"
pass "address discovered with the wildcard address and with a pattern; reading complete"

conf 'address = "000000000099";'
set +e
"$MB_AGENT" --once -c "$T/agent.conf" >"$T/out" 2>"$T/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "want exit 1 for an absent meter, got $rc: $(cat "$T/err")"
grep -q 'meter solo.*no reply from 000000000099' "$T/err" || fail "failure not named: $(cat "$T/err")"
pass "an absent meter fails the poll and is named"
stop_sim
