#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGHUP reloads agent.conf: a new meter starts being read; a broken config
# is refused with its file and line, and the running one keeps going.
. "$(dirname "$0")/lib.sh"

conf() {
  cat <<CONF
gateway = { id = "gw-reload"; };
store = { path = "$T/agent.db"; };
buses = ( { name = "b"; type = "none"; } );
meters = (
  { name = "m1"; plugin = "sim"; bus = "b"; poll_interval = 0.2; }
  $1
);
CONF
}
conf "" >"$T/agent.conf"
start_agent "$T/agent.conf" "$T/log"
count() { sql "$T/agent.db" "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.name = '$1'" 2>/dev/null || echo 0; }
has() { [ "$(count "$1")" -ge "${2:-1}" ]; }
wait_for 20 has m1 || fail "no reading: $(cat "$T/log")"

conf ', { name = "m2"; plugin = "sim"; bus = "b"; poll_interval = 0.2; }' >"$T/agent.conf"
kill -HUP "$AGENT_PID"
wait_for 20 has m2 || fail "the new meter is not read after SIGHUP: $(tail "$T/log")"
pass "SIGHUP took up a new meter"

conf ', { name = "m2"; plugin = "sim"; bus = "b"; pol_interval = 0.2; }' >"$T/agent.conf"
before=$(count m2)
kill -HUP "$AGENT_PID"
refused() { grep -q "reload refused" "$T/log"; }
wait_for 20 refused || fail "broken config not refused: $(tail "$T/log")"
grep -q "agent.conf:6: meter: unknown key 'pol_interval'" "$T/log" || fail "no file:line: $(tail "$T/log")"
wait_for 20 has m2 $((before + 5)) || fail "the running config stopped after a refused reload"
kill -0 "$AGENT_PID" || fail "agent died"
pass "a broken config is refused with file and line; the running one keeps going"

kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || fail "unclean stop"
gaps=$(sql "$T/agent.db" "SELECT count(*) FROM (SELECT meter_id FROM readings GROUP BY meter_id HAVING count(*) != max(seq))")
[ "$gaps" = 0 ] || fail "sequence gaps across reloads"
pass "sequences continue across reloads"
