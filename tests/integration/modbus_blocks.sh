#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Modbus block reads and per-field readings (issue 16), counted at a pymodbus
# simulator over TCP.
#  - Every built-in profile reads a whole reading in at most two requests with
#    the default settings (the DDSU666 made four), never over 125 registers.
#  - A meter that refuses a read across registers it does not have is read
#    again without gaps, and keeps being read.
#  - "Not available" markers (NaN, ABB's 0xFFFF / 0x7FFFFFFF) are left out
#    with their reason, not stored as 655.35 Hz or 21 MW, and do not drop the
#    reading.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/modbus_lib.sh"
need_pymodbus

# conf SPEC...: an agent config for these meters on the simulator's port.
conf() {
  echo 'gateway = { id = "gw-modbus-blocks"; };'
  echo "buses = ( { name = \"mbtcp\"; type = \"tcp\"; host = \"127.0.0.1\"; port = $SIM_PORT; timeout_ms = 1000; } );"
  meters_conf mbtcp "$@"
}

SPECS=()
u=1
for p in ddsu666 dtsu666 sdm120 sdm630 abb_b21 abb_b23; do
  SPECS+=("name=$p,unit=$u,profile=$p")
  u=$((u + 1))
done
start_sim_tcp "${SPECS[@]}"
conf "${SPECS[@]}" >"$T/agent.conf"
run_once "$T/agent.conf"
[ $RC -eq 0 ] || fail "--once exit $RC: $(cat "$T/err")"
"$PY" "$SIM" check --expect "$T/expect.json" <"$T/out" || fail "values differ: $(cat "$T/out")"
for i in 1 2 3 4 5 6; do
  n=$(awk -v u=$i '$1 == u' "$T/requests" | wc -l)
  [ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "profile ${SPECS[$((i - 1))]}: $n requests for one reading"
  echo "  ${SPECS[$((i - 1))]}: $n requests"
done
pass "every built-in profile reads a whole reading in at most two requests"
stop_sim

# A meter without the registers between the mapped ones.
start_sim_tcp "name=holes,unit=1,profile=ddsu666,gaps=refuse,max_gap=0"
conf "name=holes,unit=1,profile=ddsu666" >"$T/agent.conf"
run_once "$T/agent.conf"
[ $RC -eq 0 ] || fail "a meter with holes is not read: $(cat "$T/err")"
"$PY" "$SIM" check --expect "$T/expect.json" <"$T/out" || fail "values differ: $(cat "$T/out")"
grep -q "reading only the registers in use from now on" "$T/err" || fail "no notice: $(cat "$T/err")"
pass "a meter that refuses a read across a gap is read register by register"
stop_sim

# Not-available markers: ABB integers and an Eastron float.
start_sim_tcp "name=abb,unit=5,profile=abb_b21,na=freq+power" \
              "name=sdm,unit=3,profile=sdm120,na=freq"
conf "name=abb,unit=5,profile=abb_b21" "name=sdm,unit=3,profile=sdm120" >"$T/agent.conf"
run_once "$T/agent.conf"
[ $RC -eq 0 ] || fail "markers dropped the reading: $(cat "$T/err")"
"$PY" "$SIM" check --expect "$T/expect.json" <"$T/out" || fail "markers: $(cat "$T/out")"
grep -q '"meter":"abb".*"missing":"power: FC03 register 0x5B14 (s32 ABCD) holds 2147483647: not available' "$T/out" ||
  fail "no reason for the left-out power: $(cat "$T/out")"
pass "not-available markers are left out with their reason and the readings kept"
