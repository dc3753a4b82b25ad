#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One bad account never blocks a close: a register no bill can hold is
# refused at ingest (422 naming the field), an amount no bill can hold is
# held at the close with its reason, and the close answers 200 with the
# others settled, on every retry.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"

# A tariff nobody should load: 999,999,999,999.9999 yuan per kWh.  Any
# energy at all overflows the exact amounts (price x Wh in 1e-7 yuan).
cat >"$T/absurd.conf" <<'TARIFF'
id = "absurd";
versions = ( { from = "2020-01-01"; price = "999999999999.9999"; } );
TARIFF
api POST /api/v1/gateways '{"name":"gw-1"}'; expect 201; GW=$(j '["token"]')
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
api POST /api/v1/tariffs "@$T/absurd.conf"; expect 201
for n in 1 2 3; do
  t=cn-bj-residential; [ $n = 2 ] && t=absurd
  api POST /api/v1/accounts "{\"number\":\"B$n\",\"mode\":\"monthly\"}"; expect 201
  api PUT /api/v1/accounts/B$n/tariff "{\"tariff\":\"$t\",\"effective\":\"2025-01-01\"}"; expect 200
  api PUT "/api/v1/meters/BM$n" "{\"gateway\":\"gw-1\",\"account\":\"B$n\"}"; expect 200
done
M0=$(at "2025-03-01 00:00"); M1=$(at "2025-04-01 00:00")
rd() { printf '{"meter":"BM%s","seq":%s,"ts":%s,"import_wh":%s}' "$1" "$2" "$3" "$4"; }

# 10^12 Wh and one more: no register a bill can price.  Nothing is stored.
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[$(rd 1 1 "$M0" 1000),$(rd 3 1 "$M0" 1000000000001)]}" "$GW"
expect 422
[ "$(j '["error"]["field"]')" = "readings[1].import_wh" ] || fail "422 field: $(cat "$T/resp")"
[ "$(sqlv "SELECT count(*) FROM readings")" = 0 ] || fail "a refused batch stored readings"
pass "a register no bill can hold is refused at ingest: 422 naming readings[1].import_wh"

for n in 1 2 3; do
  api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[$(rd $n 1 "$M0" 1000000),$(rd $n 2 "$M1" 1100000)]}" "$GW"
  expect 200
done
# B1 and B3: 100 kWh x 0.4883 = 48.83; B2: 100 kWh x 999999999999.9999 does
# not fit the engine's 64-bit exact amount: held.  Twice: still 200.
for try in 1 2; do
  close_month 2025-03
  if [ $try = 1 ]; then
    [ "$(j '["settled"]')" = 2 ] && [ "$(j '["held"]')" = 1 ] && [ "$(j '["failed"]')" = 0 ] \
      || fail "close: $(cat "$T/resp")"
  else
    [ "$(j '["already_settled"]')" = 2 ] && [ "$(j '["held"]')" = 1 ] || fail "close again: $(cat "$T/resp")"
  fi
done
api GET /api/v1/accounts/B2/bills/2025-03
[ "$(j '["state"]')" = held ] || fail "B2: $(cat "$T/resp")"
case "$(j '["reason"]')" in unbillable:*BM2*) ;; *) fail "B2 reason: $(cat "$T/resp")" ;; esac
case "$(j '["flags"]')" in *unbillable*) ;; *) fail "B2 flags: $(cat "$T/resp")" ;; esac
for n in 1 3; do
  api GET /api/v1/accounts/B$n/bills/2025-03
  [ "$(j '["total_fen"]')" = 4883 ] && [ "$(j '["posted_fen"]')" = -4883 ] || fail "B$n: $(cat "$T/resp")"
done
pass "an amount no bill can hold is held with its reason; the close answers 200, the others settle (48.83)"

# The clerk fixes the assignment; the held month then settles.
api PUT /api/v1/accounts/B2/tariff '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'; expect 200
close_month 2025-03
api GET /api/v1/accounts/B2/bills/2025-03
[ "$(j '["state"]')" = settled ] && [ "$(j '["total_fen"]')" = 4883 ] || fail "B2 after the fix: $(cat "$T/resp")"
pass "once the tariff is right the held month settles (48.83)"
