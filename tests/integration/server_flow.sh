#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole money path against a real server: gateway, accounts on the
# Beijing tariff, a month of readings (with boundary readings), replays, a
# double top-up, a double month close, a held month that settles when its
# boundary arrives; every amount checked to the fen.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
"$MB_SERVER" -t -c "$T/server.conf" >/dev/null || fail "config check"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
OPER=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
start_server "$T/server.conf" "$T/server.log"

TARIFF=$MB_SRC/etc/tariffs/beijing-residential.conf
[ -f "$TARIFF" ] || TARIFF=$(dirname "$0")/../data/server/beijing-residential.conf

api POST /api/v1/gateways '{"name":"gw-1","region":"110105"}'; expect 201
GW=$(j '["token"]')
api POST /api/v1/tariffs "@$TARIFF"; expect 201
api POST /api/v1/tariffs "@$TARIFF"; expect 200   # same text: not a new load
[ "$(j '["created"]')" = false ] || fail "reloading the same tariff made a new one"
for n in 1 2 3; do
  mode=prepaid; [ $n = 2 ] && mode=monthly
  api POST /api/v1/accounts "{\"number\":\"110000000$n\",\"holder\":\"Holder $n\",\"region\":\"110105\",\"mode\":\"$mode\"}"
  expect 201
  api PUT /api/v1/accounts/110000000$n/tariff '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'
  expect 200
  api PUT /api/v1/meters/00000000000$n "{\"gateway\":\"gw-1\",\"account\":\"110000000$n\",\"address\":\"Room $n\"}"
  expect 200
done
pass "gateway, tariff, three accounts and their meters"

# Top-up twice with the same payment reference: credited once.
api POST /api/v1/accounts/1100000001/topups '{"amount_fen":50000,"reference":"PAY-0001"}'; expect 201
api POST /api/v1/accounts/1100000001/topups '{"amount_fen":50000,"reference":"PAY-0001"}'; expect 200
[ "$(j '["duplicate"]')" = true ] || fail "second top-up not reported as a duplicate"
api POST /api/v1/accounts/1100000001/topups '{"amount_fen":50001,"reference":"PAY-0001"}'; expect 409
[ "$(j '["error"]["field"]')" = reference ] || fail "conflict does not name the reference"
api GET /api/v1/accounts/1100000001; [ "$(j '["balance_fen"]')" = 50000 ] || fail "balance after double top-up"
pass "top-up with a repeated reference credited once"

M0=$(at "2025-03-01 00:00"); M1=$(at "2025-04-01 00:00"); D=86400
# Meter 1 (prepaid): 500 kWh in March, in two batches.
cat >"$T/b1.json" <<JSON
{"gateway":"gw-1","sent_at":$((M0 + 10*D)),"readings":[
 {"meter":"000000000001","seq":1,"ts":$M0,"kind":"boundary","import_wh":1000000},
 {"meter":"000000000002","seq":1,"ts":$M0,"kind":"boundary","import_wh":2000000},
 {"meter":"000000000001","seq":2,"ts":$((M0 + 5*D)),"kind":"routine","import_wh":1100000},
 {"meter":"000000000003","seq":1,"ts":$M0,"kind":"boundary","import_wh":3000000},
 {"meter":"000000000001","seq":3,"ts":$((M0 + 10*D)),"kind":"routine","import_wh":1300000},
 {"meter":"000000000002","seq":2,"ts":$((M0 + 10*D)),"kind":"routine","import_wh":2100000}],
 "events":[{"id":1,"meter":"000000000001","ts":$((M0 + 5*D)),"type":"alarm1","reason":"low"}]}
JSON
cat >"$T/b2.json" <<JSON
{"gateway":"gw-1","sent_at":$((M1 + 60)),"readings":[
 {"meter":"000000000001","seq":4,"ts":$((M0 + 20*D)),"import_wh":1450000},
 {"meter":"000000000003","seq":2,"ts":$((M0 + 20*D)),"import_wh":3240000},
 {"meter":"000000000001","seq":5,"ts":$M1,"kind":"boundary","import_wh":1500000},
 {"meter":"000000000002","seq":3,"ts":$M1,"kind":"boundary","import_wh":2200000}]}
JSON
api POST /api/v1/readings "@$T/b1.json" "$GW"; expect 200
# Continuous deduction after b1: meter 1 used 300 kWh (1000000 -> 1300000):
#   240 kWh x 0.4883 = 117.192 -> 117.19;  60 kWh x 0.5383 = 32.298 -> 32.30
#   total 149.49 yuan = 14949 fen; balance 50000 - 14949 = 35051
[ "$(j '["meters"][0]["balance_fen"]')" = 35051 ] || fail "balance after b1: $(cat "$T/resp")"
[ "$(j '["acked"]["events_upto"]')" = 1 ] || fail "events_upto"
api POST /api/v1/readings "@$T/b2.json" "$GW"; expect 200
cp "$T/resp" "$T/after_b2.json"
# After b2, March's accumulator holds all 500 kWh: the interval that ends at
# the boundary reading of 04-01 00:00 belongs to March, the month that
# reading closes (docs/wire.md), so March's charges are exactly its bill:
#   240 x 0.4883 = 117.192 -> 117.19; 160 x 0.5383 = 86.128 -> 86.13;
#   100 x 0.7883 =  78.830 ->  78.83; total 282.15
# so b2 posts 28215 - 14949 = 13266.  Balance: 50000 - 28215 = 21785.
[ "$(j '["meters"][0]["balance_fen"]')" = 21785 ] || fail "balance after b2: $(cat "$T/resp")"
[ "$(j '["meters"][0]["acc"]["month"]')" = 2025-03 ] || fail "acc month"
[ "$(j '["meters"][0]["acc"]["lines"][2]["exact"]')" = 788300000 ] || fail "acc exact line"
[ "$(j '["meters"][0]["ref"]["seq"]')" = 5 ] || fail "ref seq"
# Meter 2 is monthly: nothing deducted, a provisional charge accrues.
[ "$(j '["meters"][1]["balance_fen"]')" = 0 ] || fail "monthly account was deducted"
pass "continuous deduction to the fen (35051, then 21785)"

readings=$(sqlv "SELECT count(*) FROM readings"); entries=$(sqlv "SELECT count(*) FROM ledger")
api POST /api/v1/readings "@$T/b1.json" "$GW"; expect 200
api POST /api/v1/readings "@$T/b2.json" "$GW"; expect 200
[ "$(j '["meters"][0]["balance_fen"]')" = 21785 ] || fail "replay changed the balance"
[ "$(sqlv "SELECT count(*) FROM readings")" = "$readings" ] || fail "replay stored readings twice"
[ "$(sqlv "SELECT count(*) FROM ledger")" = "$entries" ] || fail "replay posted ledger entries"
pass "replaying both batches changes nothing"

# A stored reading with another value: 409 naming its index; nothing stored.
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"000000000002\",\"seq\":4,\"ts\":$((M1+D)),\"import_wh\":2300000},{\"meter\":\"000000000001\",\"seq\":3,\"ts\":$((M0 + 10*D)),\"import_wh\":1300001}]}" "$GW"
expect 409
[ "$(j '["error"]["field"]')" = "readings[1]" ] || fail "conflict field: $(cat "$T/resp")"
[ "$(sqlv "SELECT count(*) FROM readings WHERE meter_id = (SELECT id FROM meters WHERE address = '000000000002') AND seq = 4")" = 0 ] \
  || fail "a rejected batch stored part of itself"
pass "a conflicting reading rejects the whole batch (409, readings[1])"

# Month close, twice.
close_month 2025-03
[ "$(j '["settled"]')" = 2 ] && [ "$(j '["held"]')" = 1 ] || fail "first close: $(cat "$T/resp")"
close_month 2025-03
[ "$(j '["settled"]')" = 0 ] && [ "$(j '["already_settled"]')" = 2 ] || fail "second close: $(cat "$T/resp")"
# Meter 1 bill: 500 kWh = 117.19 + 86.13 + 78.83 = 282.15 yuan (28215 fen);
# March's continuous charges were the same 28215, so the close posts 0.
api GET /api/v1/accounts/1100000001/bills/2025-03
[ "$(j '["total_fen"]')" = 28215 ] || fail "bill 1 total: $(cat "$T/resp")"
[ "$(j '["energy_wh"]')" = 500000 ] || fail "bill 1 energy"
[ "$(j '["posted_fen"]')" = 0 ] || fail "bill 1 posted"
[ "$(j '["charged_fen"]')" = 28215 ] || fail "bill 1 charged"
[ "$(j '["lines"][2]["fen"]')" = 7883 ] || fail "bill 1 third line"
api GET /api/v1/accounts/1100000001; [ "$(j '["balance_fen"]')" = 21785 ] || fail "balance 1 after close"
# 50000 - 28215 = 21785: nothing charged twice, nothing to carry into April
# Meter 2 (monthly): 200 kWh x 0.4883 = 97.66 -> 9766 fen, deducted at close;
# the bill is issued with a due date (15 days, then 10 of grace: server.conf
# defaults) and nothing is cut at the close (srv_dunning.c).
api GET /api/v1/accounts/1100000002/bills/2025-03
[ "$(j '["total_fen"]')" = 9766 ] && [ "$(j '["posted_fen"]')" = -9766 ] || fail "bill 2: $(cat "$T/resp")"
[ "$(j '["dunning"]')" = open ] && [ $(($(j '["due_at"]') - $(j '["settled_at"]'))) = $((15 * 86400)) ] \
  && [ $(($(j '["grace_until"]') - $(j '["due_at"]'))) = $((10 * 86400)) ] || fail "bill 2 terms: $(cat "$T/resp")"
api GET /api/v1/accounts/1100000002; [ "$(j '["balance_fen"]')" = -9766 ] || fail "balance 2"
api GET /api/v1/meters/000000000002/commands
[ "$(j "[\"commands\"].__len__()")" = 0 ] || fail "the close queued a command for a monthly account: $(cat "$T/resp")"
[ "$(sqlv "SELECT count(*) FROM bills WHERE month = '2025-03' AND state = 'settled'")" = 2 ] || fail "bills"
[ "$(sqlv "SELECT count(*) FROM ledger WHERE kind IN ('bill','settle') AND month = '2025-03'")" = 2 ] || fail "one ledger entry per bill"
pass "month close twice: one bill and one ledger entry per account (28215, 9766; balances 21785, -9766); no trip at the close"

# Meter 3 is held for its missing April boundary; it settles when it arrives.
api GET /api/v1/accounts/1100000003/bills/2025-03
[ "$(j '["state"]')" = held ] && [ "$(j '["flags"]')" = '["missing_boundary"]' ] || fail "bill 3 not held: $(cat "$T/resp")"
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"000000000003\",\"seq\":3,\"ts\":$((M1 + 30)),\"kind\":\"boundary\",\"import_wh\":3240000}]}" "$GW"
expect 200
api GET /api/v1/accounts/1100000003/bills/2025-03
# 240 kWh x 0.4883 = 117.192 -> 11719 fen; continuous charges in March were
# the same 11719, so the close posts 0; balance -11719.
[ "$(j '["state"]')" = settled ] && [ "$(j '["total_fen"]')" = 11719 ] && [ "$(j '["posted_fen"]')" = 0 ] \
  || fail "bill 3 after its boundary: $(cat "$T/resp")"
api GET /api/v1/accounts/1100000003/ledger; [ "$(j '["balance_fen"]')" = -11719 ] || fail "balance 3"
pass "a held month settles when its boundary reading arrives (11719)"

# Every account: ledger sum == balance, and each entry's balance_after chains.
bad=$(sqlv "SELECT a.number FROM accounts a WHERE a.balance_fen != (SELECT coalesce(sum(amount_fen),0) FROM ledger l WHERE l.account_id = a.id)")
[ -z "$bad" ] || fail "ledger sum != balance for $bad"
pass "ledger sums equal balances"

# Commands: an admin trip, delivered on the next sync, done by a command_result.
api POST /api/v1/meters/000000000001/commands '{"op":"trip","reason":"inspection"}'; expect 201
CMD=$(j '["id"]')
api POST /api/v1/readings '{"gateway":"gw-1","readings":[]}' "$GW"; expect 200
[ "$(j '["meters"][0]["commands"][0]["id"]')" = "$CMD" ] || fail "command not delivered"
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"events\":[{\"id\":2,\"ts\":$M1,\"meter\":\"000000000001\",\"type\":\"command_result\",\"data\":{\"command\":$CMD,\"state\":\"done\",\"relay\":\"open\"}}]}" "$GW"
expect 200
api GET /api/v1/meters/000000000001/commands
[ "$(j '["commands"][0]["state"]')" = done ] && [ "$(j '["commands"][0]["relay"]')" = open ] || fail "command state: $(cat "$T/resp")"
pass "commands: pending -> delivered -> done"

# meterboxctl against the same server.
export METERBOX_TOKEN=$OPER
"$MB_CTL" account show 1100000001 >"$T/ctl.txt" || fail "meterboxctl account show"
grep -q "21785\|217.85" "$T/ctl.txt" || fail "meterboxctl shows the balance: $(cat "$T/ctl.txt")"
"$MB_CTL" ledger 1100000001 --json >"$T/ctl.json" || fail "meterboxctl ledger"
[ "$(j '["balance_fen"]' "$T/ctl.json")" = 21785 ] || fail "meterboxctl --json"
"$MB_CTL" bill show 1100000001 2025-03 >"$T/ctl.txt" || fail "meterboxctl bill show"
grep -q "282.15" "$T/ctl.txt" || fail "bill table: $(cat "$T/ctl.txt")"
if "$MB_CTL" topup 1100000001 10.00 --reference PAY-X 2>"$T/ctl.err"; then fail "operator token topped up"; fi
grep -q "403\|forbidden\|may not" "$T/ctl.err" || fail "meterboxctl error: $(cat "$T/ctl.err")"
METERBOX_TOKEN=$ADMIN "$MB_CTL" topup 1100000001 10.00 --reference PAY-0002 >/dev/null || fail "ctl topup"
METERBOX_TOKEN=$ADMIN "$MB_CTL" topup 1100000001 10.00 --reference PAY-0002 >/dev/null || fail "ctl topup again"
api GET /api/v1/accounts/1100000001; [ "$(j '["balance_fen"]')" = 22785 ] || fail "ctl top-up credited twice?"
pass "meterboxctl: tables, --json, top-up once, operator refused"

stop_server
pass "clean shutdown on SIGTERM"
