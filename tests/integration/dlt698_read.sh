#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# meterbox-agent --once reads DL/T 698.45 meters through the dlt698 plugin
# from the meter simulator: a single-phase prepaid meter with its monthly
# freeze and its customer number (4003), read as plaintext + RN (security
# mode), and a three-phase meter whose replies come split in fragments, on
# one pty bus.  Every quantity is compared with the simulator's values, on a
# clean line, on a noisy one (noise, false 68H starts, 0-4 FE, frames
# written in pieces, echo), with parity E on the pty (a warning, not a
# failure), and over TCP; -v shows the frames on the wire.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dlt698_lib.sh"

cat >"$T/meters.json" <<'JSON'
[
 {"address": "123456789012", "forward": "12345.67",
  "rates": ["1000.01", "2000.02", "3000.03", "6345.61"], "reverse": "12.34",
  "voltage": ["220.1"], "current": ["-5.123"], "power": "-1234.5", "pf": "-0.987",
  "freq": "50.01", "date": "2024-03-15", "time": "12:34:56", "remain": "123.45",
  "purchases": 7, "overdraft": "6.78", "relay": "closed", "security": "required",
  "account": "000012345678",
  "frozen": [{"time": "2024-03-01 00:00:00", "forward": "12000.50",
              "rates": ["1000.00", "2000.00", "3000.00", "6000.50"]}]},
 {"address": "000000000002", "forward": "99.99", "rates": ["10.00", "20.00", "30.00", "39.99"],
  "reverse": "0.00", "voltage": ["220.1", "221.2", "219.9"],
  "current": ["1.000", "-2.500", "0.001"], "power": "500.0", "pf": "1.000", "freq": "49.99",
  "relay": "armed", "max_apdu": 48}
]
JSON

# What the agent must print: 0.01 kWh = 10 Wh, 0.1 V = 100 mV, 0.1 W = 100
# mW, 0.01 yuan = 1 fen; 2024-03-15 12:34:56 at UTC+8 = 1710477296, the
# monthly freeze 2024-03-01 00:00 at UTC+8 = 1709222400.  The meter's clock
# is far from the host's: quality MB_Q_CLOCK_BAD (2).  The three-phase meter
# has no clock and no freeze: those fields are left out.
cat >"$T/expect.json" <<'JSON'
{
 "m1": {"import_wh": 12345670, "export_wh": 12340,
        "rate_wh": [1000010, 2000020, 3000030, 6345610], "power_mw": -1234500,
        "voltage_mv": [220100], "current_ma": [-5123], "pf_milli": -987, "freq_mhz": 50010,
        "relay": "closed", "address": "123456789012", "meter_time": 1710477296,
        "frozen_import_wh": 12000500, "frozen_time": 1709222400, "remain_fen": 12345,
        "overdraft_fen": 678, "quality": 2, "meter_account": "000012345678"},
 "m3p": {"import_wh": 99990, "export_wh": 0, "rate_wh": [10000, 20000, 30000, 39990],
         "power_mw": 500000, "voltage_mv": [220100, 221200, 219900],
         "current_ma": [1000, -2500, 1], "pf_milli": 1000, "freq_mhz": 49990,
         "relay": "armed", "address": "000000000002"}
}
JSON

write_conf() { # PARITY [BUS-KEYS]
  local line="type = \"serial\"; device = \"$PTY\"; baud = 9600; parity = \"$1\";"
  [ $# -lt 2 ] || line=$2
  cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-dlt698"; };
buses = ( { name = "rs485"; $line timeout_ms = 2000; } );
meters = (
  { name = "m1"; plugin = "dlt698"; bus = "rs485"; address = "123456789012"; account = "1";
    timeout_ms = 15000;
    options = { prepaid = true; security = "rn"; utc_offset_min = 480; }; },
  { name = "m3p"; plugin = "dlt698"; bus = "rs485"; address = "2"; timeout_ms = 15000;
    options = { phases = 3; }; }
);
CONF
}

once() { # label [agent options]
  local label=$1; shift
  "$MB_AGENT" --once "$@" -c "$T/agent.conf" >"$T/out" 2>"$T/err" ||
    fail "$label: --once failed: $(cat "$T/err")"
  check_json "$T/expect.json" <"$T/out" >"$T/diff" ||
    fail "$label: readings differ from the simulator: $(cat "$T/diff"); stderr: $(cat "$T/err")"
}

start_sim "$T/meters.json"
write_conf N
"$MB_AGENT" -t -c "$T/agent.conf" >"$T/err" 2>&1 || fail "config rejected: $(cat "$T/err")"
once "clean line"
pass "every quantity of two meters (single-phase prepaid with its monthly freeze, three-phase)"
grep -q '"event": "secure"' "$T/sim.log" || fail "m1 was not read as plaintext + RN"
grep -q '"event": "split"' "$T/sim.log" || fail "no split reply: $(tail -5 "$T/sim.log")"
grep -q '"event": "confirm"' "$T/sim.log" || fail "split fragments were not confirmed"
grep -q '"event": "record", "nth": 1, "oad": "50060200"' "$T/sim.log" ||
  fail "the monthly freeze was not read as a record: $(grep record "$T/sim.log")"
pass "read as plaintext + RN, split replies reassembled, the freeze read with GET-Request-Record"

once "verbose" -v
grep -q 'tx [0-9]* bytes: FE FE FE FE 68 [0-9A-F][0-9A-F] 00 43 05 12 90 78 56 34 12 00' "$T/err" ||
  fail "-v does not show the request frames: $(head -c 2000 "$T/err")"
grep -q 'rx [0-9]* bytes: 68 [0-9A-F][0-9A-F] 00 C3 05 12 90 78 56 34 12 00' "$T/err" ||
  fail "-v does not show the reply frames: $(head -c 2000 "$T/err")"
grep -q 'rx [0-9]* bytes: 68 [0-9A-F][0-9A-F] 00 E3 05 02 00 00 00 00 00 00' "$T/err" ||
  fail "-v does not show a split reply: $(head -c 2000 "$T/err")"
grep -q 'MAC [0-9A-F]* (not checked: needs the ESAM)' "$T/err" ||
  fail "-v does not say the MAC is not checked: $(head -c 2000 "$T/err")"
grep -q 'left out of readings: 40000200 (date-time): the meter answers DAR 6' "$T/err" ||
  fail "the missing clock of m3p is not explained: $(cat "$T/err")"
pass "-v shows the frames on the wire, the unchecked MAC and what is left out"
stop_sim

# Every start gets a new pty: the config follows it.
start_sim "$T/meters.json" --noise --split --preamble cycle --echo
write_conf N
for i in 1 2; do once "noisy line, run $i"; done
pass "a noisy line (noise, false starts, 0-4 FE, frames in pieces, echo) reads the same"
stop_sim

start_sim "$T/meters.json"
write_conf E
for i in 1 2; do
  once "parity E on a pty, run $i"
  grep -q 'parity E not supported' "$T/err" ||
    fail "parity E on a pty, run $i: no warning: $(cat "$T/err")"
done
pass "parity E on a pty is a warning; all meters read"
stop_sim

start_sim "$T/meters.json" --tcp 0
write_conf N "type = \"tcp\"; host = \"127.0.0.1\"; port = $(sim_port);"
once "over TCP"
grep -q '"event": "connect"' "$T/sim.log" || fail "no TCP connection: $(cat "$T/sim.log")"
pass "the same meters over TCP"
stop_sim
