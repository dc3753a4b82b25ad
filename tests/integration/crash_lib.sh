# SPDX-License-Identifier: Apache-2.0
# The crash harness (sourced after lib.sh and server_lib.sh; issue 10).
#
# A server and an agent with three simulated meters on a fixed port, with
# everything a normal day brings running at once:
#   - the agent polls every 0.1 s and syncs every second; small balances make
#     it trip and close relays,
#   - a payment loop tops accounts up with unique references, retrying the
#     same reference after a failure (as a payment gateway does),
#   - a second gateway ("gw-hist") uploads a month of history in batches,
#     resuming at its last acknowledged batch,
#   - a closer settles that month again and again.
# crash_kill_loop N then kills the agent, the server or both with SIGKILL at
# a random moment, N times, restarting what it killed.  crash_check drains
# everything and checks the invariants:
#   1. every reading the server acknowledged is stored on the server, once;
#   2. every reading the agent stored reaches the server once, with the same
#      values, without a gap;
#   3. each account's balance equals the sum of its ledger; each
#      acknowledged top-up is in the ledger exactly once; one bill and one
#      close entry per account-month;
#   4. PRAGMA integrity_check is ok on agent.db, and the server's store is
#      intact (integrity_check, or amcheck on PostgreSQL);
#   5. each meter's relay is where the last relay decision the agent
#      recorded left it.
# Progress goes to stdout as "# kill I/N ..." lines.

CRASH_TARIFF=$MB_SRC/etc/tariffs/beijing-residential.conf
CRASH_M0=$(at "2025-03-01 00:00")
CRASH_M1=$(at "2025-04-01 00:00")

# The two databases (fault_disk.sh moves them).
crash_adb() { sql "${CRASH_ADB:-$T/agent.db}" "$1" 2>/dev/null; }
crash_sdb() { if [ -n "${PGDIR:-}" ]; then sqlv "$1"; else sql "${CRASH_SDB:-$T/server.db}" "$1"; fi; }
# the server's store intact: SQLite's integrity_check, or on PostgreSQL
# amcheck over every B-tree index of the server's tables (heap and index)
crash_server_intact() {
  if [ -z "${PGDIR:-}" ]; then
    crash_sdb 'PRAGMA integrity_check'
    return
  fi
  sqlv "CREATE EXTENSION IF NOT EXISTS amcheck" >/dev/null &&
    sqlv "SELECT count(*) FROM (SELECT bt_index_check(c.oid, true) FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE a.amname = 'btree' AND c.relkind = 'i' AND n.nspname = 'public') AS x" | grep -q '^[1-9]' && echo ok
}

# curl to the server as TOKEN; the status to stdout ("000" when down).
crash_curl() { # TOKEN METHOD PATH [BODY|@FILE]
  local args=(-s -o /dev/null -w '%{http_code}' --max-time 10 -X "$2" -H "Authorization: Bearer $1")
  [ -n "${4:-}" ] && args+=(--data-binary "$4")
  curl "${args[@]}" "$URL$3" || true
}

crash_setup() {
  server_conf "$T/server.conf"
  CRASH_PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  sed -i "s/port = 0;/port = $CRASH_PORT;/" "$T/server.conf"
  ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
  start_server "$T/server.conf" "$T/server.log"

  api POST /api/v1/tariffs "@$CRASH_TARIFF"; expect 201
  api POST /api/v1/gateways '{"name":"gw-crash","region":"110105"}'; expect 201
  CRASH_GW=$(j '["token"]')
  api POST /api/v1/gateways '{"name":"gw-hist","region":"110105"}'; expect 201
  j '["token"]' >"$T/hist.token"
  for n in 1 2 3; do
    api POST /api/v1/accounts "{\"number\":\"C$n\",\"mode\":\"prepaid\",\"alarm1_fen\":300,
        \"alarm2_fen\":150,\"credit_limit_fen\":0,\"reconnect_fen\":100}"; expect 201
    api PUT /api/v1/accounts/C$n/tariff '{"tariff":"cn-bj-residential","effective":"2020-01-01"}'; expect 200
    api PUT /api/v1/meters/00000000000$n "{\"gateway\":\"gw-crash\",\"account\":\"C$n\"}"; expect 200
    api POST /api/v1/accounts/C$n/topups "{\"amount_fen\":400,\"reference\":\"START-$n\"}"; expect 201
    echo "START-$n C$n 400" >>"$T/topups.ok"
  done
  for k in 1 2; do
    mode=prepaid; [ $k = 2 ] && mode=monthly
    api POST /api/v1/accounts "{\"number\":\"H$k\",\"mode\":\"$mode\"}"; expect 201
    api PUT /api/v1/accounts/H$k/tariff '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'; expect 200
    api PUT /api/v1/meters/H$k "{\"gateway\":\"gw-hist\",\"account\":\"H$k\"}"; expect 200
    api POST /api/v1/accounts/H$k/topups "{\"amount_fen\":100000,\"reference\":\"HSTART-$k\"}"; expect 201
    echo "HSTART-$k H$k 100000" >>"$T/topups.ok"
  done

  # March 2025 of two meters, hourly, boundary readings at both ends, 20
  # readings per meter per batch.
  mkdir -p "$T/hist"
  /usr/bin/python3 - "$T/hist" "$CRASH_M0" "$CRASH_M1" <<'PY'
import json, sys, random
out, m0, m1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(10)
series = {}
for m in ("H1", "H2"):
    wh, seq, rows, t = 5000000, 0, [], m0
    while t <= m1 + 3600:
        seq += 1
        kind = "boundary" if t in (m0, m1) else "routine"
        rows.append({"meter": m, "seq": seq, "ts": t, "kind": kind, "import_wh": wh})
        wh += random.randint(0, 1500)
        t += 3600
    series[m] = rows
for n, i in enumerate(range(0, len(series["H1"]), 20)):
    batch = series["H1"][i:i + 20] + series["H2"][i:i + 20]
    random.shuffle(batch)
    json.dump({"gateway": "gw-hist", "readings": batch}, open(f"{out}/{n:03d}.json", "w"))
PY

  # 2 kW at 6000x: 3.3 kWh, some 140 to 260 fen (by tier) a second per meter; the payment
  # loop brings each account about 110 fen a second, so relays trip and close.
  local meters="" n
  for n in 1 2 3; do
    meters+="  { name = \"m$n\"; plugin = \"sim\"; bus = \"b$((n % 2))\"; address = \"00000000000$n\";
    account = \"C$n\"; poll_interval = 0.1;
    options = { profile = \"flat\"; base_w = 2000; peak_w = 2000; noise_pct = 0; speed = 6000;
                seed = $n; start_wh = $((1000000 * n)); state_file = \"$T/m$n.state\"; }; }"
    [ $n -lt 3 ] && meters+=","$'\n'
  done
  cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-crash"; region = "110105"; };
timezone = "Asia/Shanghai";
store = { path = "$T/agent.db"; };
server = { url = "$URL"; token = "$CRASH_GW"; interval = 1; backoff_max = 1; timeout = 5; batch_readings = 200; };
buses = ( { name = "b0"; type = "none"; }, { name = "b1"; type = "none"; } );
meters = (
$meters
);
CONF
  "$MB_AGENT" -t -c "$T/agent.conf" >/dev/null || fail "agent config rejected"
  start_agent "$T/agent.conf" "$T/agent.log"
}

# The payment loop: a top-up every ~0.3 s; a failed one is retried with the
# same reference.  Acknowledged ones go to $T/topups.ok.
crash_payer() {
  local n=1 acct code
  while [ ! -e "$T/stop" ]; do
    acct=C$((n % 3 + 1))
    code=$(crash_curl "$ADMIN" POST "/api/v1/accounts/$acct/topups" \
      "{\"amount_fen\":100,\"reference\":\"TU-$n\"}")
    case $code in
    200 | 201) echo "TU-$n $acct 100" >>"$T/topups.ok"; n=$((n + 1)) ;;
    000 | 503 | 507) ;;
    *) echo "top-up TU-$n: HTTP $code" >>"$T/workers.err" ;;
    esac
    sleep 0.3
  done
}

# gw-hist: batches in order from the last acknowledged one (sent again: its
# answer may have been lost).
crash_feeder() {
  local tok f i code
  tok=$(cat "$T/hist.token")
  while [ ! -e "$T/stop" ]; do
    i=$(cat "$T/hist.acked" 2>/dev/null || echo 0)
    f=$(printf '%s/hist/%03d.json' "$T" "$i")
    [ -e "$f" ] || { sleep 0.5; continue; }
    code=$(crash_curl "$tok" POST /api/v1/readings "@$f")
    case $code in
    200) echo $((i + 1)) >"$T/hist.acked" ;;
    000 | 503 | 507) sleep 0.2 ;;
    *) echo "feeder $f: HTTP $code" >>"$T/workers.err"; sleep 0.5 ;;
    esac
  done
}

crash_closer() {
  local code
  while [ ! -e "$T/stop" ]; do
    code=$(crash_curl "$ADMIN" POST /api/v1/settlements '{"month":"2025-03"}')
    case $code in
    202 | 000 | 503 | 507) ;;
    *) echo "close: HTTP $code" >>"$T/workers.err" ;;
    esac
    sleep 0.5
  done
}

crash_workers_start() {
  rm -f "$T/stop"
  crash_payer & WORKERS=($!)
  crash_feeder & WORKERS+=($!)
  crash_closer & WORKERS+=($!)
  PIDS+=("${WORKERS[@]}")
}

crash_workers_stop() {
  touch "$T/stop"
  for p in "${WORKERS[@]}"; do wait "$p" || true; done
}

# crash_kill_loop N: N kills of the agent, the server or both.
crash_kill_loop() {
  local n=$1 i victim what
  for i in $(seq 1 "$n"); do
    sleep "$((RANDOM % 2)).$((RANDOM % 10))$((RANDOM % 10))"
    victim=$((RANDOM % 3))
    case $victim in
    0) what=agent ;;
    1) what=server ;;
    *) what=both ;;
    esac
    if [ $victim != 1 ]; then
      kill -KILL "$AGENT_PID" 2>/dev/null || fail "kill $i: the agent had died: $(tail -20 "$T/agent.log")"
      wait "$AGENT_PID" 2>/dev/null || true
    fi
    if [ $victim != 0 ]; then
      kill -KILL "$SERVER_PID" 2>/dev/null || fail "kill $i: the server had died: $(tail -20 "$T/server.log")"
      wait "$SERVER_PID" 2>/dev/null || true
      start_server "$T/server.conf" "$T/server.log"
    fi
    if [ $victim != 1 ]; then
      start_agent "$T/agent.conf" "$T/agent.log"
    fi
    echo "# kill $i/$n ($what): agent $(crash_adb 'SELECT count(*) FROM readings') readings," \
      "server $(crash_sdb 'SELECT count(*) FROM readings') readings, $(wc -l <"$T/topups.ok") top-ups"
  done
}

# Wait until the agent has nothing unacknowledged and the feeder is done.
# crash_relay_as_decided N: true when meter mN's relay (its sim state file)
# is where the agent's last recorded decision for it left it; sets CRASH_N,
# CRASH_DEC and CRASH_RELAY for the caller's message.
crash_relay_as_decided() {
  local want
  CRASH_N=$1
  CRASH_DEC=$(crash_adb "SELECT type FROM events WHERE meter_id = (SELECT id FROM meters WHERE name = 'm$1')
                         AND type IN ('trip','close','arm') ORDER BY id DESC LIMIT 1")
  CRASH_RELAY=$(sed -n 's/^relay //p' "$T/m$1.state")
  case $CRASH_DEC in
  trip) want=2 ;;
  close | '') want=1 ;;
  arm) want=3 ;;
  esac
  [ "$CRASH_RELAY" = "$want" ]
}

crash_drain() {
  drained() {
    [ "$(crash_adb 'SELECT count(*) FROM readings WHERE acked = 0')" = 0 ] &&
      [ "$(crash_adb 'SELECT count(*) FROM events WHERE acked = 0')" = 0 ]
  }
  local tok i f code
  tok=$(cat "$T/hist.token")
  i=$(cat "$T/hist.acked" 2>/dev/null || echo 0)
  while f=$(printf '%s/hist/%03d.json' "$T" "$i") && [ -e "$f" ]; do
    code=$(crash_curl "$tok" POST /api/v1/readings "@$f")
    [ "$code" = 200 ] || fail "feeder after the kills: HTTP $code for $f"
    i=$((i + 1))
  done
  # Stop polling (the agent's last readings must reach the server too):
  # stop the agent cleanly, then run it once more with meters that do not
  # poll, until everything is acknowledged.
  kill -TERM "$AGENT_PID"; wait "$AGENT_PID" || fail "the agent did not stop cleanly"
  sed 's/poll_interval = 0.1;/poll_interval = 0;/' "$T/agent.conf" >"$T/agent-drain.conf"
  start_agent "$T/agent-drain.conf" "$T/agent.log"
  wait_for 60 drained || fail "agent backlog not delivered: $(crash_adb 'SELECT count(*) FROM readings WHERE acked = 0') readings"
  # One more sync so the last snapshot is applied, then let queued relay
  # operations finish: a decision is recorded before its relay moves, and a
  # loaded machine can take longer than the sync to move it.
  sleep 3
  relays_as_decided() { crash_relay_as_decided 1 && crash_relay_as_decided 2 && crash_relay_as_decided 3; }
  wait_for 30 relays_as_decided || fail "meter m$CRASH_N: last decision '${CRASH_DEC:-none}' but the relay is $CRASH_RELAY"
  kill -TERM "$AGENT_PID"; wait "$AGENT_PID" || fail "the agent did not stop cleanly"
}

crash_check() {
  local n id q bad
  crash_drain
  [ ! -s "$T/workers.err" ] || fail "requests refused during the run: $(sort "$T/workers.err" | uniq -c | head)"
  close_month 2025-03
  stop_server

  # 4. both databases intact
  [ "$(crash_adb 'PRAGMA integrity_check')" = ok ] || fail "agent.db integrity_check"
  [ "$(crash_server_intact)" = ok ] || fail "the server's store is damaged (integrity_check, amcheck)"
  pass "agent.db's integrity_check ok, and the server's store intact"

  # 1 and 2: the agent's readings and the server's, row by row
  for n in 1 2 3; do
    id="(SELECT id FROM meters WHERE address = '00000000000$n')"
    q="SELECT seq, ts, import_wh FROM readings WHERE meter_id = $id ORDER BY seq"
    # every row the agent holds is on the server with the same values (the
    # agent may have pruned acknowledged rows: a clock in 1970 makes them
    # look old), and both end at the same seq
    comm -23 <(crash_adb "$q" | LC_ALL=C sort) <(crash_sdb "$q" | LC_ALL=C sort) >"$T/readings.diff"
    [ ! -s "$T/readings.diff" ] || fail "meter $n: agent readings missing or different on the server: $(head -5 "$T/readings.diff")"
    [ "$(crash_adb "SELECT max(seq) FROM readings WHERE meter_id = $id")" = \
      "$(crash_sdb "SELECT max(seq) FROM readings WHERE meter_id = $id")" ] || fail "meter $n: the newest seqs differ"
    [ "$(crash_sdb "SELECT CASE WHEN count(*) = max(seq) AND min(seq) = 1 THEN 1 ELSE 0 END FROM readings WHERE meter_id = $id")" = 1 ] ||
      fail "meter $n: a gap in the server's sequence"
  done
  [ "$(crash_adb 'SELECT count(*) FROM readings WHERE acked = 0')" = 0 ] || fail "unacknowledged readings left"
  comm -23 <(crash_adb "SELECT id || ' ' || type FROM events" | LC_ALL=C sort) \
    <(crash_sdb "SELECT id || ' ' || type FROM events WHERE gateway_id = (SELECT id FROM gateways WHERE name = 'gw-crash')" | LC_ALL=C sort) \
    >"$T/events.diff"
  [ ! -s "$T/events.diff" ] || fail "agent events missing on the server: $(head -5 "$T/events.diff")"
  [ "$(crash_adb 'SELECT count(*) FROM events WHERE acked = 0')" = 0 ] || fail "unacknowledged events left"
  [ -z "$(crash_sdb "SELECT id FROM events WHERE gateway_id = (SELECT id FROM gateways WHERE name = 'gw-crash') GROUP BY id HAVING count(*) > 1")" ] || fail "an event stored twice"
  n=$(cat "$T"/hist/*.json | grep -o '"seq"' | wc -l)
  [ "$(crash_sdb "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.address IN ('H1','H2')")" = "$n" ] ||
    fail "gw-hist: $n readings sent, server holds another count"
  pass "every reading stored once on both sides, the same values, no gap ($(crash_sdb 'SELECT count(*) FROM readings') readings, $(crash_adb 'SELECT count(*) FROM events') agent events)"

  # 3. money
  bad=$(crash_sdb "SELECT number FROM accounts a WHERE balance_fen != (SELECT coalesce(sum(amount_fen), 0) FROM ledger WHERE account_id = a.id)")
  [ -z "$bad" ] || fail "balance != sum of ledger for $bad"
  sort "$T/topups.ok" >"$T/topups.sorted"
  crash_sdb "SELECT l.reference || ' ' || a.number || ' ' || l.amount_fen FROM ledger l JOIN accounts a ON a.id = l.account_id
        WHERE l.kind = 'topup' ORDER BY 1" | sort >"$T/topups.ledger"
  # every acknowledged top-up once; the ledger may hold one more whose
  # answer was lost in the last kill and was never retried
  [ -z "$(crash_sdb "SELECT reference FROM ledger WHERE kind = 'topup' GROUP BY reference HAVING count(*) > 1")" ] ||
    fail "a top-up was posted twice"
  comm -23 "$T/topups.sorted" "$T/topups.ledger" >"$T/topups.missing"
  [ ! -s "$T/topups.missing" ] || fail "acknowledged top-ups missing from the ledger: $(head -3 "$T/topups.missing")"
  [ "$(comm -13 "$T/topups.sorted" "$T/topups.ledger" | wc -l)" -le 1 ] || fail "unacknowledged top-ups in the ledger"
  [ "$(crash_sdb "SELECT count(*) FROM bills WHERE month = '2025-03' AND state = 'settled'")" = 2 ] ||
    fail "gw-hist's accounts not settled once each: $(crash_sdb "SELECT * FROM bills")"
  [ -z "$(crash_sdb "SELECT account_id FROM ledger WHERE kind IN ('bill','settle') GROUP BY account_id, month HAVING count(*) > 1")" ] ||
    fail "a month was posted twice"
  pass "balance == sum of ledger for every account; $(wc -l <"$T/topups.ok") acknowledged top-ups each posted once; one close per account-month"

  # 5. relays: where the last decision left them
  local n
  for n in 1 2 3; do
    crash_relay_as_decided "$n" || fail "meter m$n: last decision '${CRASH_DEC:-none}' but the relay is $CRASH_RELAY"
  done
  pass "every relay is where the last recorded decision left it ($(crash_adb "SELECT count(*) FROM events WHERE type = 'trip'") trips, $(crash_adb "SELECT count(*) FROM events WHERE type = 'close'") closes)"
}
