#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Money and cut-off in the agent with a simulated meter and no network:
# the balance falls, alarm 1, alarm 2 and the trip happen at the right
# readings, the trip waits through a no-cut window and happens at the first
# reading after it ends, the trip follows its reading before the next poll,
# consumption really stops while cut, a snapshot above the reconnect
# threshold closes the relay, a protected account is never cut, and an
# operator's command runs once.
#
# The clock starts (libfaketime) at 21:59:35 Asia/Shanghai, 25 s before the
# no-cut window 18:00-22:00 ends; the monotonic clock stays real.
. "$(dirname "$0")/lib.sh"
export TZ=Asia/Shanghai

sim_agent_conf "$T/agent.conf" gw-policy 6000 3000 policy='no_cut_hours = [ "18:00-22:00" ];'

export FAKETIME="@2026-11-25 21:59:35" FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_NO_CACHE=1
# A preloaded library must be built for the agent's C library: the musl
# stage (scripts/musl/build.sh) points MB_FAKETIME_LIB at its musl build.
ft_clean_stale
export LD_PRELOAD=${MB_FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1}
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
start_agent "$T/agent.conf" "$T/log"
unset LD_PRELOAD FAKETIME

db() { sql "$T/agent.db" "$1" 2>/dev/null; }
has_reading() { [ "$(db 'SELECT count(*) FROM readings')" -ge 1 ] 2>/dev/null; }
wait_for 20 has_reading || fail "no reading: $(cat "$T/log")"

# snapshot BALANCE [PROTECTED] [COMMANDS]: lib.sh's sim_snapshot for this agent.
snapshot() { sim_snapshot "$T/agent.conf" "$@"; }
ev() { db "SELECT count(*) FROM events WHERE type = '$1'"; }
has_ev() { [ "$(ev "$1")" -ge "${2:-1}" ]; }

snapshot 1000
wait_for 30 has_ev trip || fail "no trip: $(db 'SELECT type, reason FROM events')"

order=$(db "SELECT group_concat(type, ',') FROM (SELECT type FROM events WHERE type IN
            ('alarm1','alarm2','trip_deferred','trip') ORDER BY id)")
[ "$order" = "alarm1,alarm2,trip_deferred,trip" ] || fail "decisions in wrong order: $order"
pass "alarm 1, alarm 2, deferred trip, trip: in that order"

db "SELECT reason FROM events WHERE type = 'trip_deferred'" | grep -q "no-cut hours 18:00-22:00" ||
  fail "deferral reason missing"
end22=$(date -d "2026-11-25 22:00:00" +%s)
trip_seq=$(db "SELECT json_extract(data, '\$.seq') FROM events WHERE type = 'trip'")
first_after=$(db "SELECT min(seq) FROM readings WHERE ts >= $end22")
[ "$trip_seq" = "$first_after" ] || fail "trip at seq $trip_seq, first reading after 22:00 is $first_after"
pass "the trip waited for the window and came with the first reading after it (seq $trip_seq)"

# Each alarm came with the first reading whose balance crossed its threshold:
# the reading before it still had a balance above (recorded on earlier events
# or, for the first, the snapshot's 1000 fen).
for t in alarm1:700 alarm2:400 trip_deferred:0; do
  name=${t%%:*} lim=${t#*:}
  bal=$(db "SELECT balance_fen FROM events WHERE type = '$name'")
  [ "$bal" -le "$lim" ] || fail "$name at balance $bal, threshold $lim"
done
a1=$(db "SELECT json_extract(data, '\$.seq') FROM events WHERE type = 'alarm1'")
a2=$(db "SELECT json_extract(data, '\$.seq') FROM events WHERE type = 'alarm2'")
[ "$a1" -lt "$a2" ] && [ "$a2" -lt "$trip_seq" ] || fail "alarm seqs $a1, $a2, trip $trip_seq out of order"
pass "alarms recorded at readings $a1 and $a2 with the balances that crossed them"

wait_for 10 has_ev relay_confirmed || fail "trip not confirmed: $(db 'SELECT type, reason FROM events')"
after=$(db "SELECT json_extract(data, '\$.after_seq') FROM events WHERE type = 'relay_confirmed' ORDER BY id LIMIT 1")
[ "$after" = "$trip_seq" ] || fail "relay opened after seq $after, trip was at $trip_seq: a poll came between"
pass "the relay opened before the next poll after the reading that crossed the limit"

more() { [ "$(db "SELECT count(*) FROM readings WHERE seq > $((trip_seq + 1))")" -ge 5 ]; }
wait_for 10 more || fail "polling stopped"
cut_wh=$(db "SELECT import_wh FROM readings WHERE seq = $((trip_seq + 1))")
moved=$(db "SELECT count(*) FROM readings WHERE seq > $((trip_seq + 1)) AND import_wh != $cut_wh")
[ "$moved" -eq 0 ] || fail "energy kept flowing while cut"
[ "$(db "SELECT relay FROM readings ORDER BY seq DESC LIMIT 1")" = 2 ] || fail "meter not open"
[ "$(ev tamper)" -eq 0 ] || fail "tamper reported while nothing flowed"
pass "the meter's consumption stopped while cut"

snapshot 100   # above the limit but not above the reconnect threshold
sleep 1
[ "$(ev close)" -eq 0 ] || fail "closed at a balance below the reconnect threshold"
snapshot 5000
wait_for 10 has_ev relay_confirmed 2 || fail "no close: $(db 'SELECT type, reason FROM events')"
[ "$(ev close)" -eq 1 ] || fail "close events: $(ev close)"
last=$(db "SELECT max(seq) FROM readings")
grows() { [ "$(db "SELECT max(import_wh) FROM readings")" -gt "$cut_wh" ]; }
wait_for 10 grows || fail "consumption did not resume"
pass "a snapshot above the reconnect threshold closed the relay; consumption resumed"

snapshot -90000 true
wait_for 10 has_ev protected || fail "protection not recorded"
sleep 1
[ "$(ev trip)" -eq 1 ] || fail "a protected account was cut"
[ "$(db "SELECT relay FROM readings ORDER BY seq DESC LIMIT 1")" = 1 ] || fail "protected meter not closed"
pass "a protected account is never cut"

snapshot 5000 false '[{"id": 41, "op": "trip", "reason": "meter swap", "by": "ops1"}]'
done41() { [ "$(db "SELECT state FROM commands WHERE id = 41")" = done ]; }
wait_for 10 done41 || fail "command not done: $(db 'SELECT * FROM commands')"
db "SELECT data FROM events WHERE type = 'command_result'" | grep -q '"command":41' || fail "no result event"
snapshot 5000 false '[{"id": 41, "op": "trip", "reason": "meter swap", "by": "ops1"}]'
sleep 1
[ "$(ev command_result)" -eq 1 ] || fail "a command ran twice"
pass "an operator's command runs once and reports its result"

# A command the agent had started when it was killed ('running' in agent.db,
# its relay operation never confirmed) is carried out at the next start.
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || fail "unclean stop"
db "INSERT INTO commands (id, meter_id, op, reason, issued_by, state, received_at)
    SELECT 42, id, 'close', 'killed mid-run', 'ops1', 'running', strftime('%s') FROM meters LIMIT 1"
[ "$(db "SELECT state FROM commands WHERE id = 42")" = running ] || fail "test set-up"
start_agent "$T/agent.conf" "$T/log"
done42() { [ "$(db "SELECT state FROM commands WHERE id = 42")" = done ]; }
wait_for 10 done42 || fail "a command left running by a kill stays: $(db 'SELECT id, state FROM commands') $(tail -5 "$T/log")"
db "SELECT data FROM events WHERE type = 'command_result'" | grep -q '"command":42' || fail "no result for 42"
pass "a command left running by a kill is carried out at the next start"

kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || fail "unclean stop"
[ "$(db 'PRAGMA integrity_check')" = ok ] || fail "agent.db damaged"
