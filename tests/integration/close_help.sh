#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two servers on one PostgreSQL with the schedule on: the previous month's
# close is one job (whichever server claims it records its progress) and
# the other server's worker helps with it, settling chunks beside it; every
# account is billed once and the job's counts add up (srv_close_job.c).
# One account's row is held locked for a while, so the close cannot end
# before the helper has joined in.
MB_DB_BACKEND=pg
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
N=3000
P=$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m)
T0=$(date -d "$P-01 00:00" +%s) T1=$(date -d "$(date +%Y-%m-01) 00:00" +%s)

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root)
start_server "$T/server.conf" "$T/a.log"
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
api POST /api/v1/gateways '{"name":"gw-h"}'; expect 201
stop_server
now=$(date +%s) eff=$(date -d "2020-01-01 00:00" +%s)
sqlv "INSERT INTO accounts (number, mode, state, alarm1_fen, alarm2_fen, credit_limit_fen,
        reconnect_fen, created_at, updated_at)
      SELECT 'H' || lpad(i::text, 6, '0'), 'monthly', 'active', 2000, 500, -100000000, 100,
        $now, $now FROM generate_series(1, $N) i ORDER BY i;
      INSERT INTO meters (address, gateway_id, account_id, bound_at)
      SELECT 'HM' || a.id, (SELECT id FROM gateways WHERE name = 'gw-h'), a.id, $now FROM accounts a;
      INSERT INTO account_tariffs SELECT id, $eff, '2020-01-01', 'cn-bj-residential', $now, 'test'
        FROM accounts;
      INSERT INTO supplies (account_id, meter_id, opened_how, from_seq, opened_at, opened_by)
      SELECT account_id, id, 'bind', 0, $now, 'test' FROM meters;
      INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
      SELECT id, 1, $T0, 'boundary', 0, 1000000, $now FROM meters;
      INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
      SELECT id, 2, $T1, 'boundary', 0, 1100000 + id, $now FROM meters;
      UPDATE meters SET high_seq = 2; ANALYZE;" >/dev/null || fail "populate"
locked=$(sqlv "SELECT id FROM accounts WHERE number = 'H000100'")
mkfifo "$T/hold"
psql -X -q -d "$(pg_dbname "$T")" <"$T/hold" >"$T/hold.out" 2>&1 &
exec 4>"$T/hold"
echo "BEGIN; SELECT id FROM accounts WHERE id = $locked FOR UPDATE;" >&4
# held before the servers start: psql may be slower to connect than the
# scheduled close is to pass that account
held() {
  [ "$(sqlv "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
             WHERE c.relname = 'accounts' AND l.mode = 'RowShareLock' AND l.granted")" -ge 1 ]
}
wait_for 30 held || fail "the session holding account $locked never got it: $(cat "$T/hold.out")"

sed -i 's/^settlement = { enabled = false; };/settlement = { enabled = true; day = 1; time = "00:00"; };/' "$T/server.conf"
start_server "$T/server.conf" "$T/a.log"
start_server "$T/server.conf" "$T/b.log"
job_of() { sqlv "SELECT id FROM close_jobs WHERE scheduled = 1 AND month = '$P'"; }
has_job() { [ -n "$(job_of)" ]; }
wait_for 60 has_job || fail "no scheduled close"
helping() { grep -q "close job $(job_of) started" "$T/a.log" "$T/b.log" &&
  [ "$(sqlv "SELECT count(*) FROM bills WHERE month = '$P'")" -ge $((N / 2)) ]; }
wait_for 60 helping || fail "the close did not get far with one account locked: $(tail -3 "$T/a.log" "$T/b.log")"
echo "ROLLBACK;" >&4
exec 4>&-
wait_job "$(job_of)" || fail "the scheduled close did not end: $(cat "$T/resp")"
[ "$(j '["state"]')" = done ] && [ "$(j '["total"]')" = $N ] &&
  [ $(($(j '["settled"]') + $(j '["already_settled"]'))) = $N ] || fail "job: $(cat "$T/resp")"
wait_for 30 grep -q "helped close job $(job_of)" "$T/a.log" "$T/b.log" || fail "no server helped: $(grep close "$T/a.log" "$T/b.log")"
helper=$(grep -ho "helped close job $(job_of) ([0-9]* settled here)" "$T/a.log" "$T/b.log" | grep -o "([0-9]*" | tr -d '(')
[ "$helper" -gt 0 ] || fail "the helper settled nothing"
[ "$(sqlv "SELECT count(*) FROM bills WHERE month = '$P' AND state = 'settled'")" = $N ] || fail "bills"
[ -z "$(sqlv "SELECT account_id FROM ledger WHERE month = '$P' AND kind = 'bill' GROUP BY account_id HAVING count(*) > 1")" ] ||
  fail "an account billed twice"
pass "the scheduled close is one job; the other server helped ($helper of $N settled there), each account billed once"
