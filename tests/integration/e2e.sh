#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole system with real processes: a server on its embedded SQLite, an
# agent with simulated meters syncing to it.
#  1. Accounts topped up a little; the meters consume; after each sync the
#     balance the agent computed at a reading equals the server's balance for
#     the same reading, to the fen.
#  2. The server is killed; the agent keeps cutting off accounts that run out,
#     offline.
#  3. The server comes back; everything the agent stored during the outage
#     arrives once: no gap, no duplicate by (meter, seq).
#  4. A top-up brings the relay back closed within one sync.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
# A fixed free port: the agent must find the server again after its restart.
FIXED=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "s/port = 0;/port = $FIXED;/" "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"

api POST /api/v1/gateways '{"name":"gw-e2e","region":"110105"}'; expect 201
GW=$(j '["token"]')
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
for n in 1 2 3; do
  api POST /api/v1/accounts "{\"number\":\"120000000$n\",\"holder\":\"E2E $n\",\"region\":\"110105\",
      \"mode\":\"prepaid\",\"alarm1_fen\":300,\"alarm2_fen\":150,\"credit_limit_fen\":0,\"reconnect_fen\":100}"
  expect 201
  api PUT /api/v1/accounts/120000000$n/tariff '{"tariff":"cn-bj-residential","effective":"2020-01-01"}'
  expect 200
  api PUT /api/v1/meters/00000000000$n "{\"gateway\":\"gw-e2e\",\"account\":\"120000000$n\"}"
  expect 200
done
# Meter 1 gets a lot, meters 2 and 3 a little: they will run out.
api POST /api/v1/accounts/1200000001/topups '{"amount_fen":900000,"reference":"E2E-1"}'; expect 201
api POST /api/v1/accounts/1200000002/topups '{"amount_fen":300,"reference":"E2E-2"}'; expect 201
api POST /api/v1/accounts/1200000003/topups '{"amount_fen":600,"reference":"E2E-3"}'; expect 201

# 2 kW at 600x: about 0.33 kWh (16 fen) a second per meter, so meters 2 and 3
# run out in about 20 and 40 s.
meter() {
  cat <<M
  { name = "m$1"; plugin = "sim"; bus = "b"; address = "00000000000$1"; account = "120000000$1";
    poll_interval = 0.3;
    options = { profile = "flat"; base_w = 2000; peak_w = 2000; noise_pct = 0; speed = 600;
                seed = $1; start_wh = $((1000000 * $1)); state_file = "$T/m$1.state"; }; }
M
}
cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-e2e"; region = "110105"; };
timezone = "Asia/Shanghai";
store = { path = "$T/agent.db"; };
server = { url = "$URL"; token = "$GW"; interval = 1; backoff_max = 2; timeout = 5; };
buses = ( { name = "b"; type = "none"; } );
meters = (
$(meter 1),
$(meter 2),
$(meter 3)
);
CONF
"$MB_AGENT" -t -c "$T/agent.conf" >/dev/null || fail "agent config rejected"
start_agent "$T/agent.conf" "$T/agent.log"

adb() { sql "$T/agent.db" "$1" 2>/dev/null; }

# compare N: the server's balance of meter N at its reference reading equals
# the balance the agent computed at that same reading.  0 when compared.
compare() {
  api GET "/api/v1/meters/00000000000$1" || return 1
  local seq bal mine
  seq=$(j '["ref"]["seq"]' 2>/dev/null) || return 1
  bal=$(j '["balance_fen"]')
  [ "$seq" != None ] || return 1
  mine=$(adb "SELECT balance_fen FROM readings r JOIN meters m ON m.id = r.meter_id
              WHERE m.address = '00000000000$1' AND r.seq = $seq")
  [ -n "$mine" ] || return 1   # computed before the agent had a snapshot
  [ "$mine" = "$bal" ] || fail "meter $1 at seq $seq: agent $mine fen, server $bal fen"
  COMPARED=$((COMPARED + 1))
}
COMPARED=0
for round in 1 2 3 4 5 6; do
  sleep 1.5
  for n in 1 2 3; do compare $n || true; done
done
[ "$COMPARED" -ge 6 ] || fail "only $COMPARED balances could be compared: $(tail -20 "$T/agent.log")"
pass "agent and server agree to the fen at the same readings ($COMPARED comparisons)"

# 2. Offline cut-off.
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
DOWN_AT=$(date +%s)
was_cut() { [ "$(adb "SELECT count(*) FROM events e JOIN meters m ON m.id = e.meter_id
                    WHERE m.address = '00000000000$1' AND e.type = 'trip' AND e.ts >= $DOWN_AT")" -ge 1 ]; }
already() { [ "$(adb "SELECT count(*) FROM events e JOIN meters m ON m.id = e.meter_id
                       WHERE m.address = '00000000000$1' AND e.type = 'trip'")" -ge 1 ]; }
for n in 2 3; do
  wait_for 60 already $n || fail "meter $n never cut: $(adb "SELECT type, reason, balance_fen FROM events")"
done
was_cut 3 || was_cut 2 || fail "no account was cut while the server was down"
grep -q "sync failed" "$T/agent.log" || fail "the agent did not notice the outage"
kill -0 "$AGENT_PID" || fail "agent died during the outage"
stopped() {
  local w1 w2
  w1=$(adb "SELECT max(import_wh) FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.address = '00000000000$1'")
  sleep 1
  w2=$(adb "SELECT max(import_wh) FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.address = '00000000000$1'")
  [ "$w1" = "$w2" ]
}
wait_for 10 stopped 3 || fail "meter 3 still consumes while cut"
pass "offline, the agent cut the accounts that ran out and their meters stopped"

# 3. Back online: everything arrives once.
start_server "$T/server.conf" "$T/server.log"
# The backlog: what was on flash when the server came back (the agent marks
# readings acknowledged in agent.db with its next group commit, so the
# server is asked).
backlog=$(adb "SELECT max(id) FROM readings")
ev_backlog=$(adb "SELECT max(id) FROM events")
synced() {
  local n id
  for n in 1 2 3; do
    id="(SELECT id FROM meters WHERE address = '00000000000$n')"
    [ "$(sqlv "SELECT coalesce(max(seq), 0) FROM readings WHERE meter_id = $id")" -ge \
      "$(adb "SELECT max(seq) FROM readings WHERE meter_id = $id AND id <= $backlog")" ] || return 1
  done
  [ "$(sqlv "SELECT count(*) FROM events WHERE gateway_id = (SELECT id FROM gateways WHERE name = 'gw-e2e') AND id <= $ev_backlog")" = \
    "$(adb "SELECT count(*) FROM events WHERE id <= $ev_backlog")" ]
}
wait_for 60 synced || fail "backlog not delivered: $(adb 'SELECT count(*) FROM readings WHERE acked = 0')"
sleep 2
# The agent still uploads meter 1 (it consumes): every figure compared is
# read in one statement (one snapshot of the server's table), and what the
# agent saw acknowledged is read before what the server holds (an ack only
# follows the server's commit), so nothing arriving in between can make a
# gap or a lead that is not there.
for n in 1 2 3; do
  id="(SELECT id FROM meters WHERE address = '00000000000$n')"
  acked_max=$(adb "SELECT coalesce(max(seq), 0) FROM readings WHERE meter_id = $id AND acked = 1")
  read -r held maxs distinct <<<"$(sqlv "SELECT count(*) || ' ' || coalesce(max(seq), 0) || ' ' ||
                                            count(DISTINCT seq) FROM readings WHERE meter_id = $id")"
  [ "$maxs" -gt 0 ] || fail "meter $n: the server holds no reading"
  [ "$held" = "$maxs" ] && [ "$distinct" = "$maxs" ] ||
    fail "meter $n: server holds $held readings ($distinct seqs) up to seq $maxs: a gap"
  [ "$acked_max" -le "$maxs" ] || fail "meter $n: agent saw seq $acked_max acknowledged, server has $maxs"
done
dups=$(sqlv "SELECT count(*) FROM (SELECT meter_id, seq FROM readings GROUP BY meter_id, seq HAVING count(*) > 1) AS d")
[ "$dups" = 0 ] || fail "duplicate readings on the server"
trips=$(sqlv "SELECT count(*) FROM events WHERE type = 'trip'" 2>/dev/null || echo 0)
pass "after the outage every reading arrived once, without gaps (server has $trips trip events)"
# The balances agree again after the outage: each meter compared at least
# once (a comparison needs the server's reference reading on the agent with
# a balance, so a few syncs may pass first).
after_outage() {
  local n before=$COMPARED
  for n in 1 2 3; do
    compare "$n" || return 1
  done
  [ "$COMPARED" -ge $((before + 3)) ]
}
wait_for 30 after_outage || fail "after the outage only $COMPARED comparisons in all: nothing compared for some meter"
pass "agent and server agree to the fen after the outage, every meter compared ($COMPARED comparisons in all)"

# 4. A top-up closes the relay within one sync.
closed_before=$(adb "SELECT count(*) FROM events WHERE type = 'close'")
api POST /api/v1/accounts/1200000003/topups '{"amount_fen":500000,"reference":"E2E-3b"}'; expect 201
closed() { [ "$(adb "SELECT count(*) FROM events WHERE type = 'close'")" -gt "$closed_before" ]; }
wait_for 20 closed || fail "no close after the top-up: $(adb "SELECT type, reason FROM events ORDER BY id DESC LIMIT 5")"
confirmed() { [ "$(adb "SELECT count(*) FROM events WHERE type = 'relay_confirmed'
                         AND json_extract(data, '\$.relay') = 'closed'")" -ge 1 ]; }
wait_for 10 confirmed || fail "close not confirmed"
grows() { ! stopped 3; }
wait_for 10 grows || fail "meter 3 did not resume"
pass "a top-up closed the relay at the next sync and consumption resumed"

kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || fail "agent did not stop cleanly"
stop_server
