#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Demand charges at the month close (docs/tariffs.md, "Monthly charges"):
# readings carry the meter's maximum demand (this month's so far and when
# it occurred; last month's frozen at the settlement day), the server stores
# them in typed columns, and the close bills the month's maximum demand
# times the multiplier times the demand price.  Precedence: the frozen
# register where one supply measured the whole month, else the largest
# maximum the month's readings registered, each times the multiplier of the
# supply in force when it occurred (a CT replaced mid-month); a maximum from
# before the account's supply is not its own.  Billed in whole W, half away
# from zero.  enterprise-tou-demand.conf: demand 38.00 per kW a month, fixed
# 20.00 a month.  The registers do not move (no energy), so each bill is its
# monthly charges alone.  Every amount worked out below.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_with_gateway gw-1
for f in enterprise-tou-demand flat; do
  api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/$f.conf"; expect 201
done
account() { # NUMBER [TARIFF]
  api POST /api/v1/accounts "{\"number\":\"$1\",\"mode\":\"prepaid\"}"; expect 201
  api PUT "/api/v1/accounts/$1/tariff" "{\"tariff\":\"${2:-ent-tou-demand}\",\"effective\":\"2024-01-01\"}"; expect 200
  api POST "/api/v1/accounts/$1/topups" "{\"amount_fen\":200000,\"reference\":\"$1-1\"}"; expect 201
}
d() { date -d "$1" +%s; }
# rd METER SEQ DATE [DEMAND_MW DEMAND_AT [FROZEN_MW]]: a reading of 1000 Wh,
# with this month's maximum demand and when it occurred, and last month's
# frozen at 00:00 of the reading's month
rd() {
  local x=""
  [ -n "${4:-}" ] && x=",\"demand_mw\":$4,\"demand_time\":$(d "$5")"
  [ -n "${6:-}" ] && x="$x,\"frozen_demand_mw\":$6,\"frozen_demand_time\":$(d "$(date -d "$3" +%Y-%m-01)")"
  printf '{"meter":"%s","seq":%s,"ts":%s,"import_wh":1000%s}' "$1" "$2" "$(d "$3")" "$x"
}
post() { local IFS=,; api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[$*]}" "$GW"; expect 200; }
# check_bill NUMBER TOTAL DEMAND_W DEMAND_FEN: the March bill, settled,
# its demand line (none: DEMAND_W "-")
check_bill() {
  api GET "/api/v1/accounts/$1/bills/2025-03"; expect 200
  /usr/bin/python3 - "$T/resp" "$2" "$3" "$4" <<'PY' || fail "$1's bill: $(cat "$T/resp")"
import json, sys
b = json.load(open(sys.argv[1]))
assert (b["state"], b["total_fen"]) == ("settled", int(sys.argv[2])), b
assert b["posted_fen"] == -b["total_fen"], b  # no energy: the close posts it all
dem = [(l["qty"], l["price"], l["fen"]) for l in b["lines"] if l["kind"] == 2]
want = [] if sys.argv[3] == "-" else [(int(sys.argv[3]), 380000, int(sys.argv[4]))]
assert dem == want, (dem, want)
assert b["total_fen"] == sum(l["fen"] for l in b["lines"]), b["lines"]
PY
}

# Bad demand fields are refused, naming them.
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"DM9\",\"seq\":1,\"ts\":$(d 2025-03-01),\"import_wh\":1,\"frozen_demand_mw\":5}]}" "$GW"
expect 400; [ "$(j '["error"]["field"]')" = "readings[0].frozen_demand_time" ] || fail "frozen without time: $(cat "$T/resp")"
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"DM9\",\"seq\":1,\"ts\":$(d 2025-03-01),\"import_wh\":1,\"demand_mw\":-5}]}" "$GW"
expect 400; [ "$(j '["error"]["field"]')" = "readings[0].demand_mw" ] || fail "negative demand: $(cat "$T/resp")"
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"DM9\",\"seq\":1,\"ts\":$(d 2025-03-01),\"import_wh\":1,\"demand_mw\":1000000000001}]}" "$GW"
expect 422; [ "$(j '["error"]["field"]')" = "readings[0].demand_mw" ] || fail "beyond a bill: $(cat "$T/resp")"
pass "a frozen maximum without its time is 400, a negative one 400, one beyond any bill 422, each naming the field"

# 1. The frozen register defines the month (CT 50/5, x10): the readings saw
#    4.2 then 4.5 kW on the meter; the register frozen on 04-01 says 4.6 kW
#    (a peak after the last March reading): 4.6 x 10 = 46 kW x 38.00 =
#    1748.00, with the fixed 20.00: 1768.00.
account D1
api PUT /api/v1/meters/DM1 '{"gateway":"gw-1","account":"D1"}'; expect 200
api POST /api/v1/meters/DM1/multiplier '{"ct":"50/5"}'; expect 201
post "$(rd DM1 1 '2025-03-01 00:00')" "$(rd DM1 2 '2025-03-10 00:00' 4200000 '2025-03-08 10:15')" \
  "$(rd DM1 3 '2025-03-31 22:00' 4500000 '2025-03-20 14:30')" \
  "$(rd DM1 4 '2025-04-01 00:15' 100000 '2025-04-01 00:15' 4600000)"
api GET /api/v1/meters/DM1/readings
[ "$(j '["readings"][3]["frozen_demand_mw"]'),$(j '["readings"][2]["demand_mw"]')" = "4600000,4500000" ] ||
  fail "the demand registers as stored: $(cat "$T/resp")"

# 2. No frozen register: the largest maximum of the month's readings, no
#    CT: 5.1235 kW = 5123.5 W -> 5124 W (half away from zero) x 38.00 =
#    194.712 -> 194.71; April's maximum at 00:05 is not March's: 214.71.
account D2
api PUT /api/v1/meters/DM2 '{"gateway":"gw-1","account":"D2"}'; expect 200
post "$(rd DM2 1 '2025-03-01 00:00')" "$(rd DM2 2 '2025-03-15 00:00' 5123500 '2025-03-14 09:45')" \
  "$(rd DM2 3 '2025-04-01 00:10' 5900000 '2025-04-01 00:05')"

# 3. A CT replaced on 03-16 (200/5 x40 -> 300/5 x60): 120 W on 03-05 is
#    4.8 kW, also as the meter still shows it on 03-17 (it occurred under
#    x40; not 7.2 kW); after the crew reset the demand, 100 W on 03-18 is
#    6.0 kW and 110 W on 03-25 6.6 kW.  Two parts: the frozen 120 W (x60
#    would be 7.2) is not believed.  6.6 kW x 38.00 = 250.80, with 20.00:
#    270.80.
account D3
api PUT /api/v1/meters/DM3 '{"gateway":"gw-1","account":"D3"}'; expect 200
api POST /api/v1/meters/DM3/multiplier '{"ct":"200/5"}'; expect 201
post "$(rd DM3 1 '2025-03-01 00:00')" "$(rd DM3 2 '2025-03-10 00:00' 120000 '2025-03-05 10:00')"
api POST /api/v1/meters/DM3/multiplier "{\"ct\":\"300/5\",\"register_wh\":1000,\"at\":$(d '2025-03-16 00:00')}"; expect 201
post "$(rd DM3 3 '2025-03-17 00:00' 120000 '2025-03-05 10:00')" "$(rd DM3 4 '2025-03-20 00:00' 100000 '2025-03-18 09:00')" \
  "$(rd DM3 5 '2025-03-28 00:00' 110000 '2025-03-25 11:00')" \
  "$(rd DM3 6 '2025-04-01 00:10' 0 '2025-04-01 00:10' 120000)"

# 4. A move-in on 03-10 12:00: the meter still shows 9 kW from 03-04, the
#    last occupant's, not this account's; after the reset 3.0 kW on 03-18:
#    3 kW x 38.00 = 114.00; the fixed charge for days 10..31, 20.00 x 22/31
#    = 14.193.. -> 14.19; 128.19.  Not a whole month: the frozen 9 kW is not
#    believed either.
account D4
api PUT /api/v1/meters/DM4 '{"gateway":"gw-1"}'; expect 200
post "$(rd DM4 1 '2025-03-05 00:00' 9000000 '2025-03-04 18:00')"
api POST /api/v1/accounts/D4/move-in "{\"meter\":\"DM4\",\"opening_wh\":1000,\"at\":$(d '2025-03-10 12:00')}"; expect 201
post "$(rd DM4 2 '2025-03-12 00:00' 9000000 '2025-03-04 18:00')" "$(rd DM4 3 '2025-03-20 00:00' 3000000 '2025-03-18 20:00')" \
  "$(rd DM4 4 '2025-04-01 00:05' 0 '2025-04-01 00:05' 9000000)"

# 5. A tariff without a demand price (flat.conf): no demand line, 5.00.
account D5 flat-example
api PUT /api/v1/meters/DM5 '{"gateway":"gw-1","account":"D5"}'; expect 200
post "$(rd DM5 1 '2025-03-01 00:00')" "$(rd DM5 2 '2025-03-20 00:00' 7000000 '2025-03-19 12:00')" "$(rd DM5 3 '2025-04-01 00:00')"

close_month 2025-03
check_bill D1 176800 46000 174800
pass "the frozen maximum defines the month: 4.6 kW x CT 10 = 46 kW x 38.00 = 1748.00 (the readings' 4.5 would be 1710.00)"
check_bill D2 21471 5124 19471
pass "no frozen register: the readings' largest, 5123.5 W -> 5124 W, 194.71"
check_bill D3 27080 6600 25080
case "$(j '["flags"]')" in *multiplier_change*) ;; *) fail "D3 flags: $(cat "$T/resp")" ;; esac
pass "a CT replaced mid-month: each maximum times the multiplier in force when it occurred, 6.6 kW, 250.80"
check_bill D4 12819 3000 11400
pass "a move-in mid-month: the last occupant's maximum is not the account's, 3 kW (114.00) and 22/31 of 20.00"
check_bill D5 500 - 0
pass "a tariff without a demand price bills no demand"

# Closing again changes nothing; the ledger holds every amount.
before=$(sqlv "SELECT number, balance_fen FROM accounts ORDER BY number")
close_month 2025-03
[ "$(sqlv "SELECT number, balance_fen FROM accounts ORDER BY number")" = "$before" ] || fail "closing again changed balances"
bad=$(sqlv "SELECT a.number FROM accounts a WHERE a.balance_fen != (SELECT coalesce(sum(amount_fen),0) FROM ledger l WHERE l.account_id = a.id)")
[ -z "$bad" ] || fail "ledger sum != balance for $bad"
pass "closing again changes nothing; ledger sums equal balances"
