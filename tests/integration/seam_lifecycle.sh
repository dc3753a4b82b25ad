#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Seams: move-in (开户) with an opening register, a monthly customer
# connected mid-month billed for that first month, move-out (销户) with a
# final reading and final bill, change of holder (过户) carrying the tier
# position.  Beijing residential: tier 1 to 240 kWh at 0.4883, tier 2 to 400
# at 0.5383.  Every amount worked out below.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"

api POST /api/v1/gateways '{"name":"gw-1"}'; expect 201; GW=$(j '["token"]')
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
account() { # NUMBER MODE
  api POST /api/v1/accounts "{\"number\":\"$1\",\"mode\":\"$2\"}"; expect 201
  api PUT "/api/v1/accounts/$1/tariff" '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'; expect 200
}
d() { date -d "$1" +%s; }
post() { # METER SEQ DATE WH
  api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"$1\",\"seq\":$2,\"ts\":$(d "$3"),\"import_wh\":$4}]}" "$GW"
  expect 200
}
bill() { api GET "/api/v1/accounts/$1/bills/$2"; expect 200; }

# 1. A monthly customer moves in on 03-15 at 1,000 kWh on the register.
account MI monthly
api POST /api/v1/accounts/MI/move-in "{\"meter\":\"LM1\",\"gateway\":\"gw-1\",\"opening_wh\":1000000,\"at\":$(d '2025-03-15 10:00')}"
expect 201
[ "$(j '["meter"]')" = LM1 ] && [ "$(j '["state"]')" = active ] || fail "move-in: $(cat "$T/resp")"
api POST /api/v1/accounts/MI/move-in '{"meter":"LM9","gateway":"gw-1"}'; expect 409
[ "$(j '["error"]["code"]')" = has_meter ] || fail "second meter: $(cat "$T/resp")"
# the snapshot starts at the opening register, before any reading
api GET /api/v1/meters/LM1
[ "$(j '["ref"]["import_wh"]')" = 1000000 ] || fail "snapshot ref at the opening: $(cat "$T/resp")"
post LM1 1 "2025-03-20" 1050000
post LM1 2 "2025-04-01 00:00" 1120000
# March: 120 kWh from the opening, 120 x 0.4883 = 58.596 -> 58.60, deducted
# at the close (monthly)
close_month 2025-03
bill MI 2025-03
[ "$(j '["state"]')" = settled ] && [ "$(j '["energy_wh"]')" = 120000 ] && [ "$(j '["total_fen"]')" = 5860 ] \
  && [ "$(j '["posted_fen"]')" = -5860 ] && [ "$(j '["from_import_wh"]')" = 1000000 ] || fail "MI March: $(cat "$T/resp")"
# February is before the account: no bill at all
api GET /api/v1/accounts/MI/bills/2025-02; expect 404
pass "move-in mid-month at an opening register: the first month billed from it (58.60)"

# 2. A prepaid customer moves out on 03-12 at a final register of 1,130 kWh.
account MO prepaid
api POST /api/v1/accounts/MO/topups '{"amount_fen":20000,"reference":"MO-1"}'; expect 201
api PUT /api/v1/meters/LM2 '{"gateway":"gw-1","account":"MO"}'; expect 200
post LM2 1 "2025-03-01 00:00" 1000000
post LM2 2 "2025-03-10" 1100000
api POST /api/v1/accounts/MO/move-out "{\"final_wh\":1130000,\"at\":$(d '2025-03-12 09:00')}"; expect 200
# 130 kWh x 0.4883 = 63.479 -> 63.48: charged continuously up to the final
# register, the final bill the same (posted 0); 200.00 - 63.48 = 136.52
[ "$(j '["state"]')" = closed ] && [ "$(j '["meter"]')" = null ] && [ "$(j '["balance_fen"]')" = 13652 ] \
  && [ "$(j '["refundable_fen"]')" = 13652 ] || fail "move-out: $(cat "$T/resp")"
[ "$(j '["bills"][0]["state"]')" = settled ] && [ "$(j '["bills"][0]["total_fen"]')" = 6348 ] \
  && [ "$(j '["bills"][0]["posted_fen"]')" = 0 ] || fail "final bill: $(cat "$T/resp")"
case "$(j '["bills"][0]["flags"]')" in *final*) ;; *) fail "final flag: $(cat "$T/resp")" ;; esac
api POST /api/v1/accounts/MO/move-out '{}'; expect 200
[ "$(j '["bills"]')" = '[]' ] || fail "a second move-out billed again: $(cat "$T/resp")"
api GET /api/v1/meters/LM2; [ "$(j '["account"]')" = null ] || fail "meter still bound: $(cat "$T/resp")"
# readings after the move-out charge no one; the balance is refundable
post LM2 3 "2025-03-20" 1150000
api POST /api/v1/accounts/MO/refunds '{"amount_fen":13652,"reason":"move-out"}'; expect 201
[ "$(j '["entry"]["balance_after_fen"]')" = 0 ] || fail "refund: $(cat "$T/resp")"
close_month 2025-03
api GET /api/v1/accounts/MO/bills; [ "$(j '["bills"].__len__()')" = 1 ] || fail "MO bills: $(cat "$T/resp")"
pass "move-out: final register, final bill (63.48, posted 0), balance refundable (136.52) and refunded"

# 3. Change of holder on 03-15 at 1,200 kWh: HA closes, HB opens there
#    with HA's tier position (200 kWh of March's 240 at tier 1).
account HA prepaid
account HB prepaid
for n in HA HB; do api POST "/api/v1/accounts/$n/topups" "{\"amount_fen\":20000,\"reference\":\"$n-1\"}"; expect 201; done
api PUT /api/v1/meters/LM3 '{"gateway":"gw-1","account":"HA"}'; expect 200
post LM3 1 "2025-03-01 00:00" 1000000
post LM3 2 "2025-03-10" 1150000
api POST /api/v1/accounts/HA/transfer "{\"to\":\"HB\",\"final_wh\":1200000,\"at\":$(d '2025-03-15 09:00')}"; expect 200
# HA: 200 kWh x 0.4883 = 97.66; 200.00 - 97.66 = 102.34
[ "$(j '["state"]')" = closed ] && [ "$(j '["balance_fen"]')" = 10234 ] && [ "$(j '["bills"][0]["total_fen"]')" = 9766 ] \
  && [ "$(j '["to"]["meter"]')" = LM3 ] || fail "transfer: $(cat "$T/resp")"
api GET /api/v1/meters/LM3
[ "$(j '["account"]')" = HB ] && [ "$(j '["ref"]["import_wh"]')" = 1200000 ] && [ "$(j '["tier"]["used_wh"]')" = 200000 ] \
  || fail "HB snapshot: $(cat "$T/resp")"
post LM3 3 "2025-03-25" 1260000
post LM3 4 "2025-04-01 00:00" 1300000
# HB: 100 kWh from 1,200: tier 1 40 (to 240) x 0.4883 = 19.532 -> 19.53,
# tier 2 60 x 0.5383 = 32.298 -> 32.30; 51.83 (a fresh allowance would
# have been 48.83)
api GET /api/v1/accounts/HB; [ "$(j '["balance_fen"]')" = $((20000 - 5183)) ] || fail "HB balance: $(cat "$T/resp")"
close_month 2025-03
bill HB 2025-03
[ "$(j '["total_fen"]')" = 5183 ] && [ "$(j '["posted_fen"]')" = 0 ] && [ "$(j '["energy_wh"]')" = 100000 ] \
  || fail "HB March: $(cat "$T/resp")"
bill HA 2025-03; [ "$(j '["total_fen"]')" = 9766 ] || fail "HA March: $(cat "$T/resp")"
pass "change of holder: HA's final bill 97.66, HB from the same reading with HA's tier position (51.83)"

bad=$(sqlv "SELECT a.number FROM accounts a WHERE a.balance_fen != (SELECT coalesce(sum(amount_fen),0) FROM ledger l WHERE l.account_id = a.id)")
[ -z "$bad" ] || fail "ledger sum != balance for $bad"
pass "ledger sums equal balances"
