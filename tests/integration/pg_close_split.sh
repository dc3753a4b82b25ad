#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two meterbox-servers on one PostgreSQL closing the same month at once
# share the work (srv_settle_chunk.c): 10,000 accounts in chunks of 1,000, each
# server settles some of them, together every one exactly once, with one
# bill and one ledger entry each, and every chunk the other held is found
# settled afterwards ("already_settled"); and the chunk queries stay on
# plans for their own bounds (no walk of the month's readings per chunk).
# A close is faster than two servers start theirs, so a session holds the
# lock of account 5001 (the sixth chunk's first) until a chunk after it is
# settled: the server that reaches the sixth chunk first waits there (and
# settles it once the lock goes), so a chunk after it can only be the other
# server's, whichever starts first.
MB_DB_BACKEND=pg
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
N=10000
M0=$(at "2025-03-01 00:00"); M1=$(at "2025-04-01 00:00"); EFF=$(at "2020-01-01 00:00")

server_conf "$T/server.conf"
# the held lock is waited for (lock_timeout is busy_timeout_ms)
sed -i "/^database/s/; };\$/; busy_timeout_ms = 60000; deadline_ms = 120000; };/" "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root)
start_server "$T/server.conf" "$T/a.log"; URL_A=$URL
start_server "$T/server.conf" "$T/b.log"; URL_B=$URL
URL=$URL_A
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
api POST /api/v1/gateways '{"name":"gw-s"}'; expect 201
now=$(date +%s)
sqlv "INSERT INTO accounts (number, mode, state, alarm1_fen, alarm2_fen, credit_limit_fen, reconnect_fen, created_at, updated_at)
      SELECT 'S' || lpad(i::text, 6, '0'), 'monthly', 'active', 2000, 500, -100000000, 100, $now, $now
      FROM generate_series(1, $N) i ORDER BY i;
      INSERT INTO meters (address, gateway_id, account_id, bound_at)
      SELECT 'SM' || a.id, (SELECT id FROM gateways WHERE name = 'gw-s'), a.id, $now FROM accounts a;
      INSERT INTO account_tariffs SELECT id, $EFF, '2020-01-01', 'cn-bj-residential', $now, 'test' FROM accounts;
      INSERT INTO supplies (account_id, meter_id, opened_how, from_seq, opened_at, opened_by)
      SELECT account_id, id, 'bind', 0, $now, 'test' FROM meters;
      INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
      SELECT id, 1, $M0, 'boundary', 0, 1000000, $now FROM meters;
      INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
      SELECT id, 2, $M1, 'boundary', 0, 1000000 + 100000 + id, $now FROM meters;
      INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
      SELECT id, 2 + k, $M1 + 60 * k, 'periodic', 0, 1000000 + 100000 + id + k, $now
      FROM meters, generate_series(1, 20) k;
      UPDATE meters SET high_seq = 22; ANALYZE;" >/dev/null || fail "populate"

# index reads so far: the close's own are the difference
ts_reads() { sqlv "SELECT coalesce(sum(idx_tup_read), 0) FROM pg_stat_user_indexes WHERE indexrelname ~ '^readings_[0-9a-z]+_ts_idx$'"; }
pk_scans() { sqlv "SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes WHERE indexrelname ~ '^readings_[0-9a-z]+_pkey$'"; }
ts0=$(ts_reads) pk0=$(pk_scans)

# each account's heap page and row version, to see the close's balance
# updates stay on their pages (heap-only: migration 14's fillfactor)
pages() { sqlv "SELECT string_agg(id || ':' || (ctid::text::point)[0], ',' ORDER BY id) FROM accounts"; }
versions() { sqlv "SELECT string_agg(xmin::text, ',' ORDER BY id) FROM accounts"; }
pages0=$(pages) versions0=$(versions)

mkfifo "$T/hold1"
psql -X -q -d "$(pg_dbname "$T")" <"$T/hold1" >"$T/hold1.out" 2>&1 &
exec 4>"$T/hold1"
echo "BEGIN; SELECT pg_advisory_xact_lock((2::bigint << 56) | 5001);" >&4 # SRV_LOCK_ACCOUNT
held() { [ "$(sqlv "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -ge 1 ]; }
wait_for 30 held || fail "the session did not take account 5001's lock: $(cat "$T/hold1.out")"
curl -s -o "$T/a.json" -H "Authorization: Bearer $ADMIN" -d '{"month":"2025-03"}' "$URL_A/api/v1/settlements" &
p=$!
curl -s -o "$T/b.json" -H "Authorization: Bearer $ADMIN" -d '{"month":"2025-03"}' "$URL_B/api/v1/settlements"
wait $p
bills() { sqlv "SELECT count(*) FROM bills WHERE month = '2025-03'"; }
wait_for 60 eval '[ "$(bills)" -ge 6000 ]' || fail "$(bills) bills while a chunk waits, expected 6000 or more"
echo "ROLLBACK;" >&4
exec 4>&-
field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
# each server runs the job it was given; wait for both
wait_job "$(field "$T/a.json" job)" "$URL_A" "$ADMIN" "$T/a.json" || fail "job A: $(cat "$T/a.json")"
wait_job "$(field "$T/b.json" job)" "$URL_B" "$ADMIN" "$T/b.json" || fail "job B: $(cat "$T/b.json")"
sa=$(field "$T/a.json" settled) aa=$(field "$T/a.json" already_settled)
sb=$(field "$T/b.json" settled) ab=$(field "$T/b.json" already_settled)
[ $((sa + sb)) = $N ] || fail "settled $sa + $sb, expected $N: $(head -c 300 "$T/a.json") $(head -c 300 "$T/b.json")"
[ $((aa + ab)) = $N ] || fail "already settled $aa + $ab, expected $N"
[ "$sa" -gt 0 ] && [ "$sb" -gt 0 ] || fail "one server did all the work: $sa and $sb"
[ "$(sqlv "SELECT count(*) FROM bills WHERE month = '2025-03' AND state = 'settled'")" = $N ] || fail "bills"
[ "$(sqlv "SELECT count(*) FROM ledger WHERE kind = 'bill' AND month = '2025-03'")" = $N ] || fail "ledger entries"
[ -z "$(sqlv "SELECT account_id FROM ledger WHERE kind = 'bill' GROUP BY account_id HAVING count(*) > 1")" ] ||
  fail "an account billed twice"
pass "two servers closing $N accounts at once shared them ($sa and $sb settled); one bill and one entry each"
[ "$(sqlv "SELECT count(*) FROM accounts WHERE balance_fen = 0")" = 0 ] || fail "balances not written"
[ "$(versions)" != "$versions0" ] || fail "no account row written"
[ "$(pages)" = "$pages0" ] || fail "balance updates moved account rows to other pages (not heap-only updates)"
pass "every balance update stayed on its account's page: no index entries for them"
for t in accounts charge_state; do # migrations 14 and 15
  [ "$(sqlv "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = '$t'")" = fillfactor=50 ] ||
    fail "$t keeps no room for heap-only updates"
done
! grep -q "ERROR\|error\|one by one" "$T/a.log" "$T/b.log" ||
  fail "errors logged: $(grep -h "ERROR\|error\|one by one" "$T/a.log" "$T/b.log" | head -3)"
pass "nothing logged as an error, no chunk fell back to one account at a time"
# The readings of the days after the close (20 per meter) make a month's
# partition big enough for the ts index to tempt a plan blind to the bounds.
# Each server ran the chunk queries ten times, past the five after which
# PostgreSQL may settle on a generic plan; that plan read the month's readings
# through the ts index, all of them for every chunk (srv_db_query_replan).
for _ in $(seq 1 40); do [ "$(pk_scans)" -gt "$pk0" ] && break; sleep 0.5; done # stats flushed
[ "$(pk_scans)" -gt "$pk0" ] || fail "no readings index scans counted: statistics not flushed?"
[ "$(ts_reads)" = "$ts0" ] || fail "the close read $(($(ts_reads) - ts0)) readings through the ts index (a generic plan)"
pass "the chunk queries kept to the readings' key: none read through the ts index"

# The database connection dies in the middle of a close (its backend
# terminated, as by a PostgreSQL restart or a failover) while writes are in
# flight (srv_db_exec_later): a session holds account 300's row, so the
# close's queued balance update waits on it; the server's backend is
# terminated there.  The chunk is rolled back, the server reconnects (here
# within the same close, which goes on one account at a time) and every
# account is billed exactly once.
M2=$(at "2025-05-01 00:00")
sqlv "INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
      SELECT id, 30, $M2, 'boundary', 0, 1000000 + 300000 + id, $now FROM meters;
      UPDATE meters SET high_seq = 30;" >/dev/null || fail "May boundaries"
mkfifo "$T/hold"
psql -X -q -d "$(pg_dbname "$T")" <"$T/hold" >"$T/hold.out" 2>&1 &
exec 4>"$T/hold"
echo "BEGIN; SELECT id FROM accounts WHERE id = 300 FOR UPDATE;" >&4
# the row is held before the close starts (psql may be slow to connect)
held() {
  [ "$(sqlv "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
             WHERE c.relname = 'accounts' AND l.mode = 'RowShareLock' AND l.granted")" -ge 1 ]
}
wait_for 30 held || fail "the session holding account 300 never got it: $(cat "$T/hold.out")"
curl -s -o "$T/k.json" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" -d '{"month":"2025-04"}' \
  "$URL_A/api/v1/settlements" >"$T/k.code" &
p=$!
killed=0
for _ in $(seq 1 600); do
  killed=$(sqlv "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE application_name = 'meterbox-server' AND wait_event_type = 'Lock'")
  [ "$killed" -ge 1 ] && break
  sleep 0.05
done
echo "ROLLBACK;" >&4
exec 4>&-
wait $p
wait_job "$(j '["job"]' "$T/k.json")" "$URL_A" "$ADMIN" "$T/k.json" || fail "the cut job: $(cat "$T/k.json")"
[ "$killed" -ge 1 ] || fail "the close never waited on account 300 (it answered $(cat "$T/k.code"))"
grep -q "month 2025-04: chunk of accounts .* failed" "$T/a.log" ||
  fail "no chunk failed: the cut missed the close ($(grep -c . "$T/a.log") log lines)"
close_month 2025-04
got=$(sqlv "SELECT count(*) FROM bills WHERE month = '2025-04' AND state = 'settled'")
[ "$got" = $N ] && [ $(($(j '["settled"]') + $(j '["already_settled"]'))) = $N ] ||
  fail "after the cut and a second close: $got bills, $(head -c 300 "$T/resp")"
[ "$(sqlv "SELECT count(*) FROM ledger WHERE kind = 'bill' AND month = '2025-04'")" = $N ] || fail "April entries"
[ -z "$(sqlv "SELECT a.id FROM accounts a WHERE a.balance_fen <>
              (SELECT l.balance_after_fen FROM ledger l WHERE l.account_id = a.id ORDER BY l.id DESC LIMIT 1)")" ] ||
  fail "a balance differs from its last ledger entry"
pass "a connection cut mid-close (HTTP $(cat "$T/k.code")): the server reconnects, all $N billed once, balances match the ledger"
