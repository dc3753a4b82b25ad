#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Seam: which point ends a month (docs/tariffs.md, boundary precedence).  A
# frozen month-end register defines the month even when it arrives after
# the routine readings around it; otherwise the reading nearest the
# boundary does; a reading that arrives after its month was settled moves
# energy into the next month, never twice and never lost.  Beijing: tier 1
# to 240 kWh at 0.4883, tier 2 to 400 at 0.5383.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"

api POST /api/v1/gateways '{"name":"gw-1"}'; expect 201; GW=$(j '["token"]')
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
for n in F L; do
  api POST /api/v1/accounts "{\"number\":\"$n\",\"mode\":\"monthly\"}"; expect 201
  api PUT "/api/v1/accounts/$n/tariff" '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'; expect 200
  api PUT "/api/v1/meters/B$n" "{\"gateway\":\"gw-1\",\"account\":\"$n\"}"; expect 200
done
d() { date -d "$1" +%s; }
rd() { printf '{"meter":"B%s","seq":%s,"ts":%s,"import_wh":%s%s}' "$1" "$2" "$(d "$3")" "$4" "${5:-}"; }
post() { api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[$1]}" "$GW"; expect 200; }
bill() { api GET "/api/v1/accounts/$1/bills/$2"; expect 200; }

# F: 230 kWh by 03-31 22:00, 80 kWh more by 04-01 06:00.  The reading
# nearest 00:00 is 22:00 (2 h before, 6 h after): without the frozen
# register March would end at 230 kWh.  The meter's register frozen at
# 00:00 (1,250 kWh) arrives with a later reading: March is 250 kWh,
#   240 x 0.4883 = 117.192 -> 117.19;  10 x 0.5383 = 5.383 -> 5.38;  122.57
# and April starts at the frozen register: to 04-30 at 1,400 kWh = 150 kWh,
#   150 x 0.4883 = 73.245 -> 73.25.
post "$(rd F 1 '2025-03-01 00:00' 1000000),$(rd F 2 '2025-03-31 22:00' 1230000),$(rd F 3 '2025-04-01 06:00' 1310000)"
post "$(rd F 4 '2025-04-02' 1320000 ",\"frozen_import_wh\":1250000,\"frozen_time\":$(d '2025-04-01 00:00')")"
post "$(rd F 5 '2025-04-30 12:00' 1400000),$(rd F 6 '2025-05-01 00:00' 1400000)"
close_month 2025-03
bill F 2025-03
[ "$(j '["energy_wh"]')" = 250000 ] && [ "$(j '["total_fen"]')" = 12257 ] && [ "$(j '["to_import_wh"]')" = 1250000 ] \
  || fail "F March: $(cat "$T/resp")"
case "$(j '["flags"]')" in *frozen_fallback*) ;; *) fail "F flags: $(cat "$T/resp")" ;; esac
close_month 2025-04
bill F 2025-04
[ "$(j '["energy_wh"]')" = 150000 ] && [ "$(j '["total_fen"]')" = 7325 ] && [ "$(j '["from_import_wh"]')" = 1250000 ] \
  || fail "F April: $(cat "$T/resp")"
pass "a frozen month-end register arriving after the routine readings defines the month (250 kWh 122.57, then 150 kWh 73.25)"

# L: readings 03-31 12:00 and 04-01 12:00 are equally near 00:00: the one
# after ends March (ties go to the month before): March = 1,000 -> 1,300 =
# 300 kWh.  The last interval's 100 kWh straddle 00:00, where the tier
# period restarts, and are split by time, 50 kWh each side: March's tier
# position goes 200 -> 250 (tier 1 40, tier 2 10), April's 0 -> 50 (tier 1):
#   tier 1 290 x 0.4883 = 141.607 -> 141.61; tier 2 10 x 0.5383 = 5.383 ->
#   5.38; 146.99.
# A reading of 03-31 23:55 (seq 3) arrives after March was settled: March
# stays, April starts where March ended (with April's position at 50 kWh),
# so nothing is billed twice or lost: April = 1,300 -> 1,350 = 50 kWh, tier 1
# 50 x 0.4883 = 24.415 -> 24.42.
post "$(rd L 1 '2025-03-01 00:00' 1000000),$(rd L 2 '2025-03-31 12:00' 1200000),$(rd L 4 '2025-04-01 12:00' 1300000)"
close_month 2025-03
bill L 2025-03
[ "$(j '["energy_wh"]')" = 300000 ] && [ "$(j '["total_fen"]')" = 14699 ] || fail "L March: $(cat "$T/resp")"
post "$(rd L 3 '2025-03-31 23:55' 1290000),$(rd L 5 '2025-04-30' 1340000),$(rd L 6 '2025-05-01 00:00' 1350000)"
close_month 2025-03
bill L 2025-03; [ "$(j '["total_fen"]')" = 14699 ] || fail "L March changed: $(cat "$T/resp")"
close_month 2025-04
bill L 2025-04
[ "$(j '["energy_wh"]')" = 50000 ] && [ "$(j '["total_fen"]')" = 2442 ] && [ "$(j '["from_import_wh"]')" = 1300000 ] \
  || fail "L April: $(cat "$T/resp")"
pass "a late reading near the boundary: March stays (146.99), April starts where it ended (50 kWh, 24.42)"

# Over both months every Wh of both meters is billed once.
for n in F L; do
  got=$(sqlv "SELECT sum(energy_wh) FROM bills b JOIN accounts a ON a.id = b.account_id WHERE a.number = '$n'")
  [ "$got" = $([ $n = F ] && echo 400000 || echo 350000) ] || fail "$n: $got Wh billed"
done
pass "no Wh billed twice or lost across the boundary"
