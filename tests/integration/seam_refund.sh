#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Refunds and adjustments keep the ledger's sum equal to the balance; a
# refund above the balance is refused with the balance (409) unless the
# operator says it is meant, over the API and with meterboxctl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"

api POST /api/v1/accounts '{"number":"R1","mode":"prepaid"}'; expect 201
api POST /api/v1/accounts/R1/topups '{"amount_fen":10000,"reference":"P1"}'; expect 201

# 100.01 yuan from 100.00: refused, nothing posted, the balance said
api POST /api/v1/accounts/R1/refunds '{"amount_fen":10001,"reason":"closing"}'; expect 409
[ "$(j '["error"]["code"]')" = insufficient_balance ] && [ "$(j '["error"]["balance_fen"]')" = 10000 ] \
  && [ "$(j '["error"]["field"]')" = amount_fen ] || fail "409 body: $(cat "$T/resp")"
[ "$(sqlv "SELECT count(*) FROM ledger")" = 1 ] || fail "a refused refund was posted"
pass "a refund above the balance is refused: 409 insufficient_balance, balance_fen 10000"

# exactly the balance: fine; then 1.00 more, said on purpose: fine
api POST /api/v1/accounts/R1/refunds '{"amount_fen":10000,"reason":"closing"}'; expect 201
[ "$(j '["entry"]["balance_after_fen"]')" = 0 ] || fail "refund of the balance: $(cat "$T/resp")"
api POST /api/v1/accounts/R1/refunds '{"amount_fen":100,"reason":"deposit back","over_balance":true}'; expect 201
[ "$(j '["entry"]["balance_after_fen"]')" = -100 ] || fail "over_balance refund: $(cat "$T/resp")"
api POST /api/v1/accounts/R1/topups '{"amount_fen":100,"over_balance":true,"reference":"P2"}'; expect 400
pass "a refund of the whole balance, and one beyond it when stated (-1.00)"

export METERBOX_TOKEN=$ADMIN
if "$MB_CTL" refund R1 0.50 --reason test 2>"$T/err"; then fail "meterboxctl refunded above the balance"; fi
grep -q "balance of -100 fen" "$T/err" || fail "meterboxctl message: $(cat "$T/err")"
"$MB_CTL" refund R1 0.50 --reason test --over-balance yes >/dev/null || fail "meterboxctl --over-balance yes"
api POST /api/v1/accounts/R1/adjustments '{"amount_fen":-25,"reason":"meter test energy"}'; expect 201
api GET /api/v1/accounts/R1/ledger
[ "$(j '["balance_fen"]')" = -175 ] || fail "balance: $(cat "$T/resp")"
bad=$(sqlv "SELECT a.number FROM accounts a WHERE a.balance_fen != (SELECT coalesce(sum(amount_fen),0) FROM ledger l WHERE l.account_id = a.id)")
[ -z "$bad" ] || fail "ledger sum != balance for $bad"
pass "meterboxctl refund --over-balance yes; ledger sum = balance (-1.75)"
