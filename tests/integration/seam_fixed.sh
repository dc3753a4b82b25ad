#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fixed monthly charges at the month close (docs/tariffs.md, "Monthly
# charges"): the bill carries the fixed charge of every version in force in
# the month, prorated by the days of supply (fixed x days / days in the
# month, each line rounded once to the fen, half away from zero).  The day
# of a change belongs to what starts on it: a move-in day is charged, a
# move-out day is not, and at a change of holder the day is the new
# holder's, so the holders' days add up to the month and it is never
# charged twice; a meter exchange restarts nothing.  flat.conf: 0.55/kWh,
# fixed 5.00 a month.  March 2025 has 31 days, April 30.  Every amount
# worked out below.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_with_gateway gw-1
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/flat.conf"; expect 201
api POST /api/v1/tariffs 'id = "fixed-eight";
versions = ( { from = "2025-01-01"; price = "0.55"; fixed_monthly = "8.00"; } );'; expect 201
api POST /api/v1/tariffs 'id = "fixed-75";
versions = ( { from = "2025-01-01"; price = "0.50"; fixed_monthly = "0.75"; } );'; expect 201
account() { # NUMBER MODE [TARIFF]
  api POST /api/v1/accounts "{\"number\":\"$1\",\"mode\":\"$2\"}"; expect 201
  api PUT "/api/v1/accounts/$1/tariff" "{\"tariff\":\"${3:-flat-example}\",\"effective\":\"2025-01-01\"}"; expect 200
  api POST "/api/v1/accounts/$1/topups" "{\"amount_fen\":20000,\"reference\":\"$1-1\"}"; expect 201
}
d() { date -d "$1" +%s; }
post() { # METER SEQ DATE WH
  api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"$1\",\"seq\":$2,\"ts\":$(d "$3"),\"import_wh\":$4}]}" "$GW"
  expect 200
}
bind() { api PUT "/api/v1/meters/$2" "{\"gateway\":\"gw-1\",\"account\":\"$1\"}"; expect 200; }
balance() { api GET "/api/v1/accounts/$1"; j '["balance_fen"]'; }
# check_bill NUMBER MONTH TOTAL POSTED FIXED: the bill settled with that
# total and posting; FIXED lists its fixed lines as days/of=fen, in order
check_bill() {
  api GET "/api/v1/accounts/$1/bills/$2"; expect 200
  /usr/bin/python3 - "$T/resp" "$3" "$4" "$5" <<'PY' || fail "$1 $2: $(cat "$T/resp")"
import json, sys
b = json.load(open(sys.argv[1]))
assert (b["state"], b["total_fen"], b["posted_fen"]) == ("settled", int(sys.argv[2]), int(sys.argv[3])), b
fixed = " ".join("%d/%d=%d" % (l["qty"], l["of"], l["fen"]) for l in b["lines"] if l["kind"] == 1)
assert fixed == sys.argv[4], (fixed, sys.argv[4])
assert b["total_fen"] == sum(l["fen"] for l in b["lines"]), b["lines"]
PY
}

# 1. A whole month (prepaid): 100 kWh x 0.55 = 55.00 deducted as used; the
#    close adds the fixed 5.00 (31 of 31 days) and posts it: 60.00.
account WM prepaid
bind WM FM1
post FM1 1 "2025-03-01 00:00" 100000
post FM1 2 "2025-04-01 00:00" 200000
[ "$(balance WM)" = $((20000 - 5500)) ] || fail "WM before the close: $(balance WM)"

# 2. Move-in on 03-10 14:00 at 1,000 kWh (monthly): 100 kWh = 55.00; days
#    10..31 = 22: 5.00 x 22/31 = 3.548.. -> 3.55; 58.55.
account MI monthly
api POST /api/v1/accounts/MI/move-in "{\"meter\":\"FM2\",\"gateway\":\"gw-1\",\"opening_wh\":1000000,\"at\":$(d '2025-03-10 14:00')}"
expect 201
post FM2 1 "2025-03-20" 1050000
post FM2 2 "2025-04-01 00:00" 1100000

# 3. Move-out on 03-20 15:00 at 60 kWh (prepaid): 60 kWh = 33.00; days
#    1..19 = 19 (the move-out day is not charged): 5.00 x 19/31 = 3.064..
#    -> 3.06; the final bill 36.06, of which 3.06 posted at the move-out.
account MO prepaid
bind MO FM3
post FM3 1 "2025-03-01 00:00" 0
post FM3 2 "2025-03-10" 50000
api POST /api/v1/accounts/MO/move-out "{\"final_wh\":60000,\"at\":$(d '2025-03-20 15:00')}"; expect 200
[ "$(j '["bills"][0]["total_fen"]'),$(j '["bills"][0]["posted_fen"]'),$(j '["balance_fen"]')" = "3606,-306,$((20000 - 3606))" ] ||
  fail "move-out: $(cat "$T/resp")"

# 4. Change of holder on 03-12 10:00 at 30 kWh: HA has days 1..11 (11):
#    30 kWh = 16.50, 5.00 x 11/31 = 1.774.. -> 1.77, 18.27; HB has days
#    12..31 (20): 40 kWh = 22.00, 5.00 x 20/31 = 3.225.. -> 3.23, 25.23.
#    11 + 20 = 31 days: the month's fixed charge once, 1.77 + 3.23 = 5.00.
account HA prepaid
account HB prepaid
bind HA FM4
post FM4 1 "2025-03-01 00:00" 0
post FM4 2 "2025-03-05" 20000
api POST /api/v1/accounts/HA/transfer "{\"to\":\"HB\",\"final_wh\":30000,\"at\":$(d '2025-03-12 10:00')}"; expect 200
[ "$(j '["bills"][0]["total_fen"]')" = 1827 ] || fail "HA's final bill: $(cat "$T/resp")"
post FM4 3 "2025-03-25" 50000
post FM4 4 "2025-04-01 00:00" 70000

# 5. A meter exchange on 03-15 12:00 (prepaid): the old meter 0 -> 50 kWh,
#    the new one 1 -> 21 kWh: 70 kWh = 38.50; the fixed charge once for
#    the whole month, 5.00 (31 of 31): 43.50.
account EX prepaid
bind EX FM5
post FM5 1 "2025-03-01 00:00" 0
post FM5 2 "2025-03-10" 40000
api PUT /api/v1/meters/FM6 '{"gateway":"gw-1"}'; expect 200
api POST /api/v1/meters/FM5/exchange "{\"new_meter\":\"FM6\",\"final_wh\":50000,\"initial_wh\":1000,\"at\":$(d '2025-03-15 12:00')}"
expect 201
post FM6 1 "2025-03-25" 11000
post FM6 2 "2025-04-01 00:00" 21000

# 6. A tariff change inside the month (monthly): flat-example (5.00) until
#    03-14, fixed-eight (8.00) from 03-15.  31 kWh split by time at the
#    change (14 and 17 days): 14 kWh = 7.70, 17 kWh = 9.35; fixed 5.00 x
#    14/31 = 2.258.. -> 2.26 and 8.00 x 17/31 = 4.387.. -> 4.39; 23.70.
account TC monthly
api PUT /api/v1/accounts/TC/tariff '{"tariff":"fixed-eight","effective":"2025-03-15"}'; expect 200
bind TC FM7
post FM7 1 "2025-03-01 00:00" 0
post FM7 2 "2025-04-01 00:00" 31000

close_month 2025-03
check_bill WM 2025-03 6000 -500 "31/31=500"
[ "$(balance WM)" = $((20000 - 6000)) ] || fail "WM after the close: $(balance WM)"
pass "a whole month: 55.00 of energy as used, the fixed 5.00 (31/31) added by the close: 60.00"
check_bill MI 2025-03 5855 -5855 "22/31=355"
METERBOX_TOKEN=$ADMIN "$MB_CTL" bill show MI 2025-03 >"$T/out" || fail "meterboxctl bill show"
grep -q "22/31 d .* 3.55" "$T/out" && grep -q "100.000 kWh .* 55.00" "$T/out" ||
  fail "meterboxctl bill show: $(cat "$T/out")"
pass "move-in on 03-10: 22 of 31 days, 3.55; the bill 58.55 (meterboxctl shows 22/31 d)"
check_bill MO 2025-03 3606 -306 "19/31=306"
pass "move-out on 03-20: 19 of 31 days (not the move-out day), 3.06; the final bill 36.06"
check_bill HA 2025-03 1827 -177 "11/31=177"
check_bill HB 2025-03 2523 -323 "20/31=323"
pass "change of holder on 03-12: 11 + 20 = 31 days, 1.77 + 3.23 = 5.00, never twice"
check_bill EX 2025-03 4350 -500 "31/31=500"
pass "meter exchange on 03-15: the fixed charge once (5.00), nothing restarted; 43.50"
check_bill TC 2025-03 2370 -2370 "14/31=226 17/31=439"
pass "tariff change on 03-15: 14/31 of 5.00 (2.26) and 17/31 of 8.00 (4.39); 23.70"

# 7. Half away from zero: fixed-75 (0.75 a month, 0.50/kWh), move-in on
#    04-30 08:00 (monthly): one day of 30, 0.75 / 30 = 0.025 -> 0.03 (half
#    away from zero; to even it would be 0.02); 2 kWh = 1.00; 1.03.
account HF monthly fixed-75
api POST /api/v1/accounts/HF/move-in "{\"meter\":\"FM8\",\"gateway\":\"gw-1\",\"opening_wh\":0,\"at\":$(d '2025-04-30 08:00')}"
expect 201
post FM8 1 "2025-05-01 00:00" 2000
close_month 2025-04
check_bill HF 2025-04 103 -103 "1/30=3"
pass "one day of 0.75 a month in April: 0.025 rounded half away from zero, 0.03"

# Closing again changes nothing; the ledger holds every amount.
balances() { sqlv "SELECT number, balance_fen FROM accounts ORDER BY number"; }
before=$(balances)
close_month 2025-03
close_month 2025-04
[ "$(balances)" = "$before" ] ||
  fail "closing again changed balances"
bad=$(sqlv "SELECT a.number FROM accounts a WHERE a.balance_fen != (SELECT coalesce(sum(amount_fen),0) FROM ledger l WHERE l.account_id = a.id)")
[ -z "$bad" ] || fail "ledger sum != balance for $bad"
pass "closing again changes nothing; ledger sums equal balances"
