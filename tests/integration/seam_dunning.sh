#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Postpaid dunning: a monthly bill is issued with a due date and grace; the
# close cuts nothing; past due + grace an overdue alarm, then a trip only
# where the account's terms ask for one; paying cancels what is pending and
# brings a cut supply back.  Prepaid: a trip queued by the close is
# cancelled when a top-up lifts the balance to the reconnect threshold
# before it is delivered.  Beijing tier 1 at 0.4883 throughout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"

api POST /api/v1/gateways '{"name":"gw-1"}'; expect 201; GW=$(j '["token"]')
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
account() { # NUMBER MODE TERMS-JSON
  api POST /api/v1/accounts "{\"number\":\"$1\",\"mode\":\"$2\"$3}"; expect 201
  api PUT "/api/v1/accounts/$1/tariff" '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'; expect 200
  api PUT "/api/v1/meters/M$1" "{\"gateway\":\"gw-1\",\"account\":\"$1\"}"; expect 200
}
# D1 and D2 due at once (no days of grace); D1 is cut the moment it is
# overdue, D2 never (server.conf's -1); D3 has credit; P1 prepaid.
account D1 monthly ',"due_days":0,"grace_days":0,"overdue_trip_days":0'
account D2 monthly ',"due_days":0,"grace_days":0'
account D3 monthly ''
account P1 prepaid ''
api POST /api/v1/accounts/D3/topups '{"amount_fen":10000,"reference":"D3-1"}'; expect 201
api POST /api/v1/accounts/P1/topups '{"amount_fen":1000,"reference":"P1-1"}'; expect 201
M0=$(at "2025-03-01 00:00"); M1=$(at "2025-04-01 00:00")
rd() { printf '{"meter":"M%s","seq":%s,"ts":%s,"import_wh":%s}' "$1" "$2" "$3" "$4"; }
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[$(rd D1 1 "$M0" 0),$(rd D1 2 "$M1" 200000),$(rd D2 1 "$M0" 0),$(rd D2 2 "$M1" 100000),$(rd D3 1 "$M0" 0),$(rd D3 2 "$M1" 100000),$(rd P1 1 "$M0" 0),$(rd P1 2 "$M1" 100000)]}" "$GW"
expect 200

# D1 200 kWh = 97.66; D2, D3, P1 100 kWh = 48.83.  P1 (prepaid) was
# charged 48.83 continuously: 10.00 - 48.83 = -38.83.
close_month 2025-03
[ "$(j '["settled"]')" = 4 ] || fail "close: $(cat "$T/resp")"
trips() { sqlv "SELECT c.state FROM commands c JOIN meters m ON m.id = c.meter_id WHERE m.address = 'M$1' AND c.op = '${2:-trip}' ORDER BY c.id"; }
for n in D1 D2 D3; do
  [ -z "$(trips $n)" ] || fail "the close queued a trip for monthly $n"
done
[ "$(trips P1)" = pending ] || fail "P1: no trip queued by the close: $(trips P1)"
api GET /api/v1/accounts/D1/bills/2025-03
[ "$(j '["total_fen"]')" = 9766 ] && [ "$(j '["dunning"]')" = open ] && [ "$(j '["due_at"]')" = "$(j '["settled_at"]')" ] \
  || fail "D1 bill: $(cat "$T/resp")"
api GET /api/v1/accounts/D3/bills/2025-03
[ "$(j '["dunning"]')" = paid ] && [ $(($(j '["grace_until"]') - $(j '["settled_at"]'))) = $((25 * 86400)) ] \
  || fail "D3 (credit) bill: $(cat "$T/resp")"
api GET /api/v1/accounts/P1/bills/2025-03; [ "$(j '["dunning"]')" = null ] || fail "P1 dunning: $(cat "$T/resp")"
pass "monthly bills issued with a due date and grace (D3 paid from credit); the close cuts no monthly account"

api POST /api/v1/dunning '{}'; expect 200
[ "$(j '["alarmed"]')" = 2 ] && [ "$(j '["tripped"]')" = 0 ] || fail "first pass: $(cat "$T/resp")"
[ "$(sqlv "SELECT count(*) FROM events WHERE type = 'overdue'")" = 2 ] || fail "overdue events"
[ -z "$(trips D1)" ] || fail "D1 cut at the alarm"
api POST /api/v1/dunning '{}'; expect 200
[ "$(j '["tripped"]')" = 1 ] || fail "second pass: $(cat "$T/resp")"
[ "$(trips D1)" = pending ] && [ -z "$(trips D2)" ] || fail "trips: D1 $(trips D1), D2 $(trips D2)"
api POST /api/v1/dunning '{}'; expect 200
[ "$(j '["tripped"]')" = 0 ] && [ "$(trips D1)" = pending ] || fail "a third pass tripped again"
pass "past due and grace: an overdue alarm for D1 and D2, then a trip for D1 only (its terms)"

# D1 pays in full before the trip is delivered: paid, the trip cancelled.
api POST /api/v1/accounts/D1/topups '{"amount_fen":9766,"reference":"D1-1"}'; expect 201
[ "$(trips D1)" = cancelled ] || fail "D1 trip: $(trips D1)"
api GET /api/v1/accounts/D1/bills/2025-03; [ "$(j '["dunning"]')" = paid ] || fail "D1 not paid: $(cat "$T/resp")"
# D2 pays part: still owing, still alarmed
api POST /api/v1/accounts/D2/topups '{"amount_fen":1000,"reference":"D2-1"}'; expect 201
api GET /api/v1/accounts/D2/bills/2025-03; [ "$(j '["dunning"]')" = alarmed ] || fail "D2: $(cat "$T/resp")"
# P1 tops up to 11.17 (above the reconnect threshold of 1.00): the close's
# trip is cancelled before delivery
api POST /api/v1/accounts/P1/topups '{"amount_fen":5000,"reference":"P1-2"}'; expect 201
[ "$(trips P1)" = cancelled ] || fail "P1 trip: $(trips P1)"
pass "a payment in full cancels the pending trip (D1); part of one does not (D2); a prepaid top-up cancels the close's trip (P1)"

# D2 is cut after all (its terms now ask for it), the trip is delivered,
# then D2 pays the 38.83 it owes: paid, and a close brings the supply back.
api PATCH /api/v1/accounts/D2 '{"overdue_trip_days":0}'; expect 200
[ "$(j '["overdue_trip_days"]')" = 0 ] || fail "D2 terms: $(cat "$T/resp")"
api POST /api/v1/dunning '{}'; expect 200; [ "$(j '["tripped"]')" = 1 ] || fail "D2 pass: $(cat "$T/resp")"
api POST /api/v1/readings '{"gateway":"gw-1","readings":[]}' "$GW"; expect 200
[ "$(trips D2)" = delivered ] || fail "D2 trip not delivered: $(trips D2)"
api POST /api/v1/accounts/D2/topups '{"amount_fen":3883,"reference":"D2-2"}'; expect 201
[ "$(trips D2 close)" = pending ] || fail "no close after D2 paid: $(trips D2 close)"
api GET /api/v1/accounts/D2/bills/2025-03; [ "$(j '["dunning"]')" = paid ] || fail "D2 not paid: $(cat "$T/resp")"
bad=$(sqlv "SELECT a.number FROM accounts a WHERE a.balance_fen != (SELECT coalesce(sum(amount_fen),0) FROM ledger l WHERE l.account_id = a.id)")
[ -z "$bad" ] || fail "ledger sum != balance for $bad"
pass "a trip carried out is followed by a close once the bill is paid (D2)"
