#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Failures of Modbus meters: each becomes a failed reading with a message that
# names the unit, the bus and the request, --once exits 1 without hanging, and
# the meters after a failing one on the same bus still read.
#   TCP: an unreachable port, a meter that never answers, an answer from the
#        wrong unit id, an exception for a register the meter lacks, a unit
#        id nobody serves.
#   RTU: a CRC error, an answer from the wrong unit id, a unit that is not on
#        the bus, an exception, a serial device that does not exist.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/modbus_lib.sh"
need_pymodbus

closed_port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

start_sim_tcp "name=good,unit=1,profile=sdm120" \
  "name=silent,unit=2,profile=sdm120,fault=silent" \
  "name=wrongunit,unit=3,profile=sdm120,fault=unit:9" \
  "name=lacking,unit=4,profile=sdm120" \
  "name=good2,unit=6,profile=abb_b21"
lacking_kept() {
  grep -q '"meter":"lacking".*"import_wh":.*"missing":"rate1_wh: .*FC03 read of 2 registers at 0x0300.*exception 2 (illegal data address)' "$T/out" ||
    fail "lacking: no reading without rate1_wh and its reason: $(cat "$T/out")"
}
cat >"$T/tcp.conf" <<CONF
gateway = { id = "gw-modbus-errors"; };
buses = (
  { name = "mbtcp"; type = "tcp"; host = "127.0.0.1"; port = $SIM_PORT; timeout_ms = 1000; },
  { name = "dead"; type = "tcp"; host = "127.0.0.1"; port = $closed_port; timeout_ms = 1000; }
);
meters = (
  { name = "good"; plugin = "modbus"; bus = "mbtcp"; address = "1"; timeout_ms = 3000;
    options = { profile = "sdm120"; }; },
  { name = "silent"; plugin = "modbus"; bus = "mbtcp"; address = "2"; timeout_ms = 3000;
    options = { profile = "sdm120"; }; },
  { name = "wrongunit"; plugin = "modbus"; bus = "mbtcp"; address = "3"; timeout_ms = 3000;
    options = { profile = "sdm120"; }; },
  { name = "lacking"; plugin = "modbus"; bus = "mbtcp"; address = "4"; timeout_ms = 3000;
    options = { profile = "sdm120"; map = "rate1_wh:0x0300:u32:3"; }; },
  { name = "absent"; plugin = "modbus"; bus = "mbtcp"; address = "5"; timeout_ms = 3000;
    options = { profile = "sdm120"; }; },
  { name = "good2"; plugin = "modbus"; bus = "mbtcp"; address = "6"; timeout_ms = 3000;
    options = { profile = "abb_b21"; }; },
  { name = "unreachable"; plugin = "modbus"; bus = "dead"; address = "1"; timeout_ms = 3000;
    options = { profile = "sdm120"; }; }
);
CONF
run_once "$T/tcp.conf"
[ $RC -eq 1 ] || fail "want exit 1, got $RC: $(cat "$T/err")"
"$PY" "$SIM" check --expect "$T/expect.json" --meters good,good2 <"$T/out" ||
  fail "the good meters did not read: $(cat "$T/out")"
where="tcp 127.0.0.1:$SIM_PORT"
expect_err_line "meter silent" "timed out" "unit 2 on $where" "FC04 read of 6 registers at 0x0046" \
  "no complete answer within 1000 ms"
expect_err_line "meter wrongunit" "wrong address" "unit 3 on $where" "answer from unit 9, not 3"
# A register the meter lacks beside the energy register: that quantity is
# left out, with the reason, and the reading kept (reading.h).
lacking_kept
# pymodbus ignores a unit id it does not serve, as a meter on a bus would.
expect_err_line "meter absent" "timed out" "unit 5 on $where" "no complete answer within 1000 ms"
expect_err_line "meter unreachable" "I/O error" "unit 1: cannot connect to tcp 127.0.0.1:$closed_port" \
  "Connection refused"
n=$(grep -c '^{' "$T/out" || true)
[ "$n" -eq 3 ] || fail "want 3 readings, got $n"
pass "TCP failures are named, exit 1, and the bus goes on"
stop_sim

need_socat
start_pty
start_sim_rtu "name=good,unit=1,profile=sdm630" \
  "name=badcrc,unit=3,profile=sdm120,fault=crc" \
  "name=wrongunit,unit=4,profile=sdm120,fault=unit:9" \
  "name=lacking,unit=7,profile=sdm120" \
  "name=good2,unit=6,profile=dtsu666"
cat >"$T/rtu.conf" <<CONF
gateway = { id = "gw-modbus-errors"; };
buses = ( { name = "rs485"; type = "serial"; device = "$T/ttyA"; baud = 19200; parity = "N";
            timeout_ms = 1000; },
          { name = "nodev"; type = "serial"; device = "$T/no-such-tty"; baud = 9600; parity = "N"; } );
meters = (
  { name = "badcrc"; plugin = "modbus"; bus = "rs485"; address = "3"; timeout_ms = 3000;
    options = { profile = "sdm120"; }; },
  { name = "good"; plugin = "modbus"; bus = "rs485"; address = "1"; timeout_ms = 3000;
    options = { profile = "sdm630"; }; },
  { name = "wrongunit"; plugin = "modbus"; bus = "rs485"; address = "4"; timeout_ms = 3000;
    options = { profile = "sdm120"; }; },
  { name = "absent"; plugin = "modbus"; bus = "rs485"; address = "5"; timeout_ms = 3000;
    options = { profile = "sdm120"; }; },
  { name = "lacking"; plugin = "modbus"; bus = "rs485"; address = "7"; timeout_ms = 3000;
    options = { profile = "sdm120"; map = "rate1_wh:0x0300:u32:3"; }; },
  { name = "good2"; plugin = "modbus"; bus = "rs485"; address = "6"; timeout_ms = 3000;
    options = { profile = "dtsu666"; }; },
  { name = "nodevice"; plugin = "modbus"; bus = "nodev"; address = "1"; timeout_ms = 3000;
    options = { profile = "sdm120"; }; }
);
CONF
run_once "$T/rtu.conf"
[ $RC -eq 1 ] || fail "want exit 1, got $RC: $(cat "$T/err")"
"$PY" "$SIM" check --expect "$T/expect.json" --meters good,good2 <"$T/out" ||
  fail "the good meters did not read: $(cat "$T/out")"
where="$T/ttyA 19200 8N1"
expect_err_line "meter badcrc" "protocol error" "unit 3 on $where" "FC04 read of 6 registers at 0x0046" \
  "CRC error"
expect_err_line "meter wrongunit" "wrong address" "unit 4 on $where" "answer from unit 9, not 4"
expect_err_line "meter absent" "timed out" "unit 5 on $where" "no complete answer within 1000 ms"
lacking_kept
expect_err_line "meter nodevice" "I/O error" "unit 1: cannot open $T/no-such-tty 9600 8N1" \
  "No such file or directory"
pass "RTU failures are named, exit 1, and the bus goes on"
