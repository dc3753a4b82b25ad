#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Month close finds a register that went backwards inside the month (a
# lower reading holds the month; the agent's event alone flags it), and
# nothing else: the chunked close reads these for many accounts at once, so
# each case sits beside accounts that must stay clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"

TARIFF=$MB_SRC/etc/tariffs/beijing-residential.conf
api POST /api/v1/gateways '{"name":"gw-1","region":"110105"}'; expect 201
GW=$(j '["token"]')
api POST /api/v1/tariffs "@$TARIFF"; expect 201
# 1 clean; 2 a lower reading mid-month; 3 the agent's backwards event;
# 4 a lower reading after the end boundary (April's business, not March's);
# 5 a lower reading of its own and its neighbour 6 clean.
for n in 1 2 3 4 5 6; do
  api POST /api/v1/accounts "{\"number\":\"220000000$n\",\"mode\":\"monthly\"}"; expect 201
  api PUT /api/v1/accounts/220000000$n/tariff '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'
  expect 200
  api PUT /api/v1/meters/00000000002$n "{\"gateway\":\"gw-1\",\"account\":\"220000000$n\"}"; expect 200
done

M0=$(at "2025-03-01 00:00"); M1=$(at "2025-04-01 00:00"); D=86400
r() { # meter seq ts import_wh [kind]
  printf '{"meter":"00000000002%s","seq":%s,"ts":%s,"import_wh":%s,"kind":"%s"}' "$1" "$2" "$3" "$4" "${5:-routine}"
}
rs=()
for n in 1 2 3 4 5 6; do
  rs+=("$(r $n 1 "$M0" 100000 boundary)" "$(r $n 2 $((M0 + 10 * D)) 150000)")
done
rs+=("$(r 2 3 $((M0 + 20 * D)) 140000)")   # 2: lower than the one before
rs+=("$(r 5 3 $((M0 + 12 * D)) 149999)")   # 5: lower by 1 Wh
for n in 1 2 3 4 5 6; do rs+=("$(r $n 4 "$M1" 200000 boundary)"); done
rs+=("$(r 4 5 $((M1 + 2 * D)) 190000)")    # 4: after March's end
body=$(IFS=,; echo "{\"gateway\":\"gw-1\",\"sent_at\":$((M1 + 3 * D)),\"readings\":[${rs[*]}],\"events\":[{\"id\":1,\"meter\":\"000000000023\",\"ts\":$((M0 + 15 * D)),\"type\":\"register_backwards\",\"reason\":\"test\"}]}")
api POST /api/v1/readings "$body" "$GW"; expect 200

close_month 2025-03
# 2 and 5: a lower reading is no rollover (no register range): held with
# the reading named, until an operator says what happened; 3: the agent's
# event alone is a flag (the readings themselves never went backwards)
[ "$(j '["settled"]')" = 4 ] && [ "$(j '["held"]')" = 2 ] || fail "close: $(cat "$T/resp")"
flags() { api GET "/api/v1/accounts/220000000$1/bills/2025-03"; expect 200; j '["flags"]'; }
for n in 2 5; do
  case "$(flags $n)" in *register_backwards*) ;; *) fail "account $n: no register_backwards: $(cat "$T/resp")" ;; esac
  [ "$(j '["state"]')" = held ] || fail "account $n not held: $(cat "$T/resp")"
  case "$(j '["reason"]')" in *"meter 00000000002$n seq 3"*) ;; *) fail "account $n reason: $(cat "$T/resp")" ;; esac
done
case "$(flags 3)" in *register_backwards*) ;; *) fail "account 3: no register_backwards: $(cat "$T/resp")" ;; esac
[ "$(j '["state"]')" = settled ] && [ "$(j '["energy_wh"]')" = 100000 ] || fail "account 3: $(cat "$T/resp")"
for n in 1 4 6; do
  case "$(flags $n)" in *register_backwards*) fail "account $n flagged: $(cat "$T/resp")" ;; esac
  [ "$(j '["energy_wh"]')" = 100000 ] || fail "account $n energy: $(cat "$T/resp")"
done
pass "register backwards held for 2 and 5 (reading named), flagged for 3; 1, 4 and 6 bill 100 kWh clean"
