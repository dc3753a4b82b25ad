#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGKILL the server again and again while three gateways upload a month of
# readings concurrently (each in order, as an agent does, replaying from the
# start after every restart) and month closes run in a loop.  Afterwards:
# every reading stored once, one bill per account-month, ledger sum ==
# balance, and every account's ledger and bill exactly as on a control
# server that saw the same batches once, without kills.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
KILLS=${MB_KILLS:-6}

TARIFF=$MB_SRC/etc/tariffs/beijing-residential.conf
M0=$(at "2025-03-01 00:00"); M1=$(at "2025-04-01 00:00")

# Batches: gateway g has meters g1, g2; hourly readings over March with a
# boundary reading at both ends, 20 readings per meter per batch.
/usr/bin/python3 - "$T" "$M0" "$M1" <<'PY'
import json, sys, random
out, m0, m1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(7)
for g in range(1, 4):
    meters = [f"{g}{k}" for k in (1, 2)]
    series = {}
    for m in meters:
        wh, seq, rows, t = 1000000 * int(m), 0, [], m0
        while t <= m1 + 3600:
            seq += 1
            kind = "boundary" if t in (m0, m1) else "routine"
            rows.append({"meter": m, "seq": seq, "ts": t, "kind": kind, "import_wh": wh})
            wh += random.randint(0, 1500)
            t += 3600
        series[m] = rows
    n = 0
    for i in range(0, len(series[meters[0]]), 20):
        batch = []
        for m in meters:
            batch += series[m][i:i + 20]
        random.shuffle(batch)
        json.dump({"gateway": f"gw-{g}", "readings": batch}, open(f"{out}/g{g}.{n:03d}.json", "w"))
        n += 1
PY

setup() { # CONF: a server with tokens, gateways, accounts and tariff; writes $T/tok.*
  local dir=$1
  mkdir -p "$dir"
  cat >"$dir/server.conf" <<CONF
listen = { address = "127.0.0.1"; port = 0; threads = 4; };
$(db_conf "$dir")
timezone = "Asia/Shanghai";
settlement = { enabled = false; };
CONF
  ADMIN=$("$MB_SERVER" -c "$dir/server.conf" --create-token root)
  start_server "$dir/server.conf" "$dir/server.log"
  api POST /api/v1/tariffs "@$TARIFF"; expect 201
  for g in 1 2 3; do
    api POST /api/v1/gateways "{\"name\":\"gw-$g\"}"; expect 201
    j '["token"]' >"$dir/gw-$g.token"
    for k in 1 2; do
      mode=prepaid; [ $k = 2 ] && mode=monthly
      api POST /api/v1/accounts "{\"number\":\"A$g$k\",\"mode\":\"$mode\"}"; expect 201
      api PUT /api/v1/accounts/A$g$k/tariff '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'; expect 200
      api PUT /api/v1/meters/$g$k "{\"gateway\":\"gw-$g\",\"account\":\"A$g$k\"}"; expect 200
      api POST /api/v1/accounts/A$g$k/topups "{\"amount_fen\":100000,\"reference\":\"P$g$k\"}"; expect 201
    done
  done
}

# agent G DIR: upload gateway G's batches in order, as an agent does: resume
# at the last acknowledged batch (sending it again: its answer may have been
# lost), stop at the first failure.
agent() {
  local g=$1 dir=$2 tok f code i=0 from
  tok=$(cat "$dir/gw-$g.token")
  from=$(cat "$dir/gw-$g.acked" 2>/dev/null || echo 0)
  for f in "$T"/g$g.*.json; do
    i=$((i + 1))
    [ "$i" -ge "$from" ] || continue
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" \
      --data-binary "@$f" "$URL/api/v1/readings") || return 0
    [ "$code" = 200 ] || { [ "$code" = 000 ] && return 0; echo "agent $g: HTTP $code for $f" >>"$T/agent.err"; return 0; }
    echo "$i" >"$dir/gw-$g.acked"
  done
}
closer() { # keep closing March until the server dies (bounded)
  for _ in $(seq 1 200); do
    curl -s -o /dev/null -H "Authorization: Bearer $ADMIN" -d '{"month":"2025-03"}' \
      "$URL/api/v1/settlements" || return 0
    sleep 0.02
  done
}

# Control: the same batches once, in order, then the close.
setup "$T/control"
for g in 1 2 3; do agent $g "$T/control"; done
close_month 2025-03
[ "$(j '["settled"]')" = 6 ] || fail "control close: $(cat "$T/resp")"
stop_server
pass "control run: 6 accounts settled"

setup "$T/victim"
stop_server
for i in $(seq 1 "$KILLS"); do
  start_server "$T/victim/server.conf" "$T/victim/server.log"
  pids=()
  for g in 1 2 3; do agent $g "$T/victim" & pids+=($!); done
  closer & pids+=($!)
  sleep "0.$((RANDOM % 6))$((RANDOM % 10))"
  kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  for p in "${pids[@]}"; do wait "$p" || true; done
  echo "# kill $i: $(dbq "$T/victim" 'SELECT count(*) FROM readings') readings, $(dbq "$T/victim" "SELECT count(*) FROM bills WHERE state = 'settled'") bills settled"
done
pass "$KILLS kills during uploads and closes"
[ ! -s "$T/agent.err" ] || fail "uploads were refused: $(head -5 "$T/agent.err")"

start_server "$T/victim/server.conf" "$T/victim/server.log"
for g in 1 2 3; do agent $g "$T/victim"; done   # the rest
rm -f "$T"/victim/gw-*.acked
for g in 1 2 3; do agent $g "$T/victim"; done   # everything again: changes nothing
close_month 2025-03
close_month 2025-03
[ "$(j '["settled"]')" = 0 ] || fail "a second close settled again"
stop_server

V=$T/victim C=$T/control
if [ -z "${PGDIR:-}" ]; then
  [ "$(dbq "$V" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
fi
n_expected=$(cat "$T"/g*.json | grep -o '"seq"' | wc -l)
[ "$(dbq "$V" 'SELECT count(*) FROM readings')" = "$n_expected" ] || fail "readings stored $(dbq "$V" 'SELECT count(*) FROM readings') times, expected $n_expected"
pass "each of $n_expected readings stored once"
[ "$(dbq "$V" "SELECT count(*) FROM bills WHERE month = '2025-03' AND state = 'settled'")" = 6 ] || fail "bills"
[ -z "$(dbq "$V" "SELECT account_id FROM ledger WHERE kind IN ('bill','settle') GROUP BY account_id, month HAVING count(*) > 1")" ] \
  || fail "a month was posted twice"
pass "one bill and one close entry per account-month"
bad=$(dbq "$V" "SELECT number FROM accounts a WHERE balance_fen != (SELECT coalesce(sum(amount_fen), 0) FROM ledger WHERE account_id = a.id)")
[ -z "$bad" ] || fail "ledger sum != balance for $bad"
pass "ledger sum == balance for every account"
q="SELECT a.number, l.kind, l.month, l.amount_fen, l.balance_after_fen FROM ledger l JOIN accounts a ON a.id = l.account_id ORDER BY a.number, l.id"
diff <(dbq "$C" "$q") <(dbq "$V" "$q") >"$T/ledger.diff" || fail "ledger differs from the control run: $(head -20 "$T/ledger.diff")"
q="SELECT a.number, b.month, b.state, b.energy_wh, b.total_fen, b.posted_fen FROM bills b JOIN accounts a ON a.id = b.account_id ORDER BY 1, 2"
diff <(dbq "$C" "$q") <(dbq "$V" "$q") || fail "bills differ from the control run"
pass "ledgers and bills equal the control run's, entry by entry"
