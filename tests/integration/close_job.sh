#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The month close as a job (srv_close_job.c):
#  1. Starting a close answers 202 at once with a job; while it runs, a
#     gateway's readings, an account and the latest events are answered, and
#     the systemd watchdog keeps being fed.
#  2. The server is killed in the middle of the close; at its next start the
#     job resumes from its last recorded slice and ends: every account billed
#     once, the counts adding up to the accounts.
#  3. A scheduled close that fails (a write the database refuses) is retried
#     once its pause is over, and then settles what failed.
#  4. meterboxctl settle shows the progress and waits for the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

N=${CLOSE_ACCOUNTS:-100000}
[ -n "${PGDIR:-}" ] && N=${CLOSE_ACCOUNTS:-60000} # PostgreSQL closes some 6,000 a second
P=$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m)
T0=$(date -d "$P-01 00:00" +%s) T1=$(date -d "$(date +%Y-%m-01) 00:00" +%s)

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
api POST /api/v1/gateways '{"name":"gw-1"}'; expect 201
GW=$(j '["token"]')
api POST /api/v1/gateways '{"name":"bulk"}'; expect 201
now=$(date +%s) eff=$(date -d "2020-01-01 00:00" +%s)
if [ -n "${PGDIR:-}" ]; then
  series="FROM generate_series(1, $N) i" number="'A' || lpad(i::text, 7, '0')" addr="'B' || lpad((i - 1)::text, 7, '0')"
else
  series="FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $N) SELECT i FROM s)"
  number="printf('A%07d', i)" addr="printf('B%07d', i - 1)"
fi
sqlv "INSERT INTO accounts (number, mode, state, alarm1_fen, alarm2_fen, credit_limit_fen,
        reconnect_fen, created_at, updated_at)
      SELECT $number, CASE WHEN i % 2 = 1 THEN 'prepaid' ELSE 'monthly' END, 'active', 2000, 500,
        -100000000, 100, $now, $now $series;
      INSERT INTO meters (address, gateway_id, account_id, bound_at)
      SELECT $addr, CASE WHEN i <= 5 THEN 1 ELSE 2 END, i, $now $series;
      INSERT INTO account_tariffs SELECT i, $eff, '2020-01-01', 'cn-bj-residential', $now, 'test' $series;
      INSERT INTO supplies (account_id, meter_id, opened_how, from_seq, opened_at, opened_by)
      SELECT account_id, id, 'bind', 0, $now, 'test' FROM meters;
      INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
      SELECT id, 1, $T0, 'boundary', 0, 1000000 + id * 10, $now FROM meters;
      INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
      SELECT id, 2, $T1, 'boundary', 0, 1150000 + id * 10 + (id % 7) * 20000, $now FROM meters;
      UPDATE meters SET high_seq = 2;" >/dev/null || fail "populate"
stop_server

# Part 1 must kill a close that is still running. A close of 100,000 accounts
# takes about a second on SQLite, less than a few rounds of requests on a busy
# machine, so each bill is given a fixed cost until the kill: about 0.2 ms of
# hashing on SQLite, a 0.2 ms sleep on PostgreSQL. A slice of 10,000 then
# takes seconds on any machine. The trigger is dropped before the restart.
if [ -n "${PGDIR:-}" ]; then
  sqlv "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS
          \$\$ BEGIN PERFORM pg_sleep(0.0002); RETURN NEW; END \$\$;
        CREATE TRIGGER slow_bill BEFORE INSERT ON bills FOR EACH ROW EXECUTE FUNCTION slow();" >/dev/null
  unslow="DROP TRIGGER slow_bill ON bills"
else
  sqlv "CREATE TRIGGER slow_bill BEFORE INSERT ON bills
          BEGIN SELECT length(hex(randomblob(100000))); END;" >/dev/null
  unslow="DROP TRIGGER slow_bill"
fi

# 1. A close that answers at once, and a server that goes on answering.
/usr/bin/python3 - "$T/notify" "$T/pings" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "w", buffering=1) as f:
    while True:
        m = s.recv(4096).decode()
        f.write("%.3f %s\n" % (time.time(), m.replace("\n", " ")))
PY
PIDS+=($!)
wait_for 10 test -S "$T/notify" || fail "no notify socket"
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=400000 start_server "$T/server.conf" "$T/server.log"
t_start=$(date +%s.%N)
api POST /api/v1/settlements "{\"month\":\"$P\"}"; expect 202
JOB=$(j '["job"]')
[ "$(j '["state"]')" = running ] || fail "the job is not running: $(cat "$T/resp")"
grep -qiE "^Location: /api/v1/settlements/$((JOB + 1))" <(curl -s -D - -o /dev/null -H "Authorization: Bearer $ADMIN" \
  -d "{\"month\":\"$P\"}" "$URL/api/v1/settlements") || fail "no Location of a job"
progress() { api GET "/api/v1/settlements/$JOB"; expect 200; DONE=$(j '["done"]') STATE=$(j '["state"]'); }
seq=3 answered=0
while :; do
  progress
  [ "$STATE" = running ] || fail "the close ended ($DONE of $N) before it could be killed: raise CLOSE_ACCOUNTS"
  before=$DONE
  api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"B0000000\",\"seq\":$seq,\"ts\":$((T1 + 60 * seq)),\"import_wh\":$((1200000 + seq))}]}" "$GW"
  expect 200
  seq=$((seq + 1))
  api GET /api/v1/accounts/A0000002; expect 200
  api GET "/api/v1/events?limit=5"; expect 200
  progress
  if [ "$STATE" = running ] && [ "$DONE" -gt "$before" ] 2>/dev/null; then answered=$((answered + 1)); fi
  # killed with two slices (of 10,000) or more to go, so that it cannot end
  # on its own meanwhile
  [ "$answered" -ge 1 ] && [ "$DONE" -gt 0 ] && [ "$DONE" -le $((N - 20000)) ] && break
done
t_kill=$(date +%s.%N)
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
pings=$(awk -v a="$t_start" -v b="$t_kill" '$1 >= a && $1 <= b && /WATCHDOG=1/' "$T/pings" | wc -l)
[ "$pings" -ge 1 ] || fail "the watchdog was not fed during the close: $(cat "$T/pings")"
pass "202 at once; readings, an account and the events answered while the close went on ($answered rounds); $pings watchdog pings"

# 2. Killed at $DONE of $N: the next start resumes the job (on PostgreSQL,
# once the killed server's claim is a minute old).
killed_at=$DONE
sqlv "$unslow" >/dev/null
start_server "$T/server.conf" "$T/server.log"
wait_job "$JOB" || fail "the job did not end after the restart: $(cat "$T/resp")"
[ "$(j '["state"]')" = done ] || fail "job: $(cat "$T/resp")"
[ "$(j '["attempts"]')" = 2 ] && [ "$(j '["done"]')" = "$N" ] && [ "$(j '["total"]')" = "$N" ] ||
  fail "job after the resume: $(cat "$T/resp")"
[ $(($(j '["settled"]') + $(j '["already_settled"]'))) = "$N" ] && [ "$(j '["failed"]')" = 0 ] ||
  fail "counts after the resume: $(cat "$T/resp")"
grep -q "close job $JOB resumed" "$T/server.log" || fail "no resume logged"
[ "$(sqlv "SELECT count(*) FROM bills WHERE month = '$P' AND state = 'settled'")" = "$N" ] || fail "bills"
[ -z "$(sqlv "SELECT account_id FROM ledger WHERE month = '$P' AND kind IN ('bill', 'settle')
              GROUP BY account_id HAVING count(*) > 1")" ] || fail "an account posted twice"
[ "$(sqlv "SELECT count(*) FROM ledger WHERE month = '$P' AND kind = 'bill'")" = $((N / 2)) ] ||
  fail "monthly accounts' bill entries"
pass "killed at $killed_at of $N accounts, resumed at the next start: each billed once, $(j '["settled"]') + $(j '["already_settled"]') already"

# 3. A scheduled close that fails is retried after its pause.
stop_server
sqlv "INSERT INTO accounts (number, mode, state, alarm1_fen, alarm2_fen, credit_limit_fen,
        reconnect_fen, created_at, updated_at)
      VALUES ('LATE', 'monthly', 'active', 0, 0, 0, 0, $now, $now);
      INSERT INTO meters (address, gateway_id, account_id, bound_at)
      SELECT 'LATE-M', 2, id, $now FROM accounts WHERE number = 'LATE';
      INSERT INTO account_tariffs SELECT id, $eff, '2020-01-01', 'cn-bj-residential', $now, 'test'
        FROM accounts WHERE number = 'LATE';
      INSERT INTO supplies (account_id, meter_id, opened_how, from_seq, opened_at, opened_by)
      SELECT account_id, id, 'bind', 0, $now, 'test' FROM meters WHERE address = 'LATE-M';
      INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
      SELECT id, 1, $T0, 'boundary', 0, 1000, $now FROM meters WHERE address = 'LATE-M';
      INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
      SELECT id, 2, $T1, 'boundary', 0, 2000, $now FROM meters WHERE address = 'LATE-M';" >/dev/null
late=$(sqlv "SELECT id FROM accounts WHERE number = 'LATE'")
if [ -n "${PGDIR:-}" ]; then
  sqlv "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
          \$\$ BEGIN RAISE EXCEPTION 'this test refuses the bill'; END \$\$;
        CREATE TRIGGER refuse_bill BEFORE INSERT ON bills FOR EACH ROW
          WHEN (NEW.account_id = $late) EXECUTE FUNCTION refuse();" >/dev/null
  unrefuse="DROP TRIGGER refuse_bill ON bills"
else
  sqlv "CREATE TRIGGER refuse_bill BEFORE INSERT ON bills WHEN NEW.account_id = $late
          BEGIN SELECT RAISE(ABORT, 'this test refuses the bill'); END;" >/dev/null
  unrefuse="DROP TRIGGER refuse_bill"
fi
sed -i 's/^settlement = { enabled = false; };/settlement = { enabled = true; day = 1; time = "00:00"; };/' "$T/server.conf"
start_server "$T/server.conf" "$T/server.log"
sched() { sqlv "SELECT state || '|' || attempts || '|' || coalesce(retry_at - finished_at, -1) FROM close_jobs WHERE scheduled = 1 AND month = '$P'"; }
failed_once() { [ "$(sched)" = "failed|1|60" ]; }
wait_for 120 failed_once || fail "the scheduled close did not fail and wait a minute: $(sched)"
sqlv "$unrefuse; UPDATE close_jobs SET retry_at = retry_at - 60 WHERE scheduled = 1" >/dev/null # the minute passes
retried() { [ "$(sched | cut -d'|' -f1-2)" = "done|2" ]; }
wait_for 120 retried || fail "the failed scheduled close was not retried: $(sched)"
[ "$(sqlv "SELECT state FROM bills WHERE account_id = $late AND month = '$P'")" = settled ] || fail "LATE not billed"
pass "a scheduled close that failed waits (60 s after its first attempt), is retried, and bills what failed"

# 4. meterboxctl settle: progress, then the job; exit 0.
"$MB_CTL" --server "$URL" --token "$ADMIN" settle "$P" >"$T/ctl.out" 2>"$T/ctl.err" || fail "meterboxctl settle: $(cat "$T/ctl.err")"
grep -q "^state  *done$" "$T/ctl.out" && grep -q "^already settled  *$((N + 1))$" "$T/ctl.out" || fail "meterboxctl settle said: $(cat "$T/ctl.out")"
grep -q "$P: $((N + 1)) of $((N + 1)) accounts (100%)" "$T/ctl.err" || fail "no progress: $(cat "$T/ctl.err")"
pass "meterboxctl settle shows the progress and waits for the job"
