#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The only DL/T 645 meter on a bus needs no address: the dlt645 plugin asks
# AAAAAAAAAAAA with 13H and reads the meter it finds.  With time_sync = true
# it broadcasts the time (08H to 999999999999).  A meter that is not on the
# bus makes --once fail and names it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dlt645_lib.sh"

cat >"$T/meters.json" <<'JSON'
[
 {"address": "201900012345", "forward": "7.50", "reverse": "0.00", "voltage": ["229.9"],
  "current": ["0.250"], "power": "0.0575", "pf": "0.999", "freq": "50.00",
  "settle_day": "1512", "frozen_forward": "7.00", "date": "2024-03-15", "time": "12:34:56",
  "relay": "open", "missing": ["0001FF00"]}
]
JSON
# No rates (the block is refused and there are no rate registers): the import
# register alone.  Settlement day 15th 12:00: 2024-03-15 12:00 +08:00 =
# 1710475200.
cat >"$T/expect.json" <<'JSON'
{
 "solo": {"import_wh": 7500, "export_wh": 0, "power_mw": 57500, "voltage_mv": [229900],
          "current_ma": [250], "pf_milli": 999, "freq_mhz": 50000, "relay": "open",
          "address": "201900012345", "meter_time": 1710477296, "frozen_import_wh": 7000,
          "frozen_time": 1710475200, "quality": 2}
}
JSON

start_sim "$T/meters.json"
cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-dlt645"; };
buses = ( { name = "rs485"; type = "serial"; device = "$PTY"; baud = 2400; parity = "N";
            timeout_ms = 1000; } );
meters = (
  { name = "solo"; plugin = "dlt645"; bus = "rs485"; timeout_ms = 15000;
    options = { utc_offset_min = 480; time_sync = true; }; }
);
CONF
"$MB_AGENT" --once -c "$T/agent.conf" >"$T/out" 2>"$T/err" || fail "--once failed: $(cat "$T/err")"
check_json "$T/expect.json" <"$T/out" >"$T/diff" || fail "$(cat "$T/diff"); $(cat "$T/err")"
grep -q '"ctrl": "13"' "$T/sim.log" || fail "no 13H address request: $(cat "$T/sim.log")"
pass "address discovered with 13H; reading complete"

timesync() { grep -q '"event": "timesync"' "$T/sim.log"; }
wait_for 10 timesync || fail "no broadcast time sync: $(cat "$T/sim.log")"
grep -q '"addr": "999999999999", "ctrl": "08"' "$T/sim.log" || fail "time sync not broadcast"
pass "time sync broadcast to 999999999999"

sed -i 's/timeout_ms = 15000;/timeout_ms = 15000; address = "000000000099";/' "$T/agent.conf"
set +e
"$MB_AGENT" --once -c "$T/agent.conf" >"$T/out" 2>"$T/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "want exit 1 for an absent meter, got $rc: $(cat "$T/err")"
grep -q 'meter solo.*no reply from 000000000099' "$T/err" || fail "failure not named: $(cat "$T/err")"
pass "an absent meter fails the poll and is named"
stop_sim
