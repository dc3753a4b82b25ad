#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Transformer areas (台区, issue 22): an area with a main meter (总表, bound
# to no account) and its members, set up through the API and meterboxctl;
# where a meter stands is effective-dated, so a member moves to another
# area on a date and a replaced main meter hands over on a date.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
VIEW=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
start_server "$T/server.conf" "$T/server.log"
export METERBOX_TOKEN=$ADMIN
ctl() { "$MB_CTL" "$@"; }

api POST /api/v1/gateways '{"name":"gw-1","region":"110105"}'; expect 201
for m in Z1 Z2; do api PUT /api/v1/meters/$m '{"gateway":"gw-1"}'; expect 200; done
for n in 1 2 3; do
  api POST /api/v1/accounts "{\"number\":\"A$n\",\"holder\":\"户$n\"}"; expect 201
  api PUT /api/v1/meters/H$n "{\"gateway\":\"gw-1\",\"account\":\"A$n\"}"; expect 200
done

# An area through the API (the band defaults to 0..15 %), one through meterboxctl.
api POST /api/v1/areas '{"code":"TQ-1","name":"朝阳1号台区","region":"110105"}'; expect 201
[ "$(j '["loss_min_bp"]'),$(j '["loss_max_bp"]'),$(j '["main_meter"]'),$(j '["members"]')" = "0,1500,null,0" ] ||
  fail "new area: $(cat "$T/resp")"
api POST /api/v1/areas '{"code":"TQ-1"}'; expect 409
api POST /api/v1/areas '{"code":"TQ 1"}'; expect 400
api POST /api/v1/areas '{"code":"TQ-9","loss_min_bp":2000,"loss_max_bp":1000}'; expect 400
[ "$(j '["error"]["field"]')" = loss_max_bp ] || fail "band field: $(cat "$T/resp")"
api POST /api/v1/areas '{"code":"TQ-9","loss_max_bp":1.5}'; expect 400
ctl area create TQ-2 --name "朝阳2号台区" --region 110105 --loss-max 10 >"$T/out" || fail "ctl create: $(cat "$T/out")"
grep -q "loss max % *10.00" "$T/out" || fail "ctl create shows: $(cat "$T/out")"
ctl area create TQ-3 --loss-max ten 2>"$T/err" && fail "a band in words was taken"
grep -q "percentage" "$T/err" || fail "band message: $(cat "$T/err")"
api PATCH /api/v1/areas/TQ-2 '{"loss_min_bp":1200}'; expect 400   # above its max of 10 %
api PATCH /api/v1/areas/TQ-2 '{"loss_min_bp":-100}'; expect 200
[ "$(j '["loss_min_bp"]')" = -100 ] || fail "patched band: $(cat "$T/resp")"
api PATCH /api/v1/areas/TQ-7 '{"name":"x"}'; expect 404
pass "areas: created by API and meterboxctl, bands checked (min below max, hundredths of a percent)"

# Main meter and members from 2026-11-01; a household's meter cannot be a
# main meter, an unknown area or meter is named.
api PUT /api/v1/meters/Z1/area '{"area":"TQ-1","role":"main","effective":"2026-11-01"}'; expect 200
api PUT /api/v1/meters/H1/area '{"area":"TQ-1","role":"main","effective":"2026-11-01"}'; expect 409
[ "$(j '["error"]["code"]')" = has_account ] || fail "main with account: $(cat "$T/resp")"
api PUT /api/v1/meters/H1/area '{"area":"TQ-1","effective":"2026-11-01"}'; expect 200
[ "$(j '["role"]')" = member ] || fail "default role: $(cat "$T/resp")"
api PUT /api/v1/meters/H1/area '{"area":"TQ-5","effective":"2026-11-01"}'; expect 422
api PUT /api/v1/meters/NOPE/area '{"area":"TQ-1","effective":"2026-11-01"}'; expect 404
api PUT /api/v1/meters/H1/area '{"area":"TQ-1","effective":"2026-11-31"}'; expect 400
api PUT /api/v1/meters/H1/area '{"effective":"2026-11-01"}'; expect 400
api PUT /api/v1/meters/H1/area '{"area":null,"role":"main","effective":"2026-11-01"}'; expect 400
ctl area assign H2 TQ-1 --effective 2026-11-01 >/dev/null || fail "ctl assign H2"
ctl area assign H3 TQ-1 --effective 2026-11-01 >/dev/null || fail "ctl assign H3"
# H3 moves to TQ-2 on the 15th; H2 leaves every area on 12-01.
ctl area assign H3 TQ-2 --effective 2026-11-15 >/dev/null || fail "ctl move H3"
ctl area remove H2 --effective 2026-12-01 >/dev/null || fail "ctl remove H2"

members() {   # members AREA DATE: main and members on that date, "M:Z1 H1 H2"
  api GET "/api/v1/areas/$1?date=$2" "" "$VIEW"; expect 200
  /usr/bin/python3 -c 'import json,sys
a = json.load(open(sys.argv[1]))
print(" ".join(("M:" if m["role"] == "main" else "") + m["meter"] for m in a["meters"]))' "$T/resp"
}
[ "$(members TQ-1 2026-10-31)" = "" ] || fail "before the effective date: $(members TQ-1 2026-10-31)"
[ "$(members TQ-1 2026-11-14)" = "M:Z1 H1 H2 H3" ] || fail "11-14: $(members TQ-1 2026-11-14)"
[ "$(members TQ-1 2026-11-15)" = "M:Z1 H1 H2" ] || fail "11-15: $(members TQ-1 2026-11-15)"
[ "$(members TQ-2 2026-11-15)" = "H3" ] || fail "TQ-2 11-15: $(members TQ-2 2026-11-15)"
[ "$(members TQ-1 2026-12-01)" = "M:Z1 H1" ] || fail "12-01: $(members TQ-1 2026-12-01)"
api GET "/api/v1/areas/TQ-1?date=2026-11-14" "" "$VIEW"
[ "$(j '["members"]'),$(j '["main_meter"]'),$(j '["meters"][1]["account"]'),$(j '["meters"][1]["holder"]')" = "3,Z1,A1,户1" ] ||
  fail "area show: $(cat "$T/resp")"
pass "members move on their dates: TQ-1 has H3 until 11-14, TQ-2 from 11-15; H2 leaves on 12-01"

# A new main meter replaces the old one from its date.
ctl area assign Z2 TQ-1 --role main --effective 2026-12-01 >/dev/null || fail "ctl new main"
[ "$(members TQ-1 2026-11-30)" = "M:Z1 H1 H2" ] || fail "old main: $(members TQ-1 2026-11-30)"
[ "$(members TQ-1 2026-12-01)" = "M:Z2 H1" ] || fail "new main: $(members TQ-1 2026-12-01)"
api GET "/api/v1/meters/Z1/area?date=2026-12-02" "" "$VIEW"; expect 200
[ "$(j '["area"]'),$(j '["history"][1]["area"]'),$(j '["history"][1]["effective"]')" = "null,null,2026-12-01" ] ||
  fail "the old main meter: $(cat "$T/resp")"
# the same date again replaces that placement
ctl area assign H1 TQ-2 --effective 2026-11-01 >/dev/null || fail "ctl reassign"
api GET /api/v1/meters/H1/area "" "$VIEW"
[ "$(j '["history"]' | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
  fail "same date twice: $(cat "$T/resp")"
ctl area assign H1 TQ-1 --effective 2026-11-01 >/dev/null
api POST /api/v1/accounts '{"number":"A9"}'; expect 201
api PUT /api/v1/meters/Z2 '{"account":"A9"}'; expect 409
[ "$(j '["error"]["code"]')" = main_meter ] || fail "binding a main meter: $(cat "$T/resp")"
pass "a new main meter hands over on its date; the same date again replaces the placement; a main meter takes no account"

# The lists and meterboxctl's tables; the operator reads, never writes.
api GET "/api/v1/areas?date=2026-11-20" "" "$VIEW"; expect 200
/usr/bin/python3 - "$T/resp" <<'PY' || fail "area list: $(cat "$T/resp")"
import json, sys
a = json.load(open(sys.argv[1]))["areas"]
got = [(x["code"], x["main_meter"], x["members"]) for x in a]
assert got == [("TQ-1", "Z1", 2), ("TQ-2", None, 1)], got
PY
ctl area list --date 2026-11-20 >"$T/out" || fail "ctl list"
grep -q "^TQ-1 *朝阳1号台区 *110105 *Z1 *2 " "$T/out" || fail "ctl list table: $(cat "$T/out")"
ctl area show TQ-1 --date 2026-11-14 >"$T/out" || fail "ctl show"
grep -q "^Z1 *main *2026-11-01" "$T/out" && grep -q "^H3 *member *2026-11-01 *A3 *户3" "$T/out" ||
  fail "ctl show table: $(cat "$T/out")"
ctl area where H3 --date 2026-11-20 >"$T/out" || fail "ctl where"
grep -q "^area *TQ-2" "$T/out" || fail "ctl where: $(cat "$T/out")"
METERBOX_TOKEN=$VIEW ctl area assign H1 TQ-2 --effective 2026-11-01 2>"$T/err" && fail "an operator placed a meter"
grep -q "may not do that" "$T/err" || fail "operator refused: $(cat "$T/err")"
pass "area list, show and where through the API and meterboxctl"
