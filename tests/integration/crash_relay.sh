#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The moment the crash harness can only hit by luck, made certain: the agent
# has committed a relay decision (trip, then close) with its reading, and a
# SIGKILL lands before the relay operation reaches the meter.  The simulated
# meter keeps its relay in its state file like real hardware, so the test
# stops the agent after the decision and puts the relay back where it was
# before it: what the meter holds after such a kill.  After the
# restart the relay must end where the last recorded decision put it.
. "$(dirname "$0")/lib.sh"
export TZ=Asia/Shanghai

sim_agent_conf "$T/agent.conf" gw-relay 2000 600 policy="alarm2_delay = 0;" \
  options="state_file = \"$T/m1.state\";"

db() { sql "$T/agent.db" "$1" 2>/dev/null; }
relay() { sed -n 's/^relay //p' "$T/m1.state"; }
ev() { db "SELECT count(*) FROM events WHERE type = '$1'"; }
has_ev() { [ "$(ev "$1")" -ge "${2:-1}" ]; }
relay_is() { [ "$(relay)" = "$1" ]; }
has_reading() { [ "$(db 'SELECT count(*) FROM readings')" -ge 1 ] 2>/dev/null; }

# snapshot BALANCE [PROTECTED] [COMMANDS]: lib.sh's sim_snapshot for this agent.
snapshot() { sim_snapshot "$T/agent.conf" "$@"; }

# crash_after DECISION RELAY_BEFORE: stop the agent once DECISION is
# recorded and carried out, and put the meter's relay back to RELAY_BEFORE
# ...
confirmed_after() {
  [ "$(db "SELECT count(*) FROM events WHERE type = 'relay_confirmed'
           AND id > (SELECT max(id) FROM events WHERE type = '$1')")" -ge 1 ]
}
crash_after() {
  wait_for 20 has_ev "$1" || fail "no $1: $(db 'SELECT type, reason FROM events')"
  wait_for 10 confirmed_after "$1" || fail "$1 not carried out"
  kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true
  sed -i "s/^relay .*/relay $2/" "$T/m1.state"
  # The relay_confirmed rows stay: after a real kill the newest of them may
  # confirm an earlier operation (scripts/crash-long.sh found a trip
  # confirmed after a later close had been recorded), so the agent must not
  # take one as proof that the last decision reached the meter.
}

start_agent "$T/agent.conf" "$T/log.1"
wait_for 20 has_reading || fail "no reading: $(cat "$T/log.1")"
snapshot -500
crash_after trip 1           # the trip is recorded; the meter still closed
start_agent "$T/agent.conf" "$T/log.2"
wait_for 20 relay_is 2 || fail "after the restart the relay is $(relay), the last decision was trip: $(cat "$T/log.2")"
[ "$(ev trip)" = 1 ] || fail "the restart recorded a second trip decision"
pass "a trip recorded before a kill reaches the meter after the restart"

snapshot 5000
crash_after close 2          # the close is recorded; the meter still open
start_agent "$T/agent.conf" "$T/log.3"
wait_for 20 relay_is 1 || fail "after the restart the relay is $(relay), the last decision was close: $(cat "$T/log.3")"
[ "$(ev close)" = 1 ] || fail "the restart recorded a second close decision"
pass "a close recorded before a kill reaches the meter after the restart"

# A restart with nothing pending leaves the relay alone.
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" || fail "unclean stop"
start_agent "$T/agent.conf" "$T/log.4"
sleep 2
relay_is 1 || fail "a plain restart moved the relay to $(relay)"
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" || fail "unclean stop"
[ "$(db 'PRAGMA integrity_check')" = ok ] || fail "agent.db damaged"
pass "a plain restart leaves the relay where it is"
