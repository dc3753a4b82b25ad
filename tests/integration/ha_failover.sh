#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# High availability on PostgreSQL (issue 21): a pg_auto_failover formation
# (monitor, primary, synchronous standby; ha_lib.sh), two meterbox-servers on
# its multi-host URI, gateways uploading readings and a cashier topping up
# through both (ha_load.py, each write retried until acknowledged), a real
# meterbox-agent with two simulated meters uploading to one of them, a month
# close; then the primary fails mid-stream, as MB_HA_MODE says:
#   kill     SIGKILL of the whole primary node (keeper and postgres)
#   freeze   SIGSTOP of the whole primary node: a hung host, sockets open
#   cut      every packet to and from the primary dropped (its veth)
#   close    the primary killed while a close of 3,000 accounts runs
#   standby  the standby killed instead: the primary goes on alone
# and shows: every acknowledged reading and top-up is stored exactly once
# (and every reading the agent holds as acknowledged, without a gap),
# every ledger sums to its balance, the close job that was started finished
# by itself, once (one bill and one close entry per account; it is posted
# again only when the first POST got no job), writes go on afterwards, and
# how long after the failure the first write was acknowledged (reported,
# never asserted).  MB_HA_DEADLINE_MS sets the servers' database.deadline_ms
# (default 8000; 0 turns it off, docs/operations-install.md).
. "$(dirname "$0")/ha_lib.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
trap 'cleanup; ha_stop' EXIT
MODE=${MB_HA_MODE:-kill}
NG=2 NM=4 # gateways, meters each: half the accounts prepaid
M0=$(at "2025-03-01 00:00") M1=$(at "2025-04-01 00:00")

t=$SECONDS
ha_start
pass "pg_auto_failover formation up in $((SECONDS - t)) s: node1 primary, node2 synchronous standby"

# standby: a deadline shorter than the monitor takes to let the primary go
# on alone, so that commits waiting for the dead standby are dropped at it
# and looked up (in doubt: they committed on the primary, not on a standby)
BUSY=5000 DEADLINE=8000
[ "$MODE" = standby ] && BUSY=1000 DEADLINE=2000
cat >"$T/server.conf" <<CONF
listen = { address = "127.0.0.1"; port = 0; threads = 8; };
database = { backend = "postgresql"; conninfo = "$HA_URI";
             busy_timeout_ms = $BUSY; deadline_ms = ${MB_HA_DEADLINE_MS:-$DEADLINE}; connect_timeout_s = 2; failover_wait_ms = 10000; };
timezone = "Asia/Shanghai";
limits = { max_body_bytes = 65536; max_readings = 1000; requests_per_minute = 0; };
settlement = { enabled = false; };
CONF
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root)
start_server "$T/server.conf" "$T/a.log"; URL_A=$URL PID_A=$SERVER_PID
start_server "$T/server.conf" "$T/b.log"; URL_B=$URL PID_B=$SERVER_PID
URL=$URL_A
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
specs=() accts=()
for g in $(seq 1 $NG); do
  api POST /api/v1/gateways "{\"name\":\"gw-$g\"}"; expect 201
  tok=$(j '["token"]') meters= batch=
  for k in $(seq 1 $NM); do
    a=A$g$k m=M$g$k mode=prepaid
    [ $((k % 2)) = 0 ] && mode=monthly
    api POST /api/v1/accounts "{\"number\":\"$a\",\"mode\":\"$mode\"}"; expect 201
    api PUT /api/v1/accounts/$a/tariff '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'; expect 200
    api PUT /api/v1/meters/$m "{\"gateway\":\"gw-$g\",\"account\":\"$a\"}"; expect 200
    [ $mode = prepaid ] && { api POST /api/v1/accounts/$a/topups "{\"amount_fen\":50000,\"reference\":\"P-$a\"}"; expect 201; }
    wh=$((1000000 * k + 80000))
    batch+="{\"meter\":\"$m\",\"seq\":1,\"ts\":$M0,\"kind\":\"boundary\",\"import_wh\":$((1000000 * k))},"
    batch+="{\"meter\":\"$m\",\"seq\":2,\"ts\":$M1,\"kind\":\"boundary\",\"import_wh\":$wh},"
    meters+="${meters:+,}$m=2/$wh"
    accts+=("$a")
  done
  api POST /api/v1/readings "{\"gateway\":\"gw-$g\",\"readings\":[${batch%,}]}" "$tok"; expect 200
  specs+=("gw-$g:$tok:$meters")
done
N=$((NG * NM))
# and a real meterbox-agent: two simulated meters on server B, prepaid
api POST /api/v1/gateways '{"name":"gw-agent"}'; expect 201
AGTOK=$(j '["token"]')
for k in 1 2; do
  api POST /api/v1/accounts "{\"number\":\"AG$k\",\"mode\":\"prepaid\"}"; expect 201
  api PUT /api/v1/accounts/AG$k/tariff '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'; expect 200
  api PUT /api/v1/meters/00000000009$k "{\"gateway\":\"gw-agent\",\"account\":\"AG$k\"}"; expect 200
  api POST /api/v1/accounts/AG$k/topups "{\"amount_fen\":1000000,\"reference\":\"P-AG$k\"}"; expect 201
done
agent_meter() {
  echo "{ name = \"m$1\"; plugin = \"sim\"; bus = \"b\"; address = \"00000000009$1\"; account = \"AG$1\";
    poll_interval = 0.3; options = { profile = \"flat\"; base_w = 2000; peak_w = 2000; noise_pct = 0;
    speed = 60; seed = $1; start_wh = $((1000000 * $1)); state_file = \"$T/m$1.state\"; }; }"
}
cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-agent"; };
timezone = "Asia/Shanghai";
store = { path = "$T/agent.db"; };
server = { url = "$URL_B"; token = "$AGTOK"; interval = 1; backoff_max = 2; timeout = 5; };
buses = ( { name = "b"; type = "none"; } );
meters = ( $(agent_meter 1), $(agent_meter 2) );
CONF
"$MB_AGENT" -t -c "$T/agent.conf" >/dev/null 2>"$T/agent.err" || fail "agent config: $(cat "$T/agent.err")"
start_agent "$T/agent.conf" "$T/agent.log"
adb() { sql "$T/agent.db" "$1" 2>/dev/null; }
agent_acked() { [ "$(adb "SELECT count(*) FROM readings WHERE acked = 1")" -ge "$1" ]; }
wait_for 60 agent_acked 4 || fail "the agent's readings were never acknowledged: $(tail -5 "$T/agent.log")"
if [ "$MODE" = close ]; then # a close long enough to fail under (seeded as close_job.sh does)
  NX=12000 now=$(date +%s)
  ha_sql "INSERT INTO accounts (number, mode, state, alarm1_fen, alarm2_fen, credit_limit_fen, reconnect_fen, created_at, updated_at)
          SELECT 'X' || lpad(i::text, 5, '0'), 'monthly', 'active', 2000, 500, -100000000, 100, $now, $now FROM generate_series(1, $NX) i;
          INSERT INTO meters (address, gateway_id, account_id, bound_at)
          SELECT 'XM' || a.id, (SELECT id FROM gateways WHERE name = 'gw-1'), a.id, $now FROM accounts a WHERE number LIKE 'X%';
          INSERT INTO account_tariffs SELECT a.id, $M0 - 86400 * 90, '2025-01-01', 'cn-bj-residential', $now, 'test' FROM accounts a WHERE number LIKE 'X%';
          INSERT INTO supplies (account_id, meter_id, opened_how, from_seq, opened_at, opened_by)
          SELECT account_id, id, 'bind', 0, $now, 'test' FROM meters WHERE address LIKE 'XM%';
          INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
          SELECT id, s, CASE s WHEN 1 THEN $M0 ELSE $M1 END, 'boundary', 0, 1000000 + (s - 1) * (50000 + id), $now
          FROM meters, generate_series(1, 2) s WHERE address LIKE 'XM%';
          UPDATE meters SET high_seq = 2 WHERE address LIKE 'XM%'; ANALYZE accounts, meters, supplies, account_tariffs, readings" >/dev/null || fail "populate"
  N=$((N + NX))
fi
pass "two servers on the formation's URI; $N accounts, their March boundaries stored"

# -- the stream
mkdir -p "$T/load"
/usr/bin/python3 "$MB_SRC/tests/integration/ha_load.py" "$T/load" "$URL_A,$URL_B" "$ADMIN" "$M1" \
  "${specs[@]}" --accounts "$(IFS=,; echo "${accts[*]}")" >"$T/load.out" 2>&1 &
LOAD=$!
PIDS+=("$LOAD")
# acked_since T N: N writes sent after T acknowledged
acked_since() { [ "$(awk -v t="$1" '$5 > t && $3 >= 200 && $3 < 300' "$T/load/attempts.log" 2>/dev/null | wc -l)" -ge "$2" ]; }
wait_for 60 acked_since 0 10 ||
  fail "the writers never got going: $(tail -3 "$T/load/attempts.log" 2>/dev/null; cat "$T/load.out")"

# close_month OUT: start the March close (a job) through server A and wait
# for it; OUT is the job's last state, OUT.code 200 when it is done
close_month() {
  local job st=unknown
  curl -s -o "$1.start" -m 60 -H "Authorization: Bearer $ADMIN" -d '{"month":"2025-03"}' \
    "$URL_A/api/v1/settlements" >/dev/null || true
  cp "$1.start" "$1"
  job=$(j '["job"]' "$1.start" 2>/dev/null) || { echo "no job" >"$1.code"; return 0; }
  for _ in $(seq 1 600); do
    curl -s -o "$1" -m 30 -H "Authorization: Bearer $ADMIN" "$URL_A/api/v1/settlements/$job" || true
    st=$(j '["state"]' "$1" 2>/dev/null || echo unknown)
    [ "$st" = running ] || [ "$st" = unknown ] || break
    sleep 0.5
  done
  if [ "$st" = done ]; then echo 200 >"$1.code"; else echo "$st" >"$1.code"; fi
}

# since T0 T1: seconds from T0 to T1 (wall-clock, with fractions)
since() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

victim=1 t_promoted=
[ "$MODE" = standby ] && victim=2
if [ "$MODE" = close ]; then
  # A session on the primary holds the row of an account of the job's
  # second slice (10,000 accounts a slice, 1,000 a chunk): the first slice
  # is recorded, a chunk of the second commits, and the next one waits on
  # that row (well within lock_timeout, busy_timeout_ms) when the primary
  # dies.
  mkfifo "$T/hold"
  ha_as psql -X -q -d "$HA_URI" <"$T/hold" >"$T/hold.out" 2>&1 &
  exec 4>"$T/hold"
  echo "SET application_name = 'ha-hold'; BEGIN; SELECT id FROM accounts WHERE number = 'X11700' FOR UPDATE;" >&4
  close_month "$T/close1.json" &
  CLOSE=$!
  waiting() {
    [ "$(ha_sql "SELECT count(*) FROM pg_stat_activity a, pg_stat_activity h WHERE h.application_name = 'ha-hold'
                 AND a.application_name = 'meterbox-server' AND h.pid = ANY(pg_blocking_pids(a.pid))")" -ge 1 ]
  }
  wait_for 120 waiting || fail "the close never waited on the held account: $(grep close "$T/a.log")"
  billed=$(ha_sql "SELECT count(*) FROM bills WHERE month = '2025-03'")
  # (the agent's two accounts, opened after March, are among them, not billed)
  [ "$billed" -ge 10990 ] || fail "only $billed accounts billed when the close waited"
  pass "the close is under way: $billed of $N accounts billed, the next chunk waits on a held row"
else
  sleep 3
fi
pids=$(ha_node_pids $victim)
case $MODE in
  kill | close | standby) kill -KILL $pids ;;
  freeze) kill -STOP $pids ;;
  cut) ha_cut $victim ;;
  *) fail "MB_HA_MODE=$MODE?" ;;
esac
t_fail=$(date +%s.%N)
[ "$MODE" = close ] || { close_month "$T/close1.json" & CLOSE=$!; }
echo "# node$victim failed ($MODE) at $t_fail"

if [ "$MODE" = standby ]; then
  # The primary takes writes alone once the monitor has it wait_primary
  # (synchronous_standby_names emptied); until then commits wait for the
  # standby (synchronous_commit = on).
  wait_for 120 acked_since "$t_fail" 5 ||
    fail "no writes after the standby died: $(ha_state)"
  state=$(ha_node_state 1)
  case $state in "wait_primary wait_primary" | "primary primary") ;; *) fail "node1 is $state" ;; esac
  sync=$(ha_psql_admin "SHOW synchronous_standby_names")
  [ -z "$sync" ] || fail "the primary still waits for a standby: '$sync'"
  pass "standby killed: node1 stays primary ($state), commits no longer wait for a standby"
  # commits that waited for the dead standby past deadline_ms were looked up
  # (by then committed on node1, alone) and not run again
  doubts=$(grep -h "in doubt after a lost connection" "$T/a.log" "$T/b.log" | sed 's/.*connection: //' | sort | uniq -c | xargs)
  [ -n "$doubts" ] || fail "no commit was in doubt: $(grep -h db: "$T/a.log" "$T/b.log" | head -5)"
  pass "commits in doubt, looked up after reconnecting: $doubts"
else
  ha_wait_primary 2 180 || fail "node2 never became primary: $(ha_state)"
  t_promoted=$(date +%s.%N)
  ha_use 2
  echo "# node2 primary after $(since "$t_fail" "$t_promoted") s"
  wait_for 120 acked_since "$t_promoted" 5 ||
    fail "no writes acknowledged after the failover: $(tail -5 "$T/load/attempts.log"; tail -5 "$T/a.log")"
  pass "node2 promoted; the servers write to it"
fi
sleep 2
touch "$T/load/stop"
wait "$LOAD" || fail "writers: $(cat "$T/load.out")"
wait "$CLOSE" || true
[ "$MODE" = close ] && exec 4>&- # its session died with node1
! grep -q "gave-up" "$T/load/attempts.log" || fail "a writer gave up: $(grep gave-up "$T/load/attempts.log" | head -3)"
{ grep -- "-refused:" "$T/load/attempts.log" || true; } | head -3 >"$T/refused"
[ ! -s "$T/refused" ] || fail "writes refused other than 503: $(cat "$T/refused")"

# -- the close: the job started finishes once, by itself.  Only a POST that
# got no job (503 during the failover) is posted again, as a client would.
code=$(cat "$T/close1.json.code") jobs=1
while [ "$code" = "no job" ] && [ "$MODE" != close ] && [ "$jobs" -lt 10 ]; do
  # each POST answered 503 may have started one (a commit in doubt past
  # failover_wait_ms: 503 in_doubt)
  jobs=$((jobs + 1))
  echo "# POST /settlements got no job ($(head -c 200 "$T/close1.json")); posting it again"
  sleep 1
  close_month "$T/close1.json"
  code=$(cat "$T/close1.json.code")
done
[ "$code" = 200 ] || fail "the close job did not finish by itself: $code $(head -c 400 "$T/close1.json")"
job=$(j '["job"]' "$T/close1.json")
[ "$(j '["failed"]' "$T/close1.json")" = 0 ] &&
  [ $(($(j '["settled"]' "$T/close1.json") + $(j '["already_settled"]' "$T/close1.json") + $(j '["held"]' "$T/close1.json"))) = "$N" ] ||
  fail "job $job's counts: $(cat "$T/close1.json")"
# in close mode, a chunk committed on node1 before it died is found settled
[ "$MODE" != close ] || [ "$(j '["already_settled"]' "$T/close1.json")" -ge 990 ] ||
  fail "nothing found already settled after the failover: $(cat "$T/close1.json")"
[ "$(ha_sql "SELECT count(*) FROM close_jobs WHERE month = '2025-03'")" -le $jobs ] &&
  [ -z "$(ha_sql "SELECT id FROM close_jobs WHERE state <> 'done'")" ] ||
  fail "close jobs: $(ha_sql "SELECT id, state, attempts FROM close_jobs")"
[ "$(ha_sql "SELECT count(*) FROM bills WHERE month = '2025-03'")" = "$N" ] ||
  fail "$(ha_sql "SELECT count(*) FROM bills WHERE month = '2025-03'") bills for $N accounts"
[ -z "$(ha_sql "SELECT account_id FROM ledger WHERE kind IN ('bill', 'settle') AND month = '2025-03' GROUP BY account_id HAVING count(*) > 1")" ] ||
  fail "an account closed twice"
[ "$(ha_sql "SELECT count(DISTINCT account_id) FROM ledger WHERE kind IN ('bill', 'settle') AND month = '2025-03'")" = "$N" ] ||
  fail "close entries for $(ha_sql "SELECT count(DISTINCT account_id) FROM ledger WHERE kind IN ('bill', 'settle') AND month = '2025-03'") of $N accounts"
pass "the March close (job $job, $(j '["attempts"]' "$T/close1.json") attempt(s)) finished once by itself: $N bills, one close entry per account"

# -- the agent: its backlog delivered, then every reading it holds as
# acknowledged is on the server once, without a gap
# (it reads its meters all the while: caught up is nothing older than 5 s
# still unacknowledged)
synced() { [ "$(adb "SELECT count(*) FROM readings WHERE acked = 0 AND ts < $(date +%s) - 5")" = 0 ]; }
wait_for 60 synced || fail "the agent's backlog was not delivered: $(tail -5 "$T/agent.log")"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || fail "the agent did not stop cleanly: $(tail -3 "$T/agent.log")"
adb "SELECT m.address || ' ' || r.seq FROM readings r JOIN meters m ON m.id = r.meter_id WHERE r.acked = 1" | sort >"$T/agent_acked"
ha_sql "SELECT m.address || ' ' || r.seq FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.address LIKE '00000000009%'" |
  sort >"$T/agent_stored"
missing=$(comm -23 "$T/agent_acked" "$T/agent_stored" | head -5)
[ -z "$missing" ] || fail "readings the agent holds as acknowledged are missing: $missing"
[ -z "$(uniq -d "$T/agent_stored" | head -3)" ] || fail "agent readings stored twice: $(uniq -d "$T/agent_stored" | head -3)"
for k in 1 2; do
  [ "$(ha_sql "SELECT count(*) = max(seq) FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.address = '00000000009$k'")" = t ] ||
    fail "meter 00000000009$k: a gap on the server"
done
pass "meterbox-agent: $(wc -l <"$T/agent_acked") readings acknowledged through the failure, each stored once, no gap"

# -- nothing acknowledged lost, nothing twice
sort -u "$T/load/acked_readings" >"$T/acked"
ha_sql "SELECT m.address || ' ' || r.seq FROM readings r JOIN meters m ON m.id = r.meter_id WHERE r.seq > 2" | sort >"$T/stored"
missing=$(comm -23 "$T/acked" "$T/stored" | head -5)
[ -z "$missing" ] || fail "acknowledged readings missing: $missing"
[ -z "$(uniq -d "$T/stored" | head -3)" ] || fail "readings stored twice: $(uniq -d "$T/stored" | head -3)"
nr=$(wc -l <"$T/acked")
cut -d' ' -f1 "$T/load/acked_topups" | sort >"$T/acked_refs"
ha_sql "SELECT reference FROM ledger WHERE reference LIKE 'HA-%'" | sort >"$T/stored_refs"
missing=$(comm -23 "$T/acked_refs" "$T/stored_refs" | head -5)
[ -z "$missing" ] || fail "acknowledged top-ups missing: $missing"
[ -z "$(uniq -d "$T/stored_refs" | head -3)" ] || fail "top-ups posted twice: $(uniq -d "$T/stored_refs" | head -3)"
nt=$(wc -l <"$T/acked_refs")
[ "$nr" -gt 0 ] && [ "$nt" -gt 0 ] || fail "nothing acknowledged ($nr readings, $nt top-ups)"
# accounts created, refunds and adjustments: each acknowledged one stored once
{ ha_sql "SELECT 'account ' || number FROM accounts WHERE number LIKE 'HC-%'"
  ha_sql "SELECT kind || ' ' || reference FROM ledger WHERE reference LIKE 'HR-%' OR reference LIKE 'HJ-%'"; } |
  sort >"$T/stored_other"
sort -u "$T/load/acked_other" >"$T/acked_other"
missing=$(comm -23 "$T/acked_other" "$T/stored_other" | head -5)
[ -z "$missing" ] || fail "acknowledged writes missing: $missing"
[ -z "$(uniq -d "$T/stored_other" | head -3)" ] || fail "stored twice: $(uniq -d "$T/stored_other" | head -3)"
no=$(wc -l <"$T/acked_other")
bad=$(ha_sql "SELECT a.number FROM accounts a WHERE a.balance_fen <> (SELECT coalesce(sum(amount_fen), 0) FROM ledger l WHERE l.account_id = a.id)")
[ -z "$bad" ] || fail "ledger sum != balance for $bad"
pass "$nr acknowledged readings, $nt top-ups and $no accounts, refunds and adjustments stored exactly once; every ledger sums to its balance"

# the first write sent after the failure that was acknowledged
first=$(awk -v t="$t_fail" '$5 > t && $3 >= 200 && $3 < 300 {print $1; exit}' "$T/load/attempts.log")
n503=$(awk -v t="$t_fail" '$1 > t && $3 == 503' "$T/load/attempts.log" | wc -l)
nto=$(awk -v t="$t_fail" '$1 > t && $3 == 0' "$T/load/attempts.log" | wc -l)
echo "# $MODE: first write acknowledged $(since "$t_fail" "$first") s after the failure" \
  "(${t_promoted:+node2 primary after $(since "$t_fail" "$t_promoted") s; }$n503 answers 503, $nto timed out or refused)"
{ grep -h "lost\|doubt\|running it again\|connected to the primary" "$T/a.log" "$T/b.log" || true; } | sed 's/^/#   /' | head -12
pass "$MODE: the first write after the failure is reported above"

# both servers stop cleanly after all that (in the ASan build: no leak, no
# error on the way out)
for p in "$PID_A" "$PID_B"; do
  kill -TERM "$p"
  wait "$p" || fail "a server did not stop cleanly: $(tail -3 "$T/a.log" "$T/b.log")"
done
pass "both servers stopped cleanly"
