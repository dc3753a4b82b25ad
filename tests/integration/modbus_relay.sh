#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Relay control of Modbus meters against a pymodbus simulator, through the
# plugin's descriptor (tests/unit/test_modbus_ctl.c drives it):
#  - a coil: trip writes it OFF and reads it back, close writes it ON; the
#    simulator's coil follows; relay_coil_on = "open" inverts it
#  - a holding register with relay_on_value / relay_off_value
#  - no relay configured, or an operation Modbus has no standard for:
#    MB_ENOTSUP with a message
#  - the TCP peer restarts between two reads: the second read reconnects;
#    while it is down, reads fail at once and connection attempts back off
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/modbus_lib.sh"
need_pymodbus
[ -x "$CTL" ] || fail "MB_MODBUS_CTL is not set to test_modbus_ctl"

start_sim_tcp "name=coil,unit=1,profile=sdm120,coil=16" \
  "name=inverted,unit=2,profile=sdm120,coil=0x20" \
  "name=register,unit=3,profile=abb_b21,relay_register=0x0300"
ctl() { timeout $GUARD "$CTL" --tcp "127.0.0.1:$SIM_PORT" "$@" >"$T/ctl.out" 2>"$T/ctl.err" || true; }
# state UNIT WHAT: the simulator's value of "coil 16" / "register 768" of UNIT
state() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]])' \
  "$T/state.json" "$1" "$2"; }
expect_out() {
  local want=$1
  [ "$(cat "$T/ctl.out")" = "$want" ] || fail "ctl printed:
$(cat "$T/ctl.out")
want:
$want
stderr: $(cat "$T/ctl.err")"
}

ctl --address 1 --opt profile=sdm120 --opt relay_coil=16 query trip query read
expect_out "query closed
trip open
query open
$(grep '^read ok' "$T/ctl.out")"
grep -q '^read ok import_wh=[0-9]* export_wh=[0-9]* power_mw=[0-9]* voltage_mv=[0-9]* relay=open$' \
  "$T/ctl.out" || fail "reading without relay=open: $(cat "$T/ctl.out")"
[ "$(state 1 'coil 16')" = 0 ] || fail "the simulator's coil 16 is not OFF after trip"
ctl --address 1 --opt profile=sdm120 --opt relay_coil=16 close
expect_out "close closed"
[ "$(state 1 'coil 16')" = 1 ] || fail "the simulator's coil 16 is not ON after close"
pass "relay coil trips and closes, read back with FC 01"

ctl --address 2 --opt profile=sdm120 --opt relay_coil=0x20 --opt relay_coil_on=open query trip
expect_out "query open
trip open"
[ "$(state 2 'coil 32')" = 1 ] || fail "inverted coil: trip should write ON"
ctl --address 2 --opt profile=sdm120 --opt relay_coil=0x20 --opt relay_coil_on=open close
expect_out "close closed"
[ "$(state 2 'coil 32')" = 0 ] || fail "inverted coil: close should write OFF"
pass "relay_coil_on = open inverts the coil"

ctl --address 3 --opt profile=abb_b21 --opt relay_register=0x0300 --opt relay_on_value=1 \
  --opt relay_off_value=0 trip query close
expect_out "trip open
query open
close closed"
[ "$(state 3 'register 768')" = 1 ] || fail "relay register not 1 after close"
pass "relay through a holding register (FC 06, read back with FC 03)"

ctl --address 1 --opt profile=sdm120 trip
grep -q '^trip error not supported: unit 1: trip: this meter has no relay configured' "$T/ctl.out" ||
  fail "no relay: $(cat "$T/ctl.out")"
ctl --address 1 --opt profile=sdm120 --opt relay_coil=16 arm
grep -q '^arm error not supported: unit 1: arm is not supported by Modbus meters' "$T/ctl.out" ||
  fail "arm: $(cat "$T/ctl.out")"
pass "no relay or no such operation: not supported, with a message"

# Peer restart between two reads: the idle connection is dead, the read
# retries on a new one.  Then the peer is down for a read, and back.
n_ok() { [ "$(grep -c '^read ok' "$T/ctl.out")" -ge "$1" ]; }
timeout $GUARD "$CTL" --tcp "127.0.0.1:$SIM_PORT" --address 1 --bus-opt reconnect_min_ms=10 \
  --opt profile=sdm120 read "wait:$T/restarted" read "wait:$T/stopped" read \
  "wait:$T/back" read >"$T/ctl.out" 2>"$T/ctl.err" &
CTL_PID=$!
PIDS+=("$CTL_PID")
wait_for 30 n_ok 1 || fail "first read: $(cat "$T/ctl.out" "$T/ctl.err")"
stop_sim
start_sim_tcp "name=coil,unit=1,profile=sdm120,coil=16"
touch "$T/restarted"
wait_for 30 n_ok 2 || fail "read after a restart: $(cat "$T/ctl.out" "$T/ctl.err")"
stop_sim
touch "$T/stopped"
wait_for 30 grep -q '^read error' "$T/ctl.out" || fail "read while down: $(cat "$T/ctl.out")"
start_sim_tcp "name=coil,unit=1,profile=sdm120,coil=16"
touch "$T/back"
wait "$CTL_PID" || true # exit 1: one read failed, as it should
[ "$(grep -c '^read ok' "$T/ctl.out")" = 3 ] || fail "reads around restarts: $(cat "$T/ctl.out" "$T/ctl.err")"
grep -q "^read error I/O error: unit 1: cannot connect to tcp 127.0.0.1:$SIM_PORT" "$T/ctl.out" ||
  fail "the read while down does not name unit and peer: $(cat "$T/ctl.out")"
grep -q "connection lost.*; reconnecting" "$T/ctl.err" || fail "no reconnect logged: $(cat "$T/ctl.err")"
pass "reconnects after the TCP peer restarts"

# Down for good: the first read tries, the next ones fail at once until the
# backoff has passed.
stop_sim
ctl --address 1 --bus-opt reconnect_min_ms=60000 --opt profile=sdm120 read read read
[ "$(grep -c 'cannot connect to' "$T/ctl.out")" = 1 ] || fail "$(cat "$T/ctl.out")"
[ "$(grep -c 'is down (Connection refused); next connection attempt in' "$T/ctl.out")" = 2 ] ||
  fail "no backoff: $(cat "$T/ctl.out")"
pass "a dead peer is retried with backoff, reads fail at once meanwhile"
