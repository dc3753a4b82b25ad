#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The modbus plugin over Modbus TCP against a pymodbus meter simulator: every
# built-in profile, a profile with its word order overridden and a custom map
# in each word order (ABCD, CDAB, BADC, DCBA) share one TCP connection, one
# unit id each.  meterbox-agent --once must print, for every meter, the values
# the simulator holds (to the meter's resolution, exactly as the registers
# decode), in as few requests as the register layout allows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/modbus_lib.sh"
need_pymodbus

all_meter_specs
start_sim_tcp "${SPECS[@]}"
{
  echo 'gateway = { id = "gw-modbus-tcp"; };'
  echo "buses = ( { name = \"mbtcp\"; type = \"tcp\"; host = \"127.0.0.1\"; port = $SIM_PORT; timeout_ms = 1000; } );"
  meters_conf mbtcp "${SPECS[@]}"
} >"$T/agent.conf"

"$MB_AGENT" -t -c "$T/agent.conf" >/dev/null 2>"$T/err" || fail "config rejected: $(cat "$T/err")"
run_once "$T/agent.conf"
[ $RC -eq 0 ] || fail "--once exit $RC: $(cat "$T/err")"
n=$(grep -c '"plugin":"modbus"' "$T/out" || true)
[ "$n" -eq ${#SPECS[@]} ] || fail "want ${#SPECS[@]} readings, got $n: $(cat "$T/out")"
"$PY" "$SIM" check --expect "$T/expect.json" --requests "$T/requests" <"$T/out" ||
  fail "values differ from the simulator's (agent output: $(cat "$T/out"))"
pass "every profile and word order over TCP reads what the simulator holds"

# With -v the frames on the wire are logged through the host, never stdout.
run_once_verbose() {
  set +e
  timeout $GUARD "$MB_AGENT" --once -v -c "$1" >"$T/out" 2>"$T/err"
  RC=$?
  set -e
}
run_once_verbose "$T/agent.conf"
[ $RC -eq 0 ] || fail "--once -v exit $RC"
# sdm120's voltage, current, power and pf (registers 0..31, gaps included)
# in one request; the other one carries frequency and energy.
grep -q 'meter sdm120: tx 12 bytes: 00 00 00 00 00 06 03 04 00 00 00 20' "$T/err" ||
  fail "no tx frame logged: $(head -20 "$T/err")"
grep -q 'meter sdm120: rx 73 bytes: 00 00 00 00 00 43 03 04 40 ' "$T/err" || fail "no rx frame logged"
if grep -v '^{' "$T/out" | grep -q .; then fail "something other than readings on stdout"; fi
pass "frames are logged at debug level through the host"
