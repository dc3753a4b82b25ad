#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Line loss and collection success of transformer areas (issue 22) from
# readings posted as a gateway would, every figure worked out by hand: the
# scenario and its figures are in areas_lib.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
. "$(dirname "$0")/areas_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
VIEW=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
start_server "$T/server.conf" "$T/server.log"
export METERBOX_TOKEN=$VIEW
ctl() { "$MB_CTL" "$@"; }

areas_scenario

# check FILE PYTHON: assert on the JSON in FILE (x)
check() { /usr/bin/python3 -c "import json,sys
x = json.load(open(sys.argv[1]))
$2" "$1" || fail "$3: $(cat "$1")"; }

api GET "/api/v1/areas/TQ-1/loss?from=2026-11-10&to=2026-11-14" "" "$VIEW"; expect 200
check "$T/resp" '
d = {r["date"]: r for r in x["days"]}
assert [r["date"] for r in x["days"]] == ["2026-11-1%d" % i for i in range(5)]
for k in ("2026-11-10", "2026-11-11"):
    r = d[k]
    assert (r["state"], r["supply_wh"], r["sales_wh"], r["loss_wh"], r["rate_bp"]) == ("ok", 6400, 6000, 400, 625), r
    assert (r["meters"], r["collected"], r["missing"]) == (4, 4, []), r
r = d["2026-11-12"]
assert (r["state"], r["sales_wh"], r["loss_wh"], r["rate_bp"], r["outside_bp"]) == ("out_of_band", 3000, 3400, 5313, 3812), r
for k in ("2026-11-13", "2026-11-14"):
    r = d[k]
    assert (r["state"], r["reason"], r["rate_bp"], r["supply_wh"]) == ("not_computable", "missing_reading", None, None), r
    assert [(m["meter"], m["state"]) for m in r["missing"]] == [("H2", "missing")], r
    assert r["missing"][0]["at"] == r["to" if k == "2026-11-13" else "from"], r
    assert (r["meters"], r["collected"]) == (4, 3), r
' "daily line loss"
api GET "/api/v1/areas/TQ-1/loss?from=2026-11-07&to=2026-11-09" "" "$VIEW"; expect 200
check "$T/resp" '
assert [(r["supply_wh"], r["rate_bp"]) for r in x["days"]] == [(6400, 625)] * 3, x
' "the main meter behind a CT replaced at noon on 11-08"
api GET /api/v1/meters/Z1/multiplier "" "$VIEW"; expect 200
check "$T/resp" '
assert (x["multiplier"], x["ct"], [h["multiplier"] for h in x["history"]]) == (80, "400/5", [40, 80]), x
' "Z1's multipliers"
api GET "/api/v1/areas/TQ-1/loss?from=2026-11-04&to=2026-11-05" "" "$VIEW"; expect 200
check "$T/resp" '
assert [(r["state"], r["rate_bp"], r["collected"]) for r in x["days"]] == [("ok", 625, 4)] * 2, x
' "a frozen register as the boundary"
pass "daily line loss: 6.25 % on normal days, 53.13 % out of band the day H3 stopped, not computable (H2 missing) around 11-14"

api GET "/api/v1/areas/TQ-1/loss?month=2026-10" "" "$VIEW"; expect 200
check "$T/resp" '
r = x["month_loss"]
assert (r["state"], r["supply_wh"], r["sales_wh"], r["loss_wh"], r["rate_bp"]) == ("ok", 150000, 135000, 15000, 1000), r
assert len(x["days"]) == 31
assert x["days"][0]["state"] == "not_computable" and x["days"][0]["reason"] == "missing_reading"
' "monthly line loss"
api GET "/api/v1/areas/TQ-2/loss?month=2026-10" "" "$VIEW"; expect 200
check "$T/resp" 'assert x["month_loss"]["reason"] == "no_main_meter", x["month_loss"]' "TQ-2 without a main meter"
pass "monthly line loss from the month's boundaries: 10.00 % with H3 counted up to its move on 10-16"

api GET "/api/v1/stats/areas/TQ-1/members?day=2026-11-12" "" "$VIEW"; expect 200
check "$T/resp" '
m = x["members"]
assert [r["meter"] for r in m] == ["H3", "H1", "H2"], m
assert (m[0]["energy_wh"], m[0]["baseline_wh"], m[0]["change_wh"], m[0]["ratio_milli"], m[0]["history_days"]) == (0, 3000, -3000, 0, 7), m[0]
assert (m[0]["account"], m[0]["holder"], m[0]["state"]) == ("A3", "户3", "ok"), m[0]
assert m[1]["change_wh"] == 0 and m[1]["ratio_milli"] == 1000, m[1]
assert [r["meter"] for r in x["main"]] == ["Z1"] and x["main"][0]["energy_wh"] == 6400
assert x["loss"]["state"] == "out_of_band"
' "member ranking"
api GET "/api/v1/stats/areas/TQ-1/members?day=2026-11-13" "" "$VIEW"; expect 200
check "$T/resp" '
m = x["members"]
assert m[-1]["meter"] == "H2" and m[-1]["state"] == "missing" and m[-1]["energy_wh"] is None, m
' "a member that cannot be measured comes last"
pass "members ranked by their change against their own week: the stopped H3 first (-3000 Wh)"

api GET "/api/v1/stats/areas?day=2026-11-12" "" "$VIEW"; expect 200
check "$T/resp" '
assert [a["code"] for a in x["areas"]] == ["TQ-1", "TQ-2"], x
assert x["kinds"] == {"ok": 0, "out_of_band": 1, "not_computable": 1}, x["kinds"]
assert x["areas"][0]["rate_bp"] == 5313 and x["areas"][1]["reason"] == "no_main_meter"
s = x["areas"][0]["suspect"]
assert (s["meter"], s["holder"], s["change_wh"]) == ("H3", "户3", -3000), s
w = x["worst"]
assert w["code"] == "TQ-1" and [m["meter"] for m in w["members"]] == ["H3", "H1", "H2"], w
assert [m["meter"] for m in w["main"]] == ["Z1"], w
' "the wall ranking"
api GET "/api/v1/stats/areas?day=2026-11-11" "" "$VIEW"; expect 200
check "$T/resp" 'assert x["worst"] is None and "suspect" not in x["areas"][0], x' "no anomaly, no suspect"
api GET "/api/v1/stats/collection?day=2026-11-13" "" "$VIEW"; expect 200
check "$T/resp" '
assert (x["expected"], x["collected"], x["rate_bp"]) == (5, 4, 8000), x
assert [(r["region"], r["expected"], r["collected"], r["rate_bp"]) for r in x["regions"]] == [("110105", 4, 3, 7500), ("110108", 1, 1, 10000)], x["regions"]
a = x["areas"]
assert [(r["code"], r["expected"], r["collected"], r["rate_bp"], r["missing"]) for r in a] == [("TQ-1", 4, 3, 7500, ["H2"]), ("TQ-2", 0, 0, None, [])], a
' "collection success"
api GET "/api/v1/stats/collection?day=2026-11-12" "" "$VIEW"; expect 200
check "$T/resp" 'assert x["rate_bp"] == 10000, x' "a whole day collected"
pass "the wall: areas ranked by anomaly; collection 80.00 % on 11-13 (region 110105 75.00 %, TQ-1 missing H2)"

# The same through meterboxctl.
ctl area loss TQ-1 --from 2026-11-10 --to 2026-11-14 >"$T/out" || fail "ctl area loss"
grep -q "^2026-11-12 *out_of_band *6.400 *3.000 *3.400 *53.13" "$T/out" || fail "ctl loss table: $(cat "$T/out")"
grep -q "^2026-11-13 *not_computable.*H2" "$T/out" || fail "ctl loss missing: $(cat "$T/out")"
ctl area loss TQ-1 --month 2026-10 >"$T/out" || fail "ctl area loss --month"
grep -q "^2026-10 *ok *150.000 *135.000 *15.000 *10.00" "$T/out" || fail "ctl month: $(cat "$T/out")"
ctl area members TQ-1 --day 2026-11-12 >"$T/out" || fail "ctl area members"
sed -n '/^METER/{n;p;q}' "$T/out" | grep -q "^H3 *A3 *户3 *ok *0.000 *3.000 *-3.000" || fail "ctl members: $(cat "$T/out")"
ctl area ranking --day 2026-11-12 >"$T/out" || fail "ctl area ranking"
sed -n '/^CODE/{n;p;q}' "$T/out" | grep -q "^TQ-1 .*out_of_band *53.13" || fail "ctl ranking: $(cat "$T/out")"
ctl area collection --day 2026-11-13 >"$T/out" || fail "ctl area collection"
grep -q "^TQ-1 .* 4 *3 *75.00 *H2" "$T/out" && grep -q "^110105 *4 *3 *75.00" "$T/out" ||
  fail "ctl collection: $(cat "$T/out")"
pass "meterboxctl area loss, members, ranking and collection print the same figures"

# CSV exports, with the formula guard on text.
api PATCH /api/v1/areas/TQ-2 '{"name":"=HYPERLINK(\"x\")"}' "$ADMIN"; expect 200
api GET "/api/v1/exports/line-loss.csv?from=2026-11-12&to=2026-11-13" "" "$VIEW"; expect 200
tr -d '\r' <"$T/resp" >"$T/loss.csv"
grep -q '^2026-11-12,TQ-1,朝阳1号台区,110105,out_of_band,,6.400,6400,3.000,3000,3.400,3400,53.13,5313,0.00,0,15.00,1500,4,4,$' "$T/loss.csv" ||
  fail "line-loss.csv: $(cat "$T/loss.csv")"
grep -q "^2026-11-13,TQ-1,.*,not_computable,missing_reading,,,,,,,,,0.00,0,15.00,1500,4,3,H2\$" "$T/loss.csv" ||
  fail "line-loss.csv not computable: $(cat "$T/loss.csv")"
grep -q "^2026-11-12,TQ-2,\"'=HYPERLINK(\"\"x\"\")\"" "$T/loss.csv" || fail "formula guard: $(cat "$T/loss.csv")"
ctl export collection --from 2026-11-13 --to 2026-11-13 >"$T/col.csv" || fail "ctl export collection"
tr -d '\r' <"$T/col.csv" | grep -q '^2026-11-13,2026-11-14 00:00:00,area,TQ-1,朝阳1号台区,110105,4,3,75.00,7500,H2$' ||
  fail "collection.csv: $(cat "$T/col.csv")"
tr -d '\r' <"$T/col.csv" | grep -q '^2026-11-13,2026-11-14 00:00:00,fleet,,,,5,4,80.00,8000,$' ||
  fail "collection.csv fleet: $(cat "$T/col.csv")"
api GET "/api/v1/exports/line-loss.csv?from=2026-11-14&to=2026-11-12" "" "$VIEW"; expect 400
pass "CSV: line loss and collection per day, percent and hundredths, formula-leading names neutralised"
