# SPDX-License-Identifier: Apache-2.0
# Helpers for the modbus plugin's integration tests (sourced after lib.sh).
# The peer is tests/integration/modbus_sim.py on Debian's python3-pymodbus,
# which only /usr/bin/python3 can import (the first python3 on PATH may be
# another interpreter).  A test whose peers are missing exits 77 (skipped).

PY=/usr/bin/python3
SIM="$MB_SRC/tests/integration/modbus_sim.py"
# shellcheck disable=SC2034 # used by modbus_relay.sh
CTL=${MB_MODBUS_CTL:-}
# Guard against a hung process: a test fails instead of blocking ctest.  It
# is a safety net, not an assertion about time.
GUARD=120

need_pymodbus() {
  "$PY" -c 'import pymodbus.server.async_io, pymodbus.datastore' 2>/dev/null ||
    { echo "SKIP: /usr/bin/python3 cannot import pymodbus (Debian: python3-pymodbus)"; exit 77; }
}

need_socat() {
  command -v socat >/dev/null || { echo "SKIP: socat is not installed"; exit 77; }
}

# A custom map that puts every register type into one order.
custom_map() {
  local o=$1
  echo "import_wh:0:u64:3:$o:Wh; export_wh:4:f64:3:$o:kWh; power:8:s32:3:$o:W:0.1;" \
       "voltage:10:u32:4:$o:V:0.01; current:12:s16:4:$o:mA; pf:13:s16:4:$o:1:0.001;" \
       "freq:14:u16:4:$o:Hz:0.01; rate1_wh:16:f32:3:$o:kWh; rate2_wh:18:s64:3:$o:Wh;" \
       "rate3_wh:22:u32:3:$o:kWh:1/100; rate4_wh:24:u16:3:$o:kWh"
}

# Every built-in profile, a word-order override of a profile and the custom
# map in each of the four orders, one unit id each; some values negative.
all_meter_specs() {
  SPECS=(
    "name=ddsu666,unit=1,profile=ddsu666"
    "name=dtsu666,unit=2,profile=dtsu666,power=-2345600"
    "name=sdm120,unit=3,profile=sdm120"
    "name=sdm630,unit=4,profile=sdm630,pf=-870"
    "name=abb_b21,unit=5,profile=abb_b21,power=-1500000,pf=-950"
    "name=abb_b23,unit=6,profile=abb_b23"
    "name=sdm120-cdab,unit=7,profile=sdm120,word_order=CDAB,power=-750000"
  )
  local u=10
  for o in ABCD CDAB BADC DCBA; do
    SPECS+=("name=custom-$o,unit=$u,map=$(custom_map $o),power=-$((1234500 + u * 100))")
    u=$((u + 1))
  done
}

# spec_get SPEC KEY: the value of KEY in a comma-separated spec, or "".
spec_get() {
  local IFS=,
  for kv in $1; do
    [ "${kv%%=*}" = "$2" ] && { echo "${kv#*=}"; return; }
  done
  echo ""
}

# meters_conf BUS SPEC...: the meters list of an agent config, one meter per
# spec, address = unit id, options from profile/map/word_order.
meters_conf() {
  local bus=$1; shift
  local first=1
  echo "meters = ("
  for spec in "$@"; do
    local name unit opts="" v
    name=$(spec_get "$spec" name)
    unit=$(spec_get "$spec" unit)
    for k in profile map word_order; do
      v=$(spec_get "$spec" "$k")
      [ -n "$v" ] && opts+=" $k = \"$v\";"
    done
    v=$(spec_get "$spec" max_gap)
    [ -n "$v" ] && opts+=" max_gap = $v;"
    [ $first = 1 ] || echo "  ,"
    first=0
    echo "  { name = \"$name\"; plugin = \"modbus\"; bus = \"$bus\"; address = \"$unit\";"
    echo "    timeout_ms = 5000; options = {$opts }; }"
  done
  echo ");"
}

# start_sim_tcp SPEC...: simulator on a free loopback port; sets SIM_PORT.
# Writes $T/expect.json and logs requests to $T/requests.
start_sim_tcp() {
  local args=() s
  for s in "$@"; do args+=(--meter "$s"); done
  rm -f "$T/port" "$T/requests"
  "$PY" "$SIM" serve --tcp "127.0.0.1:${SIM_PORT:-0}" --port-file "$T/port" \
    --expect "$T/expect.json" --log "$T/requests" --state "$T/state.json" \
    "${args[@]}" >"$T/sim.log" 2>&1 &
  SIM_PID=$!
  PIDS+=("$SIM_PID")
  wait_for 30 test -s "$T/port" || fail "simulator did not start: $(cat "$T/sim.log")"
  SIM_PORT=$(cat "$T/port")
}

stop_sim() {
  kill -9 "$SIM_PID" 2>/dev/null || true
  wait "$SIM_PID" 2>/dev/null || true
}

# start_pty: a socat pty pair $T/ttyA (the agent's end) <-> $T/ttyB (the
# simulator's end).
start_pty() {
  socat -d -d pty,raw,echo=0,link="$T/ttyA" pty,raw,echo=0,link="$T/ttyB" 2>"$T/socat.log" &
  PIDS+=("$!")
  wait_for 30 test -e "$T/ttyA" -a -e "$T/ttyB" || fail "socat made no pty pair: $(cat "$T/socat.log")"
}

# start_sim_rtu SPEC...: simulator on $T/ttyB.
start_sim_rtu() {
  local args=() s
  for s in "$@"; do args+=(--meter "$s"); done
  rm -f "$T/ready" "$T/requests"
  "$PY" "$SIM" serve --rtu "$T/ttyB" --baud 19200 --ready-file "$T/ready" \
    --expect "$T/expect.json" --log "$T/requests" "${args[@]}" >"$T/sim.log" 2>&1 &
  SIM_PID=$!
  PIDS+=("$SIM_PID")
  wait_for 30 test -s "$T/ready" || fail "simulator did not start: $(cat "$T/sim.log")"
}

# run_once CONF: meterbox-agent --once; sets RC, stdout in $T/out, stderr in
# $T/err.  A hang fails the test.
run_once() {
  set +e
  timeout $GUARD "$MB_AGENT" --once -c "$1" >"$T/out" 2>"$T/err"
  RC=$?
  set -e
  [ $RC -ne 124 ] || fail "meterbox-agent --once hung: $(cat "$T/err")"
}

# expect_err_line FIRST NEEDLE...: the stderr line with FIRST also has every NEEDLE.
expect_err_line() {
  local line
  line=$(grep -F -- "$1" "$T/err" || true)
  [ -n "$line" ] || fail "no '$1' in stderr: $(cat "$T/err")"
  shift
  for n in "$@"; do
    grep -qF -- "$n" <<<"$line" || fail "'$n' missing from: $line"
  done
}
