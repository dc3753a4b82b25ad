#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Seam: a tariff assigned from the middle of a month (docs/tariffs.md, "The
# seams of a month").  The month is split at the change, each piece priced
# by its tariff, the tier position carried; when the readings arrive in
# order the close equals the month's continuous deductions, and a change
# dated in the past reprices what the month has charged so far.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"

# A tariff with Beijing's tier bounds and the next year's prices.
cat >"$T/bj2025.conf" <<'TARIFF'
id = "bj-2025";
versions = ( { from = "2025-03-01";
  tiers = ( { upto_kwh = 240; price = "0.5000"; },
            { upto_kwh = 400; price = "0.5500"; },
            { price = "0.8000"; } ); } );
TARIFF
api POST /api/v1/gateways '{"name":"gw-1"}'; expect 201; GW=$(j '["token"]')
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
api POST /api/v1/tariffs "@$T/bj2025.conf"; expect 201
for n in 1 2; do
  api POST /api/v1/accounts "{\"number\":\"A$n\",\"mode\":\"prepaid\"}"; expect 201
  api PUT /api/v1/accounts/A$n/tariff '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'; expect 200
  api PUT "/api/v1/meters/M$n" "{\"gateway\":\"gw-1\",\"account\":\"A$n\"}"; expect 200
  api POST "/api/v1/accounts/A$n/topups" "{\"amount_fen\":100000,\"reference\":\"P$n\"}"; expect 201
done
# A1 changes tariff on 03-15 before its readings come; A2 after them.
api PUT /api/v1/accounts/A1/tariff '{"tariff":"bj-2025","effective":"2025-03-15"}'; expect 200
# a tariff with nothing in force on the date is refused
api PUT /api/v1/accounts/A1/tariff '{"tariff":"bj-2025","effective":"2025-02-01"}'; expect 422
[ "$(j '["error"]["field"]')" = effective ] || fail "no_version field: $(cat "$T/resp")"

# 03-01 0 kWh, 03-10 200, 03-20 350, 04-01 500 (as test_tariff_seams.c):
#   03-01..03-10  200 kWh Beijing tier 1
#   03-10..03-20  150 kWh cut at 03-15 00:00, 75 each side: Beijing tier 1
#                 40 (to 240) and tier 2 35; bj-2025 tier 2 75 (the tier
#                 position carries: 275 -> 350)
#   03-20..04-01  150 kWh bj-2025: tier 2 50 (to 400), tier 3 100
# Beijing t1 240 x 0.4883 = 117.192 -> 117.19; t2 35 x 0.5383 = 18.8405
# -> 18.84; bj-2025 t2 125 x 0.55 = 68.75; t3 100 x 0.80 = 80.00.
# Total 284.78.  The same 500 kWh on Beijing alone: 117.19 + 86.13 +
# 78.83 = 282.15.
d() { date -d "$1" +%s; }
rd() { printf '{"meter":"M%s","seq":%s,"ts":%s,"import_wh":%s}' "$1" "$2" "$(d "$3")" "$4"; }
for n in 1 2; do
  api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[$(rd $n 1 2025-03-01 1000000),$(rd $n 2 2025-03-10 1200000)]}" "$GW"
  expect 200
  api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[$(rd $n 3 2025-03-20 1350000),$(rd $n 4 2025-04-01 1500000)]}" "$GW"
  expect 200
done
api GET /api/v1/accounts/A1; [ "$(j '["balance_fen"]')" = $((100000 - 28478)) ] || fail "A1 continuous: $(cat "$T/resp")"
api GET /api/v1/accounts/A2; [ "$(j '["balance_fen"]')" = $((100000 - 28215)) ] || fail "A2 continuous: $(cat "$T/resp")"
pass "continuous deduction splits the month at the change (284.78) and carries the tiers"

# A2's change comes after its readings, dated in the past: what March has
# charged is repriced at once, 284.78 - 282.15 = 2.63 more.
api PUT /api/v1/accounts/A2/tariff '{"tariff":"bj-2025","effective":"2025-03-15"}'; expect 200
api GET /api/v1/accounts/A2; [ "$(j '["balance_fen"]')" = $((100000 - 28478)) ] || fail "A2 repriced: $(cat "$T/resp")"
api GET "/api/v1/accounts/A2/ledger?detail=all"
[ "$(j '["entries"][-1]["amount_fen"]')" = -263 ] || fail "A2 repricing entry: $(cat "$T/resp")"
pass "a change dated in the past reprices the month at once (-2.63)"

# The operator's ledger: the day's charges of March are one line (two
# batches and the repricing: 282.15 + 2.63 = 284.78), the balance after
# each line running to the balance; every row is still there with
# ?detail=all.
[ "$(/usr/bin/python3 -c 'import json,sys; print(sum(1 for e in json.load(open(sys.argv[1]))["entries"] if e["kind"] == "charge"))' "$T/resp")" = 3 ] \
  || fail "A2 detail: $(cat "$T/resp")"
api GET /api/v1/accounts/A2/ledger
/usr/bin/python3 - "$T/resp" <<'PY' || fail "A2 daily ledger: $(cat "$T/resp")"
import json, sys
o = json.load(open(sys.argv[1]))
charges = [e for e in o["entries"] if e["kind"] == "charge"]
assert o["view"] == "daily" and len(charges) == 1, charges
assert charges[0]["amount_fen"] == -28478 and charges[0]["entries"] == 3, charges
assert o["entries"][-1]["balance_after_fen"] == o["balance_fen"] == 100000 - 28478, o
PY
pass "the operator reads the day's charges as one line (-284.78, 3 entries); ?detail=all keeps every row"

# The agent fetches the plan as it fetches any tariff: its text has the hash
# the snapshot names.
api GET /api/v1/meters/M1
PLAN=$(j '["tariff"]["id"]') HASH=$(j '["tariff"]["hash"]')
case "$PLAN" in plan-*) ;; *) fail "snapshot tariff is not a plan: $(cat "$T/resp")" ;; esac
curl -s -D "$T/h" -o "$T/plan.txt" -H "Authorization: Bearer $GW" "$URL/api/v1/tariffs/$PLAN/text"
grep -qi "^x-tariff-hash: $HASH" "$T/h" || fail "plan text hash header: $(cat "$T/h")"
[ "$(sha256sum <"$T/plan.txt" | cut -d' ' -f1)" = "$HASH" ] || fail "plan text is not its hash"
grep -q 'origin = { tariff = "bj-2025"; from = "2025-03-01"; }' "$T/plan.txt" || fail "plan text: $(cat "$T/plan.txt")"
pass "the snapshot names the plan, served with its hash like any tariff"

# The close equals the month's continuous deductions: it posts 0.
close_month 2025-03
[ "$(j '["settled"]')" = 2 ] || fail "close: $(cat "$T/resp")"
for n in 1 2; do
  api GET /api/v1/accounts/A$n/bills/2025-03
  [ "$(j '["total_fen"]')" = 28478 ] && [ "$(j '["posted_fen"]')" = 0 ] && [ "$(j '["energy_wh"]')" = 500000 ] \
    || fail "A$n bill: $(cat "$T/resp")"
  [ "$(j '["tariffs"][1]["tariff"]')" = bj-2025 ] && [ "$(j '["tariffs"][1]["from"]')" = 2025-03-15 ] \
    || fail "A$n bill tariffs: $(cat "$T/resp")"
  [ "$(j '["lines"][2]["version"]')" = 20250301 ] && [ "$(j '["lines"][2]["fen"]')" = 6875 ] \
    || fail "A$n bill lines: $(cat "$T/resp")"
done
close_month 2025-03
[ "$(j '["already_settled"]')" = 2 ] || fail "second close: $(cat "$T/resp")"
bad=$(sqlv "SELECT a.number FROM accounts a WHERE a.balance_fen != (SELECT coalesce(sum(amount_fen),0) FROM ledger l WHERE l.account_id = a.id)")
[ -z "$bad" ] || fail "ledger sum != balance for $bad"
pass "the close equals the continuous deductions (284.78, posted 0); closing again changes nothing"

# bj-2025 gets a new version: A1's plan is a new one.  Built first by a
# batch that is then refused whole (an event naming another gateway's
# meter: 403), the plan stays in the server's memory, which the snapshots
# name it from, but its text was rolled back out of tariff_plans.  The
# agent must still be able to fetch it, with the hash the snapshot names.
api POST /api/v1/gateways '{"name":"gw-2"}'; expect 201
api PUT /api/v1/meters/M9 '{"gateway":"gw-2"}'; expect 200
sed 's/ } );$/ },\n  { from = "2025-07-01"; tiers = ( { price = "0.6000"; } ); } );/' "$T/bj2025.conf" \
  >"$T/bj2025b.conf"
api POST /api/v1/tariffs "@$T/bj2025b.conf"; expect 201
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[$(rd 1 5 2025-04-10 1600000)],
  \"events\":[{\"id\":1,\"meter\":\"M9\",\"ts\":$(d 2025-04-10),\"type\":\"tamper\"}]}" "$GW"
expect 403
api GET /api/v1/meters/M1
PLAN2=$(j '["tariff"]["id"]') HASH2=$(j '["tariff"]["hash"]')
[ "$PLAN2" != "$PLAN" ] || fail "the new version did not make a new plan: $PLAN"
code=$(curl -s -D "$T/h" -o "$T/plan2.txt" -w '%{http_code}' -H "Authorization: Bearer $GW" \
  "$URL/api/v1/tariffs/$PLAN2/text")
[ "$code" = 200 ] || fail "plan $PLAN2 built in a refused batch: HTTP $code $(cat "$T/plan2.txt")"
grep -qi "^x-tariff-hash: $HASH2" "$T/h" || fail "plan text hash header: $(cat "$T/h")"
[ "$(sha256sum <"$T/plan2.txt" | cut -d' ' -f1)" = "$HASH2" ] || fail "plan text is not its hash"
grep -q '"2025-07-01"' "$T/plan2.txt" || fail "the new version is not in the plan: $(cat "$T/plan2.txt")"
pass "a plan first built in a refused batch is still served, with the hash the snapshot names"
