#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Seams of measurement: a meter exchange (换表), a register rollover at its
# configured range, and registers that went backwards, held with the
# reading named until an operator says what happened (an exchange in place,
# a bad reading).  Beijing residential: tier 1 to 240 kWh at 0.4883.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"

api POST /api/v1/gateways '{"name":"gw-1"}'; expect 201; GW=$(j '["token"]')
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
account() { # NUMBER METER
  api POST /api/v1/accounts "{\"number\":\"$1\",\"mode\":\"prepaid\"}"; expect 201
  api PUT "/api/v1/accounts/$1/tariff" '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'; expect 200
  api POST "/api/v1/accounts/$1/topups" "{\"amount_fen\":50000,\"reference\":\"$1-1\"}"; expect 201
  api PUT "/api/v1/meters/$2" "{\"gateway\":\"gw-1\",\"account\":\"$1\"}"; expect 200
}
d() { date -d "$1" +%s; }
post() { # METER SEQ DATE WH
  api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"$1\",\"seq\":$2,\"ts\":$(d "$3"),\"import_wh\":$4}]}" "$GW"
  expect 200
}
bill() { api GET "/api/v1/accounts/$1/bills/$2"; expect 200; }
balance() { api GET "/api/v1/accounts/$1"; j '["balance_fen"]'; }

# 1. Exchange on 03-12: the old meter's final register 1,130 kWh, the new
#    one's initial 0.5 kWh.  March = 130 kWh on the old + 100 kWh on the new
#    = 230 kWh (tier 1): 230 x 0.4883 = 112.309 -> 112.31.  (Charged from
#    zero the new meter would have added 0.5 kWh.)
account EX XM1
post XM1 1 "2025-03-01 00:00" 1000000
post XM1 2 "2025-03-10" 1100000
api POST /api/v1/meters/XM1/exchange "{\"new_meter\":\"XM2\",\"final_wh\":1130000,\"initial_wh\":500,\"at\":$(d '2025-03-12 10:00')}"
expect 201
api GET /api/v1/meters/XM1; [ "$(j '["account"]')" = null ] || fail "old meter still bound: $(cat "$T/resp")"
# the agent follows at its next sync: the new meter's snapshot is the
# account's, from the initial register
api POST /api/v1/readings '{"gateway":"gw-1","readings":[]}' "$GW"; expect 200
/usr/bin/python3 - "$T/resp" <<'PY' || fail "snapshots after the exchange: $(cat "$T/resp")"
import json, sys
m = {e["meter"]: e for e in json.load(open(sys.argv[1]))["meters"]}
assert m["XM1"]["account"] is None, m["XM1"]
assert m["XM2"]["account"] == "EX" and m["XM2"]["ref"]["import_wh"] == 500, m["XM2"]
assert m["XM2"]["balance_fen"] == 50000 - 6348, m["XM2"]  # 130 kWh: 63.479 -> 63.48
PY
post XM2 1 "2025-03-20" 50500
post XM2 2 "2025-04-01 00:00" 100500
[ "$(balance EX)" = $((50000 - 11231)) ] || fail "EX continuous: $(cat "$T/resp")"
"$MB_CTL" --server "$URL" --token "$ADMIN" meter exchange XM2 XM3 --final 100.5 >/dev/null 2>"$T/err" &&
  fail "meterboxctl exchanged without --initial"
close_month 2025-03
bill EX 2025-03
[ "$(j '["total_fen"]')" = 11231 ] && [ "$(j '["posted_fen"]')" = 0 ] && [ "$(j '["energy_wh"]')" = 230000 ] \
  && [ "$(j '["pieces"][0]["energy_wh"]')" = 130000 ] && [ "$(j '["pieces"][1]["meter"]')" = XM2 ] \
  && [ "$(j '["pieces"][1]["energy_wh"]')" = 100000 ] || fail "EX March: $(cat "$T/resp")"
case "$(j '["flags"]')" in *meter_exchange*) ;; *) fail "EX flags: $(cat "$T/resp")" ;; esac
pass "meter exchange: both meters' pieces (130 + 100 kWh = 112.31, posted 0), the new one not from zero"

# 2. A register of range 1,000,000,000 Wh (999999.99 kWh) wraps:
#    999,950 -> 999,990 -> 30 kWh: 40 + 40 = 80 kWh, 80 x 0.4883 = 39.064
#    -> 39.06, charged across the wrap continuously and at the close.
account RO RM1
api PUT /api/v1/meters/RM1 '{"rollover_wh":1000000000}'; expect 200
post RM1 1 "2025-03-01 00:00" 999950000
post RM1 2 "2025-03-20" 999990000
post RM1 3 "2025-04-01 00:00" 30000
[ "$(balance RO)" = $((50000 - 3906)) ] || fail "RO continuous: $(cat "$T/resp")"
api GET /api/v1/meters/RM1; [ "$(j '["rollover_wh"]')" = 1000000000 ] || fail "snapshot rollover_wh: $(cat "$T/resp")"

# 3. A register reset in place on 03-15 (no range): 500,100 kWh, then 2 kWh.
#    Held; the operator says the old register's last value was 500,120 kWh
#    and the new one started at 0: 100 + (20 + 2) + 50 = 172 kWh,
#    172 x 0.4883 = 83.9876 -> 83.99.
account BK BM1
post BM1 1 "2025-03-01 00:00" 500000000
post BM1 2 "2025-03-10" 500100000
post BM1 3 "2025-03-15" 2000
post BM1 4 "2025-04-01 00:00" 52000
# continuous deduction skipped the backwards step: 100 + 50 = 150 kWh,
# 150 x 0.4883 = 73.245 -> 73.25
[ "$(balance BK)" = $((50000 - 7325)) ] || fail "BK continuous: $(cat "$T/resp")"

# 4. A bad reading (149,999 Wh after 150,000): excluded by the operator:
#    100 kWh, 48.83.
account GL GM1
post GM1 1 "2025-03-01 00:00" 100000
post GM1 2 "2025-03-10" 150000
post GM1 3 "2025-03-12" 149999
post GM1 4 "2025-04-01 00:00" 200000

close_month 2025-03
[ "$(j '["held"]')" = 2 ] || fail "close: $(cat "$T/resp")"
bill RO 2025-03
[ "$(j '["total_fen"]')" = 3906 ] && [ "$(j '["posted_fen"]')" = 0 ] && [ "$(j '["energy_wh"]')" = 80000 ] \
  || fail "RO March: $(cat "$T/resp")"
case "$(j '["flags"]')" in *rollover*) ;; *) fail "RO flags: $(cat "$T/resp")" ;; esac
pass "rollover at the configured range: charged across the wrap (80 kWh, 39.06, posted 0)"

for a in BK:BM1 GL:GM1; do
  bill "${a%%:*}" 2025-03
  [ "$(j '["state"]')" = held ] || fail "${a%%:*} not held: $(cat "$T/resp")"
  case "$(j '["reason"]')" in *"meter ${a##*:} seq 3"*) ;; *) fail "${a%%:*} reason: $(cat "$T/resp")" ;; esac
done
pass "a register that went backwards (no rollover) holds the month, naming the meter and seq"

api POST /api/v1/meters/BM1/fixes '{"seq":3,"as":"exchange","final_wh":500120000,"initial_wh":0,"reason":"reset in place by the vendor"}'
expect 201
[ "$(j '["shift_wh"]')" = 500120000 ] || fail "fix: $(cat "$T/resp")"
bill BK 2025-03
[ "$(j '["state"]')" = settled ] && [ "$(j '["total_fen"]')" = 8399 ] && [ "$(j '["energy_wh"]')" = 172000 ] \
  && [ "$(j '["posted_fen"]')" = 0 ] || fail "BK after the fix: $(cat "$T/resp")"
case "$(j '["flags"]')" in *operator_fix*) ;; *) fail "BK flags: $(cat "$T/resp")" ;; esac
[ "$(balance BK)" = $((50000 - 8399)) ] || fail "BK balance after the fix"
export METERBOX_TOKEN=$ADMIN
"$MB_CTL" meter fix GM1 3 --as exclude --reason "a misread" >/dev/null || fail "meterboxctl meter fix"
bill GL 2025-03
[ "$(j '["state"]')" = settled ] && [ "$(j '["total_fen"]')" = 4883 ] || fail "GL after the fix: $(cat "$T/resp")"
pass "the operator resolves them: an exchange in place (172 kWh, 83.99), a bad reading left out (48.83)"

# meterboxctl meter exchange, then the month goes on on the new meter
"$MB_CTL" meter exchange XM2 XM3 --final 100.600 --initial 0.010 --at "$(d '2025-04-05')" >"$T/ctl.txt" ||
  fail "meterboxctl meter exchange: $(cat "$T/ctl.txt")"
api GET /api/v1/meters/XM3; [ "$(j '["account"]')" = EX ] && [ "$(j '["ref"]["import_wh"]')" = 10 ] \
  || fail "after meterboxctl exchange: $(cat "$T/resp")"
bad=$(sqlv "SELECT a.number FROM accounts a WHERE a.balance_fen != (SELECT coalesce(sum(amount_fen),0) FROM ledger l WHERE l.account_id = a.id)")
[ -z "$bad" ] || fail "ledger sum != balance for $bad"
pass "meterboxctl meter exchange; ledger sums equal balances"
