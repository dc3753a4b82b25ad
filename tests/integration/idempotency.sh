#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Writes sent again (docs/api.md, Retries): a client that got no answer, or
# a 503 during a failover, sends the same request again and it is stored
# once.  Account creation is idempotent by number (the same create answers
# 200 with the account, another one 409), refunds and adjustments by their
# reference as top-ups are (200 "duplicate" with the first entry; another
# amount, kind or account 409), even where the first one took the balance
# below what a refund may take.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"

# -- accounts, by number
body='{"number":"I1","holder":"张三","region":"110105","mode":"monthly","due_days":20}'
api POST /api/v1/accounts "$body"; expect 201
created=$(j '["created_at"]')
api POST /api/v1/accounts "$body"; expect 200
[ "$(j '["number"]')" = I1 ] && [ "$(j '["holder"]')" = 张三 ] && [ "$(j '["mode"]')" = monthly ] &&
  [ "$(j '["created_at"]')" = "$created" ] || fail "the same create again: $(cat "$T/resp")"
# what was defaulted the first time, given the second: the same account
api POST /api/v1/accounts '{"number":"I1","holder":"张三","region":"110105","mode":"monthly","due_days":20,"state":"active","protected":false}'
expect 200
api POST /api/v1/accounts '{"number":"I1","holder":"李四","region":"110105","mode":"monthly","due_days":20}'; expect 409
[ "$(j '["error"]["code"]')" = exists ] && [ "$(j '["error"]["field"]')" = number ] || fail "409: $(cat "$T/resp")"
api POST /api/v1/accounts '{"number":"I1","holder":"张三","region":"110105","mode":"monthly"}'; expect 409
[ "$(sqlv "SELECT count(*) FROM accounts WHERE number = 'I1'")" = 1 ] || fail "accounts"
pass "POST /accounts again: 200 with the account as created; other fields (holder, due_days dropped) 409 exists"

# -- refunds and adjustments, by reference
api POST /api/v1/accounts '{"number":"I2","mode":"prepaid"}'; expect 201
api POST /api/v1/accounts/I2/topups '{"amount_fen":1000,"reference":"IP-1"}'; expect 201
api POST /api/v1/accounts/I2/refunds '{"amount_fen":800,"reason":"closing","reference":"IR-1"}'; expect 201
first=$(j '["entry"]["id"]')
[ "$(j '["duplicate"]')" = false ] || fail "refund: $(cat "$T/resp")"
# sent again: 800 is now above the balance of 200, yet it is the same refund
api POST /api/v1/accounts/I2/refunds '{"amount_fen":800,"reason":"closing","reference":"IR-1"}'; expect 200
[ "$(j '["duplicate"]')" = true ] && [ "$(j '["entry"]["id"]')" = "$first" ] &&
  [ "$(j '["entry"]["amount_fen"]')" = -800 ] || fail "refund again: $(cat "$T/resp")"
api POST /api/v1/accounts/I2/refunds '{"amount_fen":700,"reason":"closing","reference":"IR-1"}'; expect 409
[ "$(j '["error"]["code"]')" = conflict ] && [ "$(j '["error"]["field"]')" = reference ] || fail "409: $(cat "$T/resp")"
api POST /api/v1/accounts/I1/refunds '{"amount_fen":800,"reason":"closing","reference":"IR-1","over_balance":true}'; expect 409
api POST /api/v1/accounts/I2/adjustments '{"amount_fen":800,"reason":"closing","reference":"IR-1"}'; expect 409
pass "a refund sent again: 200 duplicate with its first entry (not 409 above the balance); another amount, account or kind 409"

api POST /api/v1/accounts/I2/adjustments '{"amount_fen":-25,"reason":"meter test energy","reference":"IJ-1"}'; expect 201
first=$(j '["entry"]["id"]')
api POST /api/v1/accounts/I2/adjustments '{"amount_fen":-25,"reason":"meter test energy","reference":"IJ-1"}'; expect 200
[ "$(j '["duplicate"]')" = true ] && [ "$(j '["entry"]["id"]')" = "$first" ] || fail "adjustment again: $(cat "$T/resp")"
api POST /api/v1/accounts/I2/adjustments '{"amount_fen":25,"reason":"meter test energy","reference":"IJ-1"}'; expect 409
api POST /api/v1/accounts/I2/topups '{"amount_fen":25,"reference":"IJ-1"}'; expect 409
export METERBOX_TOKEN=$ADMIN
"$MB_CTL" adjust I2 -0.25 --reason "meter test energy" --reference IJ-1 >"$T/ctl.out" || fail "meterboxctl adjust again"
grep -q "already recorded" "$T/ctl.out" || fail "meterboxctl said: $(cat "$T/ctl.out")"
pass "an adjustment sent again (API, meterboxctl): 200 duplicate; the reference in another amount or kind 409"

api GET /api/v1/accounts/I2/ledger
[ "$(j '["balance_fen"]')" = 175 ] && [ "$(sqlv "SELECT count(*) FROM ledger l JOIN accounts a ON a.id = l.account_id WHERE a.number = 'I2'")" = 3 ] ||
  fail "ledger: $(cat "$T/resp")"
bad=$(sqlv "SELECT a.number FROM accounts a WHERE a.balance_fen != (SELECT coalesce(sum(amount_fen),0) FROM ledger l WHERE l.account_id = a.id)")
[ -z "$bad" ] || fail "ledger sum != balance for $bad"
pass "one top-up, one refund, one adjustment: balance 1.75, the ledger sums to it"
