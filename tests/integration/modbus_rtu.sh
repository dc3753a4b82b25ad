#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The modbus plugin over Modbus RTU through a socat pty pair against a
# pymodbus meter simulator: the same meters as modbus_tcp.sh on one serial
# bus.  Linux ptys carry no parity, so the bus runs 8N1; it asks for RS-485
# mode, which a pty refuses (ENOTTY): a warning, not an error.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/modbus_lib.sh"
need_pymodbus
need_socat

all_meter_specs
start_pty
start_sim_rtu "${SPECS[@]}"
{
  echo 'gateway = { id = "gw-modbus-rtu"; };'
  echo "buses = ( { name = \"rs485\"; type = \"serial\"; device = \"$T/ttyA\"; baud = 19200;"
  echo "            parity = \"N\"; data_bits = 8; stop_bits = 1; timeout_ms = 1000; pause_ms = 5;"
  echo "            options = { rs485 = true; }; } );"
  meters_conf rs485 "${SPECS[@]}"
} >"$T/agent.conf"

"$MB_AGENT" -t -c "$T/agent.conf" >/dev/null 2>"$T/err" || fail "config rejected: $(cat "$T/err")"
run_once "$T/agent.conf"
[ $RC -eq 0 ] || fail "--once exit $RC: $(cat "$T/err")"
n=$(grep -c '"plugin":"modbus"' "$T/out" || true)
[ "$n" -eq ${#SPECS[@]} ] || fail "want ${#SPECS[@]} readings, got $n: $(cat "$T/out")"
"$PY" "$SIM" check --expect "$T/expect.json" --requests "$T/requests" <"$T/out" ||
  fail "values differ from the simulator's (agent output: $(cat "$T/out"))"
pass "every profile and word order over RTU reads what the simulator holds"

expect_err_line "no RS-485 mode" "warning" "$T/ttyA"
n=$(grep -c "no RS-485 mode" "$T/err")
[ "$n" -eq 1 ] || fail "the RS-485 warning should come once per bus, came $n times"
pass "RS-485 mode on a pty is one warning"
