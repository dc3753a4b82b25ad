#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two meterbox-servers on one PostgreSQL database (issue 9): every batch of
# two gateways is posted to both servers at the same moment, the same payment
# reference is topped up through both at once, the month is closed on both
# at once, and a gateway syncs through both at once.  Afterwards every reading
# is stored once and charged once (each prepaid bill posts 0 on top of its
# continuous deduction), there is one bill and one close entry per account,
# one trip per overdrawn monthly meter, one ledger entry per payment, and
# every ledger sums to its balance.
MB_DB_BACKEND=pg
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

TARIFF=$MB_SRC/etc/tariffs/beijing-residential.conf
M0=$(at "2025-03-01 00:00"); M1=$(at "2025-04-01 00:00")
NG=2 NM=8   # gateways, meters per gateway; half the accounts prepaid

/usr/bin/python3 - "$T" "$M0" "$M1" "$NG" "$NM" <<'PY'
import json, sys, random
out, m0, m1, ng, nm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
random.seed(11)
for g in range(1, ng + 1):
    series = {}
    for k in range(1, nm + 1):
        m, wh, seq, rows, t = f"M{g}{k:02d}", 1000000 * k, 0, [], m0
        while t <= m1 + 7200:
            seq += 1
            kind = "boundary" if t in (m0, m1) else "routine"
            rows.append({"meter": m, "seq": seq, "ts": t, "kind": kind, "import_wh": wh})
            wh += random.randint(0, 1200)
            t += 3 * 3600
        series[m] = rows
    n, length = 0, len(next(iter(series.values())))
    for i in range(0, length, 25):
        batch = [r for rows in series.values() for r in rows[i:i + 25]]
        random.shuffle(batch)
        json.dump({"gateway": f"gw-{g}", "readings": batch}, open(f"{out}/g{g}.{n:03d}.json", "w"))
        n += 1
PY

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root)
start_server "$T/server.conf" "$T/a.log"; URL_A=$URL
start_server "$T/server.conf" "$T/b.log"; URL_B=$URL
[ "$URL_A" != "$URL_B" ] || fail "both servers on one port"
URL=$URL_A
api POST /api/v1/tariffs "@$TARIFF"; expect 201
for g in $(seq 1 $NG); do
  api POST /api/v1/gateways "{\"name\":\"gw-$g\"}"; expect 201
  j '["token"]' >"$T/gw-$g.token"
  for k in $(seq 1 $NM); do k=$(printf %02d "$k")
    mode=prepaid; [ $((10#$k % 2)) = 0 ] && mode=monthly
    api POST /api/v1/accounts "{\"number\":\"A$g$k\",\"mode\":\"$mode\"}"; expect 201
    api PUT /api/v1/accounts/A$g$k/tariff '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'; expect 200
    api PUT /api/v1/meters/M$g$k "{\"gateway\":\"gw-$g\",\"account\":\"A$g$k\"}"; expect 200
    [ $mode = prepaid ] && { api POST /api/v1/accounts/A$g$k/topups "{\"amount_fen\":100000,\"reference\":\"P$g$k\"}"; expect 201; }
  done
done
N=$((NG * NM))
pass "two servers on one database; $N accounts set up through the first"

# post FILE TOKEN: the same batch to both servers at the same moment
both() { # PATH BODY-ARG TOKEN OUT-PREFIX
  curl -s -o "$4.a" -w '%{http_code}\n' -H "Authorization: Bearer $3" --data-binary "$2" "$URL_A$1" >"$4.a.code" &
  local p=$!
  curl -s -o "$4.b" -w '%{http_code}\n' -H "Authorization: Bearer $3" --data-binary "$2" "$URL_B$1" >"$4.b.code"
  wait $p
}
upload() { # G: every batch of gateway G through both servers at once
  local g=$1 tok f
  tok=$(cat "$T/gw-$g.token")
  for f in "$T"/g$g.*.json; do
    both /api/v1/readings "@$f" "$tok" "$T/up$g"
    for s in a b; do
      [ "$(cat "$T/up$g.$s.code")" = 200 ] || echo "$f via $s: $(cat "$T/up$g.$s.code") $(cat "$T/up$g.$s")" >>"$T/upload.err"
    done
  done
}
pids=()
for g in $(seq 1 $NG); do upload $g & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
[ ! -s "$T/upload.err" ] || fail "uploads refused: $(head -3 "$T/upload.err")"
n_expected=$(cat "$T"/g*.json | grep -o '"seq"' | wc -l)
[ "$(sqlv 'SELECT count(*) FROM readings')" = "$n_expected" ] || fail "readings: $(sqlv 'SELECT count(*) FROM readings'), expected $n_expected"
[ -z "$(sqlv 'SELECT meter_id, seq FROM readings GROUP BY meter_id, seq HAVING count(*) > 1')" ] || fail "a reading stored twice"
[ "$(sqlv 'SELECT count(*) FROM meters WHERE high_seq = (SELECT max(seq) FROM readings r WHERE r.meter_id = meters.id)')" = "$N" ] || fail "high-water marks"
pass "every batch through both servers at once: each of $n_expected readings stored once"

# The same payment reference through both servers at once: credited once.
both /api/v1/accounts/A101/topups '{"amount_fen":777,"reference":"RACE-1"}' "$ADMIN" "$T/top"
codes=$(cat "$T/top.a.code" "$T/top.b.code" | sort | tr '\n' ' ')
[ "$codes" = "200 201 " ] || fail "racing top-ups answered $codes"
[ "$(sqlv "SELECT count(*) FROM ledger WHERE reference = 'RACE-1'")" = 1 ] || fail "racing top-up posted twice"
pass "one payment reference through both servers at once: one ledger entry (201 + duplicate 200)"

# The same reference to two accounts at once, one through each server: each
# locks its own account, so both find the reference unused; the loser's
# INSERT meets the winner's row and must answer 409, not 500.
for i in $(seq 1 8); do
  curl -s -o "$T/x.a" -w '%{http_code}\n' -H "Authorization: Bearer $ADMIN" \
    --data-binary "{\"amount_fen\":55,\"reference\":\"RACE2-$i\"}" "$URL_A/api/v1/accounts/A103/topups" >"$T/x.a.code" &
  p=$!
  curl -s -o "$T/x.b" -w '%{http_code}\n' -H "Authorization: Bearer $ADMIN" \
    --data-binary "{\"amount_fen\":55,\"reference\":\"RACE2-$i\"}" "$URL_B/api/v1/accounts/A105/topups" >"$T/x.b.code"
  wait $p
  codes=$(cat "$T/x.a.code" "$T/x.b.code" | sort | tr '\n' ' ')
  [ "$codes" = "201 409 " ] || fail "RACE2-$i to two accounts answered $codes: $(cat "$T/x.a" "$T/x.b")"
  [ "$(sqlv "SELECT count(*) FROM ledger WHERE reference = 'RACE2-$i'")" = 1 ] || fail "RACE2-$i posted twice"
done
pass "one payment reference to two accounts at once, 8 times: 201 + 409, one ledger entry each"

# Month close on both servers at the same moment.
both /api/v1/settlements '{"month":"2025-03"}' "$ADMIN" "$T/close"
[ "$(cat "$T/close.a.code")" = 202 ] && [ "$(cat "$T/close.b.code")" = 202 ] || fail "close: $(cat "$T/close.a" "$T/close.b")"
wait_job "$(j '["job"]' "$T/close.a")" "$URL_A" "$ADMIN" "$T/close.a" || fail "job A: $(cat "$T/close.a")"
wait_job "$(j '["job"]' "$T/close.b")" "$URL_B" "$ADMIN" "$T/close.b" || fail "job B: $(cat "$T/close.b")"
settled=$(( $(j '["settled"]' "$T/close.a") + $(j '["settled"]' "$T/close.b") ))
already=$(( $(j '["already_settled"]' "$T/close.a") + $(j '["already_settled"]' "$T/close.b") ))
[ "$settled" = "$N" ] && [ "$already" = "$N" ] || fail "settled $settled + already $already (expected $N + $N): $(cat "$T/close.a" "$T/close.b")"
[ "$(sqlv "SELECT count(*) FROM bills WHERE month = '2025-03' AND state = 'settled'")" = "$N" ] || fail "bills"
[ -z "$(sqlv "SELECT account_id FROM ledger WHERE kind IN ('bill','settle') GROUP BY account_id, month HAVING count(*) > 1")" ] || fail "a month posted twice"
[ "$(sqlv "SELECT count(*) FROM ledger WHERE kind IN ('bill','settle') AND month = '2025-03'")" = "$N" ] || fail "close entries"
pass "month close on both servers at once: $N bills, one close entry per account ($settled settled, $already already)"

# Charged once: continuous deduction of a prepaid account equals its bill, so
# the close posts 0; a double charge would leave posted_fen = +total.
bad=$(sqlv "SELECT a.number, b.total_fen, b.charged_fen, b.posted_fen FROM bills b JOIN accounts a ON a.id = b.account_id WHERE a.mode = 'prepaid' AND (b.posted_fen != 0 OR b.charged_fen != b.total_fen OR b.total_fen <= 0)")
[ -z "$bad" ] || fail "prepaid accounts charged other than once: $bad"
bad=$(sqlv "SELECT a.number FROM accounts a WHERE a.balance_fen != (SELECT coalesce(sum(amount_fen), 0) FROM ledger l WHERE l.account_id = a.id)")
[ -z "$bad" ] || fail "ledger sum != balance for $bad"
pass "each reading charged once (prepaid: charged == bill, posted 0); ledger sums equal balances"

# Every monthly account is overdrawn by its bill; the close cuts nothing,
# dunning does (srv_dunning.c): with terms of no days and a trip at once,
# two passes on both servers at the same moment (an alarm, then a trip):
# one trip each, not two.
[ "$(sqlv "SELECT count(*) FROM commands WHERE op = 'trip'")" = 0 ] || fail "the close queued trips"
sqlv "UPDATE accounts SET due_days = 0, grace_days = 0, overdue_trip_days = 0 WHERE mode = 'monthly';
      UPDATE bills SET due_at = settled_at, grace_until = settled_at WHERE dunning = 'open'" >/dev/null
both /api/v1/dunning '{}' "$ADMIN" "$T/dun1"
both /api/v1/dunning '{}' "$ADMIN" "$T/dun2"
trips=$(sqlv "SELECT count(*) FROM commands WHERE op = 'trip'")
[ "$trips" = $((N / 2)) ] || fail "$trips trips queued, expected $((N / 2))"
[ -z "$(sqlv "SELECT meter_id FROM commands GROUP BY meter_id HAVING count(*) > 1")" ] || fail "a meter got two trips"
# A gateway syncing through both servers at once gets its trips delivered.
tok=$(cat "$T/gw-1.token")
both /api/v1/readings '{"gateway":"gw-1","readings":[]}' "$tok" "$T/sync"
[ "$(cat "$T/sync.a.code") $(cat "$T/sync.b.code")" = "200 200" ] || fail "sync"
[ "$(sqlv "SELECT count(*) FROM commands c JOIN meters m ON m.id = c.meter_id JOIN gateways g ON g.id = m.gateway_id WHERE g.name = 'gw-1' AND c.state = 'delivered'")" = $((NM / 2)) ] \
  || fail "delivery: $(sqlv 'SELECT id, meter_id, state FROM commands')"
pass "one trip per overdrawn monthly meter; delivered through two servers at once"

kill -TERM "${PIDS[-1]}" "${PIDS[-2]}"
wait "${PIDS[-1]}" "${PIDS[-2]}" || fail "servers did not stop cleanly"
! grep -q "ERROR\|error:" "$T/a.log" "$T/b.log" || fail "errors logged: $(grep -h "ERROR\|error:" "$T/a.log" "$T/b.log" | head -5)"
pass "both servers stop cleanly, nothing logged as an error"
