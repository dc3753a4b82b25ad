#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Multipliers (综合倍率, issue 22): a meter behind current and voltage
# transformers is billed the register difference times CT x PT, by the
# server's deduction and close and by the agent's local balance alike
# (the agent's own code, agent_balance, from the snapshot the server
# sent), and a CT replaced in the middle of a month is a seam: each part is
# priced with the multiplier in force for it, the tier position carried.
# Every amount worked out by hand (as tests/unit/test_tariff_multiplier.c).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
. "$(dirname "$0")/areas_lib.sh"
: "${MB_AGENT_BALANCE:?the agent_balance tool (tests/integration/agent_balance.c)}"

server_conf "$T/server.conf"
echo "dashboard = { www = \"$MB_SRC/server/dash/www\"; };" >>"$T/server.conf"
OPER=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"
export METERBOX_TOKEN=$ADMIN

api POST /api/v1/gateways '{"name":"gw-1"}'; expect 201; GW=$(j '["token"]')
for f in beijing-residential flat enterprise-tou-demand; do
  api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/$f.conf"; expect 201
done
account() { # NUMBER METER TARIFF
  api POST /api/v1/accounts "{\"number\":\"$1\",\"mode\":\"prepaid\"}"; expect 201
  api PUT "/api/v1/accounts/$1/tariff" "{\"tariff\":\"$3\",\"effective\":\"2025-01-01\"}"; expect 200
  api POST "/api/v1/accounts/$1/topups" "{\"amount_fen\":100000,\"reference\":\"$1-1\"}"; expect 201
  api PUT "/api/v1/meters/$2" "{\"gateway\":\"gw-1\",\"account\":\"$1\"}"; expect 200
}
d() { date -d "$1" +%s; }
rd() { # METER SEQ DATE WH [RATES]
  printf '{"meter":"%s","seq":%s,"ts":%s,"import_wh":%s%s}' "$1" "$2" "$(d "$3")" "$4" "${5:+,\"rate_wh\":$5}"
}
post() { local IFS=,; api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[$*]}" "$GW"; expect 200; }
balance() { api GET "/api/v1/accounts/$1"; j '["balance_fen"]'; }
# agent METER TARIFF READINGS...: the agent's balances after each reading,
# charged by the agent's code from the server's snapshot now
agent() {
  local m=$1 tariff=$2; shift 2
  api GET "/api/v1/meters/$m"; expect 200; cp "$T/resp" "$T/snap.json"
  api GET "/api/v1/tariffs/$tariff/text"; expect 200; cp "$T/resp" "$T/tariff.txt"
  /usr/bin/python3 -c 'import json, sys
print(json.dumps({"snapshot": json.load(open(sys.argv[1])), "tariff": open(sys.argv[2]).read(),
                  "readings": [json.loads(r) for r in sys.argv[3:]]}))' "$T/snap.json" "$T/tariff.txt" "$@" |
    "$MB_AGENT_BALANCE"
}

# 1. Flat 0.55 (flat.conf from 2024-07) behind CT 200/5 = 40: 2.5 kWh on the
#    register in March is 100 kWh = 55.00.
account FL MF flat-example
api POST /api/v1/meters/MF/multiplier '{"ct":"200/5"}'; expect 201
[ "$(j '["multiplier"]')" = 40 ] || fail "CT 200/5: $(cat "$T/resp")"
post "$(rd MF 1 '2025-03-01 00:00' 10000)"
api GET /api/v1/meters/MF; [ "$(j '["multiplier"]')" = 40 ] || fail "snapshot multiplier: $(cat "$T/resp")"
want=$(agent MF flat-example "$(rd MF 2 '2025-04-01 00:00' 12500)")
post "$(rd MF 2 '2025-04-01 00:00' 12500)"
[ "$(balance FL)" = $((100000 - 5500)) ] || fail "flat: balance $(balance FL), want 945.00"
[ "$want" = "[$((100000 - 5500))]" ] || fail "flat: the agent's balance $want"
pass "flat behind CT 200/5: 2.5 kWh on the register is 100 kWh = 55.00, agent and server alike"

# 2. Time of use behind a 10 kV PT (10000/100) and a CT 50/5: x1000.  The rate
#    registers move peak 30, flat 20, valley 10 Wh on an ordinary day:
#    30 kWh x 1.00 + 20 x 0.62 + 10 x 0.30 = 45.40.
account EN ME ent-tou-demand
api POST /api/v1/meters/ME/multiplier '{"ct":"50/5","pt":"10000/100"}'; expect 201
[ "$(j '["multiplier"]')" = 1000 ] || fail "CT x PT: $(cat "$T/resp")"
post "$(rd ME 1 '2025-03-10 00:00' 600 '[0,100,200,300]')"
want=$(agent ME ent-tou-demand "$(rd ME 2 '2025-03-11 00:00' 660 '[0,130,220,310]')")
post "$(rd ME 2 '2025-03-11 00:00' 660 '[0,130,220,310]')"
[ "$(balance EN)" = $((100000 - 4540)) ] || fail "TOU: balance $(balance EN), want 954.60"
[ "$want" = "[$((100000 - 4540))]" ] || fail "TOU: the agent's balance $want"
pass "time of use behind PT 10000/100 and CT 50/5: 45.40 by rate, agent and server alike"

# 3. Beijing tiers, a CT replaced in the middle of March: 200/5 (x40) from
#    1000 Wh on the register to 5000 Wh at 03-16 00:00 (160 kWh), then 300/5
#    (x60) to 9000 Wh (240 kWh).  400 kWh, the tier position carried across
#    the change: tier 1 240 = 117.19, tier 2 160 = 86.13; 203.32.
#    The change is told after the readings that follow it came: until then
#    they were charged x40 (1000 -> 6500 Wh: 220 kWh x 0.4883 = 107.43); told,
#    the month is walked again: 80 + 80 kWh x40, then 1.5 kWh x60 = 90 kWh:
#    250 kWh = 117.19 + 10 x 0.5383 = 5.38, 122.57.
account BJ MB cn-bj-residential
api POST /api/v1/meters/MB/multiplier '{"ct":"200/5"}'; expect 201
post "$(rd MB 1 '2025-03-01 00:00' 1000)" "$(rd MB 2 '2025-03-10 00:00' 3000)"
want=$(agent MB cn-bj-residential "$(rd MB 3 '2025-03-20 00:00' 6500)")
post "$(rd MB 3 '2025-03-20 00:00' 6500)"
[ "$(balance BJ)" = $((100000 - 10743)) ] || fail "before the change is told: $(balance BJ), want 892.57"
[ "$want" = "[$((100000 - 10743))]" ] || fail "the agent before the change: $want"
"$MB_CTL" meter multiplier MB --ct 300/5 --register 5.000 --at "2025-03-16 00:00" >"$T/out" ||
  fail "meterboxctl meter multiplier: $(cat "$T/out")"
grep -q "^multiplier *60" "$T/out" || fail "ctl multiplier: $(cat "$T/out")"
[ "$(balance BJ)" = $((100000 - 12257)) ] || fail "walked again: $(balance BJ), want 877.43"
api GET /api/v1/meters/MB; [ "$(j '["multiplier"]'),$(j '["ref"]["import_wh"]')" = "60,6500" ] ||
  fail "the snapshot after the change: $(cat "$T/resp")"
want=$(agent MB cn-bj-residential "$(rd MB 4 '2025-04-01 00:00' 9000)")
post "$(rd MB 4 '2025-04-01 00:00' 9000)"
[ "$(balance BJ)" = $((100000 - 20332)) ] || fail "after the change: $(balance BJ), want 796.68"
[ "$want" = "[$((100000 - 20332))]" ] || fail "the agent after the change: $want"
api POST /api/v1/meters/MB/multiplier "{\"ct\":\"400/5\",\"register_wh\":4000,\"at\":$(d '2025-03-25 00:00')}"
expect 409
[ "$(j '["error"]["code"]')" = register_mismatch ] || fail "a register that cannot be: $(cat "$T/resp")"
api POST /api/v1/meters/MB/multiplier '{"ct":"12.5/5"}'; expect 400
api POST /api/v1/meters/MB/multiplier '{"ct":"200/5","at":1740000000}'; expect 400
pass "a CT replaced mid-month, told late: walked again (877.43), then 203.32 with the tiers carried; agent = server"

# The close equals the deductions; the bill shows both pieces and their multipliers.
post "$(rd ME 3 '2025-04-01 00:00' 660 '[0,130,220,310]')"   # the enterprise's month end, nothing more used
close_month 2025-03
api GET /api/v1/accounts/BJ/bills/2025-03; expect 200
/usr/bin/python3 - "$T/resp" <<'PY' || fail "the bill: $(cat "$T/resp")"
import json, sys
b = json.load(open(sys.argv[1]))
assert (b["state"], b["total_fen"], b["posted_fen"], b["energy_wh"]) == ("settled", 20332, 0, 400000), b
p = [(x["meter"], x["from_wh"], x["to_wh"], x["energy_wh"], x["multiplier"]) for x in b["pieces"]]
assert p == [("MB", 1000, 5000, 160000, 40), ("MB", 5000, 9000, 240000, 60)], p
assert b["flags"] == ["multiplier_change"], b["flags"]
assert [(l["tier"], l["qty"], l["fen"]) for l in b["lines"]] == [(1, 240000, 11719), (2, 160000, 8613)], b["lines"]
PY
# The close adds the fixed monthly charges (docs/tariffs.md, "Monthly
# charges"), by the days of supply: FL from 03-01, 5.00 x 31/31: 55.00 +
# 5.00 = 60.00, posting 5.00; EN from its first reading on 03-10, days
# 10..31: 20.00 x 22/31 = 14.193.. -> 14.19: 45.40 + 14.19 = 59.59.
for a in FL:6000:-500:40 EN:5959:-1419:1000; do
  IFS=: read -r n total posted k <<<"$a"
  api GET "/api/v1/accounts/$n/bills/2025-03"; expect 200
  [ "$(j '["total_fen"]'),$(j '["posted_fen"]'),$(j '["pieces"][0]["multiplier"]')" = "$total,$posted,$k" ] ||
    fail "$n's bill: $(cat "$T/resp")"
done
"$MB_CTL" bill show BJ 2025-03 >"$T/out" || fail "ctl bill show"
need_browser must
MB_URL=$URL MB_ADMIN=$ADMIN MB_OPER=$OPER MB_ARTIFACTS=${MB_ARTIFACTS:-$T/artifacts} MB_BILL=BJ/2025-03 \
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 node "$BROWSER/areas.test.mjs" || fail "the printed bill"
pass "the close equals the deductions (posted 0; fixed charges posted by the close); the bill's pieces show x40 and x60 (API and printed), flagged multiplier_change"

# The demand charge uses the multiplier too (meterboxctl quote: the engine's
# monthly bill): 120 W on the meter behind x1000 is 120 kW x 38.00 =
# 4560.00, with the fixed 20.00 and the 45.40 of energy: 4625.40.
"$MB_CTL" quote --tariff "$MB_SRC/etc/tariffs/enterprise-tou-demand.conf" --at 2025-03-10 \
  --rates 0,0.030,0.020,0.010 --demand-kw 0.120 --ct 50/5 --pt 10000/100 >"$T/quote.json" ||
  fail "meterboxctl quote --ct --pt"
[ "$(j '["total_fen"]' "$T/quote.json"),$(j '["multiplier"]' "$T/quote.json"),$(j '["lines"][-1]["fen"]' "$T/quote.json")" = "462540,1000,456000" ] ||
  fail "quote with a demand charge: $(cat "$T/quote.json")"
pass "a demand charge behind CT and PT: 120 kW x 38.00 = 4560.00, the bill 4625.40"
