#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Per-field readings (issue 16, reading.h): a reading without a field the
# plugin could not get is stored with the rest, and the agent records one
# reading_partial event with the plugin's reason when the set of left-out
# fields changes (not one per poll), and reading_complete when it is whole
# again.
. "$(dirname "$0")/lib.sh"

cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-fields"; };
plugins = ( "$MB_TEST_PLUGIN_DIR/testmeter.so" );
store = { path = "$T/agent.db"; };
buses = ( { name = "a"; type = "none"; } );
meters = ( { name = "p"; plugin = "testmeter"; bus = "a"; address = "7"; poll_interval = 0.1;
             options = { mode = "partial"; }; } );
CONF
start_agent "$T/agent.conf" "$T/agent.log"
adb() { sql "$T/agent.db" "$1" 2>/dev/null; }
enough() { [ "$(adb 'SELECT count(*) FROM readings')" -ge 6 ] 2>/dev/null; }
wait_for 30 enough || fail "no readings: $(tail -5 "$T/agent.log")"
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" || true

[ "$(adb 'SELECT count(*) FROM readings WHERE import_wh IS NULL')" = 0 ] || fail "a reading lost its energy"
[ "$(adb 'SELECT group_concat(seq) FROM readings WHERE power_mw IS NULL')" = "2,3,4" ] ||
  fail "power left out of: $(adb 'SELECT group_concat(seq) FROM readings WHERE power_mw IS NULL')"
pass "readings without power are stored with their energy"

[ "$(adb "SELECT count(*) || '|' || min(reason) || '|' || min(data) FROM events WHERE type = 'reading_partial'")" = \
  '1|power: not available (test)|{"fields":["power_mw"]}' ] ||
  fail "reading_partial events: $(adb "SELECT reason, data FROM events WHERE type = 'reading_partial'")"
[ "$(adb "SELECT count(*) FROM events WHERE type = 'reading_complete'")" = 1 ] ||
  fail "no reading_complete: $(adb 'SELECT type FROM events')"
pass "one reading_partial event with the plugin's reason, one reading_complete"
