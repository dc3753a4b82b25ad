#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The agent survives plugins that hang, time out or return garbage: other
# buses keep their pace, bad readings are refused and recorded as faults,
# a stuck call is reported, and SIGTERM still stops the agent cleanly.
. "$(dirname "$0")/lib.sh"

cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-test"; };
plugins = ( "$MB_TEST_PLUGIN_DIR/testmeter.so" );
store = { path = "$T/agent.db"; };
buses = (
  { name = "hang"; type = "none"; timeout_ms = 200; },
  { name = "good"; type = "none"; timeout_ms = 200; },
  { name = "junk"; type = "none"; timeout_ms = 200; },
  { name = "flaky"; type = "none"; timeout_ms = 100; }
);
meters = (
  { name = "hanging"; plugin = "testmeter"; bus = "hang"; poll_interval = 0.2;
    options = { mode = "hang"; hang_ms = 4000; }; },
  { name = "steady"; plugin = "sim"; bus = "good"; poll_interval = 0.2; },
  { name = "garbage"; plugin = "testmeter"; bus = "junk"; poll_interval = 0.2;
    options = { mode = "garbage"; }; },
  { name = "timeouts"; plugin = "sim"; bus = "flaky"; poll_interval = 0.2;
    options = { fault_timeout_every = 2; }; }
);
CONF
"$MB_AGENT" -t -c "$T/agent.conf" >/dev/null || fail "config rejected"
start_agent "$T/agent.conf" "$T/log"

count() { sql "$T/agent.db" "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.name = '$1'" 2>/dev/null || echo 0; }
enough_steady() { [ "$(count steady)" -ge 8 ]; }
wait_for 20 enough_steady || fail "steady meter starved: $(count steady) readings; log: $(cat "$T/log")"
pass "a hanging bus does not delay another bus ($(count steady) readings)"

kill -0 "$AGENT_PID" || fail "agent died: $(cat "$T/log")"
[ "$(count garbage)" -eq 0 ] || fail "garbage readings were stored"
faults=$(sql "$T/agent.db" "SELECT reason FROM events e JOIN meters m ON m.id = e.meter_id WHERE m.name = 'garbage' AND type = 'meter_fault'")
grep -q "invalid reading" <<<"$faults" || fail "garbage fault not recorded: $faults"
pass "garbage refused and recorded once: $faults"

[ "$(count timeouts)" -ge 1 ] || fail "a meter that times out every other read got no reading"
grep -q "meter timeouts: read failed" "$T/log" || fail "timeouts not logged"
pass "a meter that times out is retried and still read"

stalled() { grep -q "bus hang: plugin testmeter has been in a call for meter hanging" "$T/log"; }
wait_for 10 stalled || fail "stuck call not reported"
pass "a stuck plugin call is reported"

kill -TERM "$AGENT_PID"
wait_for 15 bash -c "! kill -0 $AGENT_PID 2>/dev/null" || fail "agent ignored SIGTERM"
wait "$AGENT_PID" || fail "agent exited non-zero after SIGTERM: $(tail -5 "$T/log")"
[ "$(sql "$T/agent.db" 'PRAGMA integrity_check')" = ok ] || fail "agent.db damaged"
pass "SIGTERM stops the agent cleanly"
