#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One record the server refuses as bad input must not block a gateway's
# uploads for ever: the agent sets it aside (kept in agent.db, acked = 2),
# records why, and everything else still arrives.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"
api POST /api/v1/gateways '{"name":"gw-p","region":"1"}'; expect 201
GW=$(j '["token"]')
api PUT /api/v1/meters/000000000001 '{"gateway":"gw-p"}'; expect 200

cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-p"; };
store = { path = "$T/agent.db"; };
server = { url = "$URL"; token = "$GW"; interval = 1; backoff_max = 1; };
buses = ( { name = "b"; type = "none"; } );
meters = ( { name = "m1"; plugin = "sim"; bus = "b"; address = "000000000001"; poll_interval = 0.3; } );
CONF
# The poison: an event whose data the server's schema refuses (not an object).
"$MB_AGENT" -t -c "$T/agent.conf" >/dev/null
start_agent "$T/agent.conf" "$T/agent.log"
adb() { sql "$T/agent.db" "$1" 2>/dev/null; }
ready() { [ "$(adb "SELECT count(*) FROM readings")" -ge 1 ]; }
wait_for 20 ready || fail "no reading"
adb "INSERT INTO events(meter_id, ts, type, reason, data) VALUES (0, strftime('%s'), 'note', 'poison', '[1,2]')"
# And a reading the server refuses (a negative register), behind good ones.
adb "INSERT INTO readings(meter_id, seq, ts, kind, fields, quality, import_wh)
     SELECT meter_id, 1000000, ts, 0, fields, quality, -1 FROM readings ORDER BY seq LIMIT 1"

flowing() { [ "$(adb "SELECT count(*) FROM readings WHERE acked = 1")" -ge 10 ]; }
wait_for 30 flowing || fail "uploads blocked: $(grep refused "$T/agent.log" | tail -2)"
[ "$(adb "SELECT acked FROM events WHERE reason = 'poison'")" = 2 ] || fail "poison not set aside"
set_aside() { [ "$(adb "SELECT acked FROM readings WHERE seq = 1000000")" = 2 ]; }
wait_for 20 set_aside || fail "poisoned reading not set aside: $(grep refused "$T/agent.log" | tail -2)"
[ "$(sqlv "SELECT count(*) FROM readings WHERE seq = 1000000")" = 0 ] || fail "the server stored the poison"
[ "$(adb "SELECT count(*) FROM events WHERE type = 'upload_refused'")" -ge 1 ] || fail "no record of why"
arrived() { [ "$(sqlv "SELECT count(*) FROM events WHERE type = 'upload_refused'")" -ge 1 ]; }
wait_for 20 arrived || fail "the refusal record did not reach the server"
pass "a refused event and a refused reading are set aside and recorded; the rest keeps flowing"
