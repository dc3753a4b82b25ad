#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGKILL during polling, again and again: agent.db stays intact and every
# meter's sequence numbers continue without a gap or a repeat.
. "$(dirname "$0")/lib.sh"
KILLS=${MB_KILLS:-8}

cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-test"; };
store = { path = "$T/agent.db"; };
buses = ( { name = "a"; type = "none"; }, { name = "b"; type = "none"; } );
meters = (
  { name = "m1"; plugin = "sim"; bus = "a"; poll_interval = 0.05; options = { seed = 1; state_file = "$T/m1.state"; }; },
  { name = "m2"; plugin = "sim"; bus = "a"; poll_interval = 0.05; options = { seed = 2; state_file = "$T/m2.state"; }; },
  { name = "m3"; plugin = "sim"; bus = "b"; poll_interval = 0.05; options = { seed = 3; state_file = "$T/m3.state"; }; },
  { name = "m4"; plugin = "sim"; bus = "b"; poll_interval = 0.05; options = { seed = 4; state_file = "$T/m4.state"; }; }
);
CONF

total() { sql "$T/agent.db" "SELECT count(*) FROM readings" 2>/dev/null || echo 0; }
for i in $(seq 1 "$KILLS"); do
  before=$(total)
  start_agent "$T/agent.conf" "$T/log.$i"
  grew() { [ "$(total)" -gt "$before" ]; }
  wait_for 20 grew || fail "run $i stored nothing: $(cat "$T/log.$i")"
  sleep "0.$((RANDOM % 5))"
  kill -KILL "$AGENT_PID"
  wait "$AGENT_PID" 2>/dev/null || true
done

[ "$(sql "$T/agent.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check failed"
pass "agent.db intact after $KILLS kills ($(total) readings)"

gaps=$(sql "$T/agent.db" "SELECT meter_id FROM readings GROUP BY meter_id HAVING count(*) != max(seq) OR min(seq) != 1")
[ -z "$gaps" ] || fail "sequence gaps for meters: $gaps"
pass "sequence numbers have no gap or repeat"

back=$(sql "$T/agent.db" "SELECT count(*) FROM (SELECT import_wh - lag(import_wh) OVER (PARTITION BY meter_id ORDER BY seq) AS d FROM readings) WHERE d < 0")
[ "$back" -eq 0 ] || fail "$back registers went backwards across restarts"
pass "registers never go backwards across restarts"

before=$(total)
start_agent "$T/agent.conf" "$T/log.last"
grew() { [ "$(total)" -gt "$before" ]; }
wait_for 20 grew || fail "no reading after the last restart"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || fail "clean stop failed"
gaps=$(sql "$T/agent.db" "SELECT meter_id FROM readings GROUP BY meter_id HAVING count(*) != max(seq)")
[ -z "$gaps" ] || fail "gap after clean restart: $gaps"
pass "sequences continue after a clean restart"
