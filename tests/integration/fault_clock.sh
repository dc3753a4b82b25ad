#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Clock faults on the gateway (issue 10).  The agent runs under libfaketime
# reading its offset from a file (FAKETIME_TIMESTAMP_FILE, re-read on every
# call), so the test moves the gateway's wall clock while it runs: two hours
# back, a day forward, to 1970 (a gateway without a battery-backed clock),
# and back to the truth.  The monotonic clock stays real.  Then:
#   - uploads keep going through every jump (the next sync is not scheduled
#     hours away by a clock that went back);
#   - the agent records each jump as a clock_jump event, flags the readings
#     it took with a suspect clock (quality bit 16, MB_Q_GATEWAY_CLOCK), and
#     the server stores both;
#   - sequence numbers stay in order and every reading arrives once (the
#     crash harness's checks), and the balance the agent computed at the
#     server's reference reading equals the server's, to the fen.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
. "$(dirname "$0")/crash_lib.sh"
FT=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
[ -e "$FT" ] || { echo "SKIP: libfaketime not installed"; exit 77; }

crash_setup
for n in 1 2 3; do
  api POST /api/v1/accounts/C$n/topups "{\"amount_fen\":5000000,\"reference\":\"CLOCK-$n\"}"; expect 201
  echo "CLOCK-$n C$n 5000000" >>"$T/topups.ok"
done
stored() { [ "$(crash_adb 'SELECT count(*) FROM readings')" -gt 0 ] 2>/dev/null; }
wait_for 20 stored || fail "the agent stores nothing"
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" || fail "agent stop"

echo "+0" >"$T/faketime"
ft_clean_stale
# FAKETIME_FORCE_MONOTONIC_FIX=0: libfaketime 0.9.10 otherwise shifts the
# deadline of a CLOCK_MONOTONIC condition wait by the fake wall clock's
# offset, so a jump to 1970 would hang every timed wait in the process, a
# fault of the tool that no real clock has.
FAKETIME_TIMESTAMP_FILE=$T/faketime FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
  FAKETIME_FORCE_MONOTONIC_FIX=0 LD_PRELOAD=$FT \
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
  start_agent "$T/agent.conf" "$T/agent.log"

# high: the server's newest seq of meter 1; moved: it grew past $1.
high() { crash_sdb "SELECT coalesce(max(seq), 0) FROM readings WHERE meter_id = (SELECT id FROM meters WHERE address = '000000000001')"; }
moved() { [ "$(high)" -gt "$1" ]; }
jumps() { crash_adb "SELECT count(*) FROM events WHERE type = 'clock_jump'"; }
for step in "-2h:two hours back" "+1d:a day forward" "@1970-01-01 08:00:10:to 1970" "+0:back to the truth"; do
  spec=${step%:*} what=${step##*:}
  sleep 2
  j0=$(jumps) h0=$(high)
  echo "$spec" >"$T/faketime"
  wait_for 30 moved "$h0" || fail "$what: uploads stopped (server at seq $(high)): $(tail -5 "$T/agent.log")"
  sleep 3
  h1=$(high)
  wait_for 30 moved "$h1" || fail "$what: uploads stopped after the jump: $(tail -5 "$T/agent.log")"
  [ "$spec" = "@1970-01-01 08:00:10" ] || [ "$(jumps)" -gt "$j0" ] || fail "$what: no clock_jump event"
  kill -0 "$AGENT_PID" || fail "$what: the agent died: $(tail "$T/agent.log")"
  echo "# $what: $(jumps) clock_jump events, server at seq $(high)"
done
pass "uploads went on through clock jumps back, forward, to 1970 and back"

crash_check
# The server has the jumps and the flags.
[ "$(crash_sdb "SELECT count(*) FROM events WHERE type = 'clock_jump'")" -ge 3 ] || fail "the server lacks clock_jump events"
flagged=$(crash_sdb "SELECT count(*) FROM readings WHERE quality & 16 <> 0")
[ "$flagged" -gt 0 ] || fail "no reading flagged with MB_Q_GATEWAY_CLOCK"
[ "$(crash_sdb "SELECT count(*) FROM readings WHERE ts < 1704067200 AND quality & 16 = 0")" = 0 ] ||
  fail "a reading from before 2024 is not flagged"
[ "$(crash_sdb "SELECT count(*) FROM readings WHERE ts < 1704067200")" -gt 0 ] || fail "no reading taken in 1970"
pass "the server holds the clock_jump events and $flagged readings flagged with quality bit 16"

# Balances: the agent's at the server's reference reading == the server's.
start_server "$T/server.conf" "$T/server.log"
for n in 1 2 3; do
  api GET "/api/v1/meters/00000000000$n"; expect 200
  seq=$(j '["ref"]["seq"]') bal=$(j '["balance_fen"]')
  mine=$(crash_adb "SELECT balance_fen FROM readings r JOIN meters m ON m.id = r.meter_id
                    WHERE m.address = '00000000000$n' AND r.seq = $seq")
  [ "$mine" = "$bal" ] || fail "meter $n at seq $seq: agent $mine fen, server $bal fen"
done
stop_server
pass "agent and server balances agree to the fen after the clock faults"
