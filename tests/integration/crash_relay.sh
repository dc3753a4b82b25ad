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
PY=/usr/bin/python3
export TZ=Asia/Shanghai
TARIFF="$MB_SRC/etc/tariffs/beijing-residential.conf"

sim_agent_conf "$T/agent.conf" gw-relay 2000 600 policy="alarm2_delay = 0;" \
  options="state_file = \"$T/m1.state\";"

db() { sql "$T/agent.db" "$1" 2>/dev/null; }
relay() { sed -n 's/^relay //p' "$T/m1.state"; }
ev() { db "SELECT count(*) FROM events WHERE type = '$1'"; }
has_ev() { [ "$(ev "$1")" -ge "${2:-1}" ]; }
relay_is() { [ "$(relay)" = "$1" ]; }
has_reading() { [ "$(db 'SELECT count(*) FROM readings')" -ge 1 ] 2>/dev/null; }

# snapshot BALANCE: a server answer with the newest stored reading as its
# reference, applied with meterbox-agent --apply (as policy.sh does).
snapshot() {
  local row
  row=$(db "SELECT seq, ts, import_wh FROM readings ORDER BY seq DESC LIMIT 1")
  IFS='|' read -r seq ts wh <<<"$row"
  $PY - "$TARIFF" "$seq" "$ts" "$wh" "$1" >"$T/answer.json" <<'PY'
import json, sys, time
tariff, seq, ts, wh, bal = sys.argv[1:]
lt = time.localtime(int(ts))
print(json.dumps({"server_time": int(ts), "meters": [{
  "meter": "000000000001", "account": "1100000001", "mode": "prepaid",
  "protected": False, "balance_fen": int(bal),
  "ref": {"seq": int(seq), "t": int(ts), "import_wh": int(wh)},
  "tier": {"period_start": 0, "used_wh": 0},
  "acc": {"month": "%04d-%02d" % (lt.tm_year, lt.tm_mon), "lines": []},
  "tariff": {"id": "cn-bj-residential", "hash": "h1", "text": open(tariff).read()},
  "thresholds": {"alarm1_fen": 700, "alarm2_fen": 400, "credit_limit_fen": 0,
                 "reconnect_fen": 200},
  "commands": []}]}))
PY
  "$MB_AGENT" -c "$T/agent.conf" --apply "$T/answer.json" >/dev/null || fail "--apply failed"
}

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
