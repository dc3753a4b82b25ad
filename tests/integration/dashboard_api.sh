#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The monitoring wall's API and static files against a real server: the
# aggregate endpoints give exactly the figures of the scenario
# (dashboard_lib.sh), search and reading history work, and the sign-in gate
# serves nothing but the sign-in page without a session, refuses traversal
# and types every file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
. "$(dirname "$0")/dashboard_lib.sh"

server_conf "$T/server.conf"
cat >>"$T/server.conf" <<CONF
dashboard = { www = "$MB_SRC/server/dash/www"; meter_stale_after = 3600; gateway_offline_after = 900;
  regions_file = "$MB_SRC/server/dash/regions-cn.txt";
  region_names = ( ("110102", "西城区（测试）", "Xicheng (test)"), ("999999", "试验区") ); };
CONF
"$MB_SERVER" -t -c "$T/server.conf" >/dev/null || fail "config check"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
OPER=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
start_server "$T/server.conf" "$T/server.log"
fill_scenario
pass "scenario filled through the API"

api GET /api/v1/stats/overview "" "$OPER"; expect 200
cp "$T/resp" "$T/overview.json"
chk() { [ "$(j "$1" "$T/overview.json")" = "$2" ] || fail "overview$1 = $(j "$1" "$T/overview.json"), want $2"; }
chk '["gateways"]["online"]' $EXPECT_GW_ONLINE
chk '["gateways"]["offline"]' $EXPECT_GW_OFFLINE
chk '["meters"]["ok"]' $EXPECT_METERS_OK
chk '["meters"]["faulty"]' $EXPECT_METERS_FAULTY
chk '["meters"]["stale"]' 1
chk '["meters"]["fault"]' 1
chk '["accounts"]["normal"]' $EXPECT_NORMAL
chk '["accounts"]["alarm1"]' $EXPECT_ALARM1
chk '["accounts"]["alarm2"]' $EXPECT_ALARM2
chk '["accounts"]["cut"]' $EXPECT_CUT
chk '["accounts"]["protected"]' $EXPECT_PROTECTED
chk '["energy_wh"]["today"]' $EXPECT_ENERGY_TODAY
chk '["energy_wh"]["month"]' $EXPECT_ENERGY_TODAY
chk '["revenue_fen"]["today"]' $EXPECT_REVENUE_TODAY
chk '["revenue_fen"]["month"]' $EXPECT_REVENUE_TODAY
chk '["topups"]["today_fen"]' $EXPECT_TOPUPS_TODAY
chk '["topups"]["today_count"]' $EXPECT_TOPUPS_COUNT
api GET /api/v1/accounts/1100000001; [ "$(j '["balance_fen"]')" = $EXPECT_BALANCE_1 ] || fail "balance 1"
api GET /api/v1/accounts/1100000007; [ "$(j '["balance_fen"]')" = $EXPECT_BALANCE_7 ] || fail "balance 7"
pass "overview: gateways, meters, accounts by state, energy, revenue, top-ups"

api GET /api/v1/stats/regions "" "$OPER"; expect 200
got=$(/usr/bin/python3 -c 'import json,sys; print(" ".join("%s=%s" % (r["region"], r["health"]) for r in json.load(open(sys.argv[1]))["regions"]))' "$T/resp")
[ "$got" = "$EXPECT_HEALTH" ] || fail "region health, worst first: $got"
[ "$(j '["regions"][2]["meters"]["total"]')" = 6 ] || fail "110105 meters"
pass "regions coloured by health, worst first: $got"

api GET /api/v1/regions "" "$OPER"; expect 200
got=$(/usr/bin/python3 -c 'import json,sys; print(" ".join("%s=%s/%s" % (r["code"], r["name"], r["name_en"]) for r in json.load(open(sys.argv[1]))["regions"]))' "$T/resp")
[ "$got" = "110102=西城区（测试）/Xicheng (test) 110105=朝阳区/Chaoyang 110106=丰台区/Fengtai 110108=海淀区/Haidian" ] ||
  fail "region names (the shipped table, region_names over it): $got"
pass "region names from the division-code table, overridden in server.conf: $got"

api GET "/api/v1/stats/month-end" "" "$OPER"; expect 200
[ "$(j '["received"]')" = $EXPECT_ME_RECEIVED ] && [ "$(j '["expected"]')" = $EXPECT_ME_EXPECTED ] \
  || fail "month-end: $(cat "$T/resp")"
# furthest behind first: 110108 0/2, 110105 2/6, 110102 2/2
[ "$(j '["regions"][0]')" = '{"region": "110108", "expected": 2, "received": 0}' ] &&
  [ "$(j '["regions"][2]')" = '{"region": "110102", "expected": 2, "received": 2}' ] || fail "month-end order: $(j '["regions"]')"
[ "$(j '["window_open"]')" = true ] || [ "$(date +%-d)" -gt 5 ] || fail "window_open early in the month"
api GET "/api/v1/stats/month-end?month=2025-03" "" "$OPER"; expect 200
[ "$(j '["bills"]["settled"]')" = 2 ] && [ "$(j '["bills"]["held"]')" = 1 ] || fail "month-end 2025-03 bills"
api GET "/api/v1/stats/month-end?month=2025-3" "" "$OPER"; expect 400
pass "month-end progress: $EXPECT_ME_RECEIVED of $EXPECT_ME_EXPECTED boundary readings, per region"

api GET "/api/v1/stats/consumption?range=24h" "" "$OPER"; expect 200
[ "$(j '["bins"].__len__()')" = 24 ] && [ "$(j '["bin_s"]')" = 3600 ] || fail "24h bins"
tot() { /usr/bin/python3 -c 'import json,sys; print(sum(b["energy_wh"] for b in json.load(open(sys.argv[1]))["bins"]))' "$T/resp"; }
[ "$(tot)" = $EXPECT_ENERGY_TODAY ] || fail "24h total $(tot)"
[ "$(j '["bins"][23]["energy_wh"]')" -gt 0 ] || [ $((NOW % 3600)) -lt 300 ] || fail "the current hour is empty"
api GET "/api/v1/stats/consumption?range=30d" "" "$OPER"; expect 200
[ "$(j '["bins"].__len__()')" = 30 ] && [ "$(tot)" = $EXPECT_ENERGY_TODAY ] || fail "30d: $(cat "$T/resp")"
[ "$(j '["bins"][29]["t"]')" = "$DAY0" ] || fail "the last day bin starts at local midnight"
api GET "/api/v1/stats/consumption?range=30d&meter=000000000006" "" "$OPER"; expect 200
[ "$(tot)" = 40000 ] || fail "meter 6 consumption $(tot)"
api GET "/api/v1/stats/consumption?range=24h&region=110102" "" "$OPER"; expect 200
[ "$(tot)" = 20000 ] || fail "region 110102 consumption $(tot)"
api GET "/api/v1/stats/consumption?range=7d" "" "$OPER"; expect 400
api GET "/api/v1/stats/consumption?meter=nope" "" "$OPER"; expect 404
pass "consumption: 24 hourly and 30 daily bins, by meter and by region"

api GET "/api/v1/events?limit=3" "" "$OPER"; expect 200
[ "$(j '["events"].__len__()')" = 3 ] || fail "events limit"
[ "$(j '["events"][0]["ts"]')" = "$T2" ] || fail "events newest first"
api GET "/api/v1/events?type=trip,tamper" "" "$OPER"; expect 200
[ "$(j '["events"].__len__()')" = 2 ] && [ "$(j '["events"][0]["type"]')" = trip ] \
  && [ "$(j '["events"][0]["account"]')" = 1100000005 ] || fail "events by type: $(cat "$T/resp")"
api GET "/api/v1/events?limit=0" "" "$OPER"; expect 400
api GET "/api/v1/events?type=%25" "" "$OPER"; expect 400
pass "latest events: newest first, by type, with account and region"

api GET /api/v1/stats/anomalies "" "$OPER"; expect 200
[ "$(j '["month"]')" = 2025-03 ] && [ "$(j '["count"]')" = $EXPECT_ANOMALIES ] && [ "$(j '["bills"]')" = 3 ] \
  || fail "anomalies: $(cat "$T/resp")"
[ "$(j '["anomalies"][1]["flags"]')" = '["zero_use"]' ] && [ "$(j '["anomalies"][0]["state"]')" = held ] \
  || fail "anomaly rows: $(cat "$T/resp")"
[ "$(j '["kinds"]["held"]'),$(j '["kinds"]["missing_boundary"]'),$(j '["kinds"]["zero_use"]'),$(j '["kinds"].__len__()')" = 1,1,1,3 ] &&
  [ "$(j '["total"]')" = 2 ] ||
  fail "anomaly kinds: $(cat "$T/resp")"
# Worst first, whatever the account order: bills of December 2024 put
# straight into the store (the close itself is tested elsewhere): account 2
# used 4.5 times November's energy, 6 a third, 7 twice; 1, 3, 4 and 5 held;
# 8 used nothing.
acc() { echo "(SELECT id FROM accounts WHERE number = '$1')"; }
bill() { # bill NUMBER STATE FLAGS ENERGY PREV
  sqlv "INSERT INTO bills (account_id, month, state, mode, flags, energy_wh, prev_wh, created_at)
        VALUES ($(acc "$1"), '2024-12', '$2', 'prepaid', '$3', $4, $5, 1)" >/dev/null
}
bill 1100000001 held '["missing_boundary"]' NULL 100000
bill 1100000002 settled '["jump"]' 450000 100000
bill 1100000003 held '["missing_boundary"]' NULL 100000
bill 1100000004 held '["missing_boundary"]' NULL 100000
bill 1100000005 held '["missing_boundary"]' NULL 100000
bill 1100000006 settled '["jump"]' 100000 300000
bill 1100000007 settled '["jump","jump_year"]' 200000 100000
bill 1100000008 settled '["zero_use"]' 0 100000
api GET "/api/v1/stats/anomalies?month=2024-12" "" "$OPER"; expect 200
order=$(/usr/bin/python3 -c 'import json,sys; print(" ".join("%s:%s:%s" % (a["account"][-2:], a["severity"], a["ratio_milli"]) for a in json.load(open(sys.argv[1]))["anomalies"]))' "$T/resp")
[ "$order" = "02:jump:4500 06:jump:333 07:jump:2000 01:held:None 03:held:None 04:held:None 05:held:None 08:zero_use:0" ] ||
  fail "anomalies worst first: $order"
[ "$(j '["kinds"]["held"]')" = 4 ] && [ "$(j '["kinds"]["jump"]')" = 3 ] && [ "$(j '["kinds"]["jump_year"]')" = 1 ] ||
  fail "kinds: $(j '["kinds"]')"
[ "$(j '["anomalies"][0]["holder"]')" = "Li Si" ] && [ "$(j '["anomalies"][0]["region"]')" = 110105 ] || fail "holder, region"
api GET "/api/v1/stats/anomalies?month=2024-12&limit=2" "" "$OPER"; expect 200
[ "$(j '["count"]')" = 2 ] && [ "$(j '["total"]')" = 8 ] || fail "limit keeps the worst: $(cat "$T/resp")"
pass "settlement anomalies: worst first (the biggest jumps up or down, then held, then zero use), counts by kind"

names() { /usr/bin/python3 -c 'import json,sys; print(",".join(a["number"] for a in json.load(open(sys.argv[1]))["accounts"]))' "$T/resp"; }
api GET "/api/v1/search?q=110000000" "" "$OPER"; expect 200; [ "$(j '["accounts"].__len__()')" = 9 ] || fail "prefix search"
api GET "/api/v1/search?q=zhou" "" "$OPER"; [ "$(names)" = 1100000006 ] || fail "holder search: $(names)"
api GET "/api/v1/search?q=000000000007" "" "$OPER"; [ "$(names)" = 1100000007 ] || fail "meter search: $(names)"
api GET "/api/v1/search?q=gw-4" "" "$OPER"; [ "$(names)" = 1100000009,1100000010 ] || fail "gateway search: $(names)"
api GET "/api/v1/search?q=%25" "" "$OPER"; [ "$(names)" = "" ] || fail "'%' is not a wildcard: $(names)"
api GET "/api/v1/search?q=zhou" "" "$OPER"; [ "$(j '["accounts"][0]["status"]')" = normal ] || fail "status"
api GET "/api/v1/search?q=1100000005" "" "$OPER"; [ "$(j '["accounts"][0]["status"]')" = cut ] || fail "status cut"
api GET "/api/v1/search" "" "$OPER"; expect 400
pass "search by number, holder, meter address, gateway (LIKE wildcards escaped)"

# ---- offline gateways, named with how long ----------------------------------
api GET /api/v1/stats/gateways "" "$OPER"; expect 200
[ "$(j '["offline"]')" = 1 ] && [ "$(j '["total"]')" = 4 ] && [ "$(j '["gateways"][0]["name"]')" = gw-3 ] &&
  [ "$(j '["gateways"][0]["silent_s"]')" = null ] || fail "offline gateways: $(cat "$T/resp")"
# gw-5 with two meters, silent for five hours: before gw-3 (no meters, never seen)
api POST /api/v1/gateways '{"name":"gw-5","region":"110108"}'; expect 201
api PUT /api/v1/meters/000000000051 '{"gateway":"gw-5"}'; expect 200
api PUT /api/v1/meters/000000000052 '{"gateway":"gw-5"}'; expect 200
sqlv "UPDATE gateways SET last_seen = $((NOW - 18000)) WHERE name = 'gw-5'" >/dev/null
api GET /api/v1/stats/gateways "" "$OPER"; expect 200
[ "$(j '["offline"]')" = 2 ] && [ "$(j '["gateways"][0]["name"]')" = gw-5 ] &&
  [ "$(j '["gateways"][0]["meters"]')" = 2 ] && [ "$(j '["gateways"][0]["silent_s"]')" -ge 18000 ] &&
  [ "$(j '["gateways"][1]["name"]')" = gw-3 ] || fail "offline gateways worst first: $(cat "$T/resp")"
api GET "/api/v1/stats/gateways?state=all&limit=3" "" "$OPER"; expect 200
[ "$(j '["gateways"].__len__()')" = 3 ] && [ "$(j '["gateways"][2]["online"]')" = true ] || fail "state=all"
# then the uplinks the gateways reported: gw-4's failing, gw-2's weak
api GET "/api/v1/stats/gateways?state=attention" "" "$OPER"; expect 200
names=$(j '["gateways"]' | /usr/bin/python3 -c 'import json,sys; print(",".join(x["name"] for x in json.load(sys.stdin)))')
[ "$names" = "gw-5,gw-3,$EXPECT_UPLINK_FAILING,$EXPECT_UPLINK_WEAK" ] && [ "$(j '["uplink_failing"]')" = 1 ] &&
  [ "$(j '["uplink_weak"]')" = 1 ] || fail "state=attention: $names: $(cat "$T/resp")"
api GET "/api/v1/stats/gateways?state=nope" "" "$OPER"; expect 400
pass "offline gateways named with how long, the most meters first; then failing and weak uplinks"

# ---- the language: the server's default, each user's own choice -------------
api GET /api/v1/me "" "$OPER"; expect 200
[ "$(j '["lang"]')" = zh-CN ] && [ "$(j '["default_lang"]')" = zh-CN ] && [ "$(j '["role"]')" = operator ] &&
  [ "$(j '["name"]')" = viewer ] || fail "me: $(cat "$T/resp")"
api PUT /api/v1/me '{"lang":"en"}' "$OPER"; expect 200
[ "$(j '["lang"]')" = en ] || fail "PUT me"
api GET /api/v1/me "" "$OPER"; [ "$(j '["lang"]')" = en ] || fail "the choice is kept"
api GET /api/v1/me "" "$ADMIN"; [ "$(j '["lang"]')" = zh-CN ] || fail "one user's choice is not another's"
api PUT /api/v1/me '{"lang":"fr"}' "$OPER"; expect 400
api PUT /api/v1/me '{"lang":null}' "$OPER"; expect 200; [ "$(j '["lang"]')" = zh-CN ] || fail "back to default"
api GET /api/v1/me "" "${GWTOK[gw-1]}"; expect 403
pass "language: zh-CN by default (dashboard.language), a per-user choice over it"

# ---- display credentials (kiosk screens) -----------------------------------
api POST /api/v1/displays '{"name":"wall-1","layout":"grid=2x2&panel=1","lang":"zh-CN"}' "$OPER"; expect 403
api POST /api/v1/displays '{"name":"wall-1","layout":"grid=2x2&panel=1","lang":"zh-CN"}'; expect 201
DISP=$(j '["token"]')
[ "$(j '["layout"]')" = "grid=2x2&panel=1" ] && [ "$(j '["last_seen"]')" = null ] || fail "display: $(cat "$T/resp")"
api POST /api/v1/displays '{"name":"wall-1"}'; expect 409
api POST /api/v1/displays '{"name":"wall 1"}'; expect 400
api POST /api/v1/displays '{"name":"w2","layout":"<script>"}'; expect 400
for p in /api/v1/stats/overview /api/v1/stats/regions /api/v1/stats/gateways /api/v1/stats/month-end \
         /api/v1/stats/anomalies "/api/v1/stats/consumption?range=24h" /api/v1/events /api/v1/regions; do
  api GET "$p" "" "$DISP"; expect 200
done
for p in "/api/v1/search?q=1" /api/v1/accounts /api/v1/accounts/1100000001 /api/v1/accounts/1100000001/ledger \
         "/api/v1/exports/bills.csv?month=2025-03" /metrics /api/v1/displays /api/v1/gateways; do
  api GET "$p" "" "$DISP"; expect 403
done
api PUT /api/v1/me '{"lang":"en"}' "$DISP"; expect 403
api POST /api/v1/accounts/1100000001/topups '{"amount_fen":1,"reference":"D"}' "$DISP"; expect 403
api GET /api/v1/me "" "$DISP"; expect 200
[ "$(j '["display"]')" = true ] && [ "$(j '["name"]')" = wall-1 ] && [ "$(j '["layout"]')" = "grid=2x2&panel=1" ] ||
  fail "display me: $(cat "$T/resp")"
api PATCH /api/v1/displays/wall-1 '{"layout":"grid=3x1&panel=2","lang":"en"}'; expect 200
api GET /api/v1/me "" "$DISP"; [ "$(j '["layout"]')" = "grid=3x1&panel=2" ] && [ "$(j '["lang"]')" = en ] || fail "patched"
api GET /api/v1/displays "" "$OPER"; expect 200
[ "$(j '["displays"][0]["name"]')" = wall-1 ] && [ "$(j '["displays"][0]["last_seen"]')" != null ] || fail "list: $(cat "$T/resp")"
curl -s -D "$T/h" -o /dev/null -X POST -H "Authorization: Bearer $DISP" "$URL/api/v1/session"
DCOOKIE=$(grep -i '^set-cookie:' "$T/h" | sed 's/^[^=]*=\([^;]*\);.*/\1/')
code=$(curl -s -o /dev/null -w '%{http_code}' -b "mb_session=$DCOOKIE" "$URL/wall.html"); [ "$code" = 200 ] || fail "display cookie: $code"
api DELETE /api/v1/displays/wall-1 "" "$OPER"; expect 403
api DELETE /api/v1/displays/wall-1; expect 200; [ "$(j '["revoked"]')" = true ] || fail "revoke"
api GET /api/v1/stats/overview "" "$DISP"; expect 401
code=$(curl -s -o /dev/null -w '%{http_code}' -b "mb_session=$DCOOKIE" "$URL/wall.html"); [ "$code" = 401 ] || fail "revoked cookie: $code"
api DELETE /api/v1/displays/wall-1; expect 404
api POST /api/v1/displays '{"name":"wall-1"}'; expect 201
api GET /api/v1/displays "" "$OPER"
[ "$(j '["displays"].__len__()')" = 2 ] && [ "$(j '["displays"][1]["revoked"]')" = true ] || fail "re-enrolled: $(cat "$T/resp")"
pass "display credentials: the wall's figures only, a layout and language each, revocable, the name reusable"

# ---- the operator desk's lists and statements --------------------------------
nums() { /usr/bin/python3 -c 'import json,sys; print(",".join(a["number"][-2:] for a in json.load(open(sys.argv[1]))["accounts"]))' "$T/resp"; }
desk() { api GET "/api/v1/desk/accounts?$1" "" "$OPER"; expect 200; }
desk "status=cut"; [ "$(nums)" = 05 ] && [ "$(j '["total"]')" = 1 ] || fail "cut: $(nums)"
desk "status=alarm"; [ "$(nums)" = 07,02 ] || fail "alarm, lowest balance first: $(nums)"
desk "status=arrears"; [ "$(nums)" = 05,04 ] || fail "arrears: $(nums)"
desk "status=protected"; [ "$(nums)" = 04 ] && [ "$(j '["accounts"][0]["protected"]')" = true ] || fail "protected"
desk "status=offline"; [ "$(nums)" = 03 ] && [ "$(j '["accounts"][0]["offline"]')" = true ] || fail "offline: $(nums)"
desk "region=110102"; [ "$(nums)" = 09,10 ] || fail "region: $(nums)"
desk "tariff=cn-bj-residential&limit=3&offset=3"; [ "$(nums)" = 04,05,06 ] && [ "$(j '["total"]')" = 10 ] || fail "tariff, page"
desk "tariff=nope"; [ "$(j '["total"]')" = 0 ] || fail "unknown tariff"
desk "status=cut&region=110105"; [ "$(j '["total"]')" = 0 ] || fail "filters combine"
desk "q=zhou"; [ "$(nums)" = 06 ] && [ "$(j '["accounts"][0]["tariff"]')" = cn-bj-residential ] || fail "q"
api GET "/api/v1/desk/accounts?status=gone" "" "$OPER"; expect 400
api GET "/api/v1/desk/accounts?limit=0" "" "$OPER"; expect 400
pass "desk lists: cut, alarm, arrears, protected, offline, by region and tariff, worst first, paged"

# three more readings of meter 9 today (a second deduction today): one line
post_batch gw-4 "$(rd 000000000009 4 $((T2 + 1)) 113000),$(rd 000000000009 5 $((T2 + 2)) 114000),$(rd 000000000009 6 $((T2 + 3)) 115000)"
api GET "/api/v1/accounts/1100000009/ledger?detail=all" "" "$OPER"; cp "$T/resp" "$T/ledger.json"
api GET /api/v1/accounts/1100000009/statement "" "$OPER"; expect 200
/usr/bin/python3 - "$T/ledger.json" "$T/resp" <<'PY' || fail "statement: $(cat "$T/resp")"
import json, sys, collections
ledger, st = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert not st["more"] and st["before"] is None
assert sum(l["amount_fen"] for l in st["lines"]) == st["balance_fen"] == ledger["balance_fen"]
days = [l for l in st["lines"] if l["kind"] == "charge_day"]
charges = [e for e in ledger["entries"] if e["kind"] == "charge"]
assert sum(d["count"] for d in days) == len(charges) and len(days) < len(charges), (days, charges)
assert [l["id"] for l in st["lines"]] == sorted([l["id"] for l in st["lines"]], reverse=True)
PY
api GET "/api/v1/accounts/1100000009/statement?limit=1" "" "$OPER"; expect 200
[ "$(j '["lines"].__len__()')" = 1 ] && [ "$(j '["more"]')" = true ] && [ "$(j '["lines"][0]["count"]')" -ge 2 ] ||
  fail "statement page: $(cat "$T/resp")"
before=$(j '["before"]')
api GET "/api/v1/accounts/1100000009/statement?limit=100&before=$before" "" "$OPER"; expect 200
[ "$(j '["lines"][0]["id"]')" -lt "$before" ] || fail "next page"
first=$(j '["entries"][0]["id"]' "$T/ledger.json")
api GET "/api/v1/accounts/1100000009/ledger/$first" "" "$OPER"; expect 200
[ "$(j '["kind"]')" = topup ] && [ "$(j '["reference"]')" = PAY-1100000009 ] || fail "entry: $(cat "$T/resp")"
api GET "/api/v1/accounts/1100000002/ledger/$first" "" "$OPER"; expect 404
api GET "/api/v1/accounts/1100000009/ledger/x" "" "$OPER"; expect 404
api GET "/api/v1/events?meter=000000000004" "" "$OPER"; expect 200
[ "$(j '["events"].__len__()')" = 2 ] && [ "$(j '["events"][0]["type"]')" = meter_fault ] || fail "a meter's events: $(cat "$T/resp")"
api GET "/api/v1/events?meter=nope" "" "$OPER"; expect 404
pass "statement: a day's deductions as one line, paged, summing to the balance; one entry; a meter's events"

api GET "/api/v1/meters/000000000001/readings?limit=3" "" "$OPER"; expect 200
[ "$(/usr/bin/python3 -c 'import json,sys; print([r["seq"] for r in json.load(open(sys.argv[1]))["readings"]])' "$T/resp")" = "[4, 5, 6]" ] || fail "readings oldest first: $(cat "$T/resp")"
api GET "/api/v1/meters/nope/readings" "" "$OPER"; expect 404
api GET "/api/v1/stats/overview" "" "${GWTOK[gw-1]}"; expect 403
pass "a meter's reading history; gateway tokens see no stats"

# ---- static files and the sign-in gate ------------------------------------
get() { # get PATH [COOKIE]: status in CODE, headers in $T/h, body in $T/b
  local args=(-s --path-as-is -o "$T/b" -D "$T/h" -w '%{http_code}')
  [ -n "${2:-}" ] && args+=(-H "Cookie: mb_session=$2")
  CODE=$(curl "${args[@]}" "$URL$1")
}
ctype() { grep -i '^content-type:' "$T/h" | tr -d '\r' | sed 's/^[^:]*: //'; }
get /; [ "$CODE" = 200 ] && grep -q 'id="signin"' "$T/b" || fail "/ is the sign-in page"
[ "$(ctype)" = "text/html; charset=utf-8" ] || fail "sign-in type $(ctype)"
grep -qi '^content-security-policy:' "$T/h" && grep -qi '^x-content-type-options: nosniff' "$T/h" || fail "security headers"
get /signin.js; [ "$CODE" = 200 ] && [ "$(ctype)" = "text/javascript; charset=utf-8" ] || fail "signin.js public"
for p in /wall.html /wall /operator.html "/wall.html"; do
  get "$p"; [ "$CODE" = 401 ] && grep -q 'id="signin"' "$T/b" || fail "$p without a session: $CODE"
done
for p in /common.js /wall.js /vendor/uplot/uPlot.iife.min.js /vendor/uplot/LICENSE; do
  get "$p"; [ "$CODE" = 401 ] && ! grep -q 'function' "$T/b" || fail "$p without a session: $CODE"
done
grep -rq "$OPER" "$T/b" && fail "token leaked"
get /wall.html "mbs.1.9999999999.0000000000000000000000000000000000000000000000000000000000000000"
[ "$CODE" = 401 ] || fail "a forged cookie opened the wall"
pass "without a session only the sign-in page (and its script and style) is served"

# exchange the token for the cookie
curl -s -D "$T/h" -o "$T/resp" -X POST -H "Authorization: Bearer $OPER" "$URL/api/v1/session" >/dev/null
grep -i '^set-cookie: mb_session=mbs\.' "$T/h" | grep -qi 'HttpOnly' || fail "cookie not HttpOnly: $(cat "$T/h")"
grep -i '^set-cookie:' "$T/h" | grep -qi 'SameSite=Strict' || fail "cookie not SameSite=Strict"
COOKIE=$(grep -i '^set-cookie:' "$T/h" | sed 's/^[^=]*=\([^;]*\);.*/\1/')
[ "$(j '["role"]')" = operator ] || fail "session role"
api POST /api/v1/session "" "${GWTOK[gw-1]}"; expect 403
api POST /api/v1/session "" ""; expect 401
get /wall.html "$COOKIE"; [ "$CODE" = 200 ] && grep -q 'wall.js' "$T/b" || fail "wall with a session: $CODE"
get /wall "$COOKIE"; [ "$CODE" = 200 ] || fail "/wall"
get /operator.html "$COOKIE"; [ "$CODE" = 200 ] || fail "/operator.html"
get /wall.css "$COOKIE"; [ "$(ctype)" = "text/css; charset=utf-8" ] || fail "css type $(ctype)"
get /vendor/uplot/uPlot.iife.min.js "$COOKIE"; [ "$CODE" = 200 ] && [ "$(ctype)" = "text/javascript; charset=utf-8" ] || fail "uPlot: $CODE $(ctype)"
get /vendor/uplot/uPlot.min.css "$COOKIE"; [ "$(ctype)" = "text/css; charset=utf-8" ] || fail "uPlot css"
get /vendor/uplot/LICENSE "$COOKIE"; [ "$CODE" = 200 ] && grep -q MIT "$T/b" || fail "LICENSE"
get /favicon.svg; [ "$(ctype)" = "image/svg+xml" ] || fail "svg type"
for p in /../CMakeLists.txt /vendor/../../srv_www.c /%2e%2e/srv_www.c /.hidden /vendor//uplot/LICENSE \
         '/vendor/uplot/..%2f..%2fsrv_www.c' /nope.html /vendor; do
  get "$p" "$COOKIE"; [ "$CODE" = 404 ] || fail "$p: $CODE"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -b "mb_session=$COOKIE" "$URL/wall.html")
[ "$code" = 405 ] || fail "POST to a file: $code"
curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $OPER" -D "$T/h" "$URL/api/v1/session"
grep -i '^set-cookie:' "$T/h" | grep -q 'Max-Age=0' || fail "sign-out clears the cookie"
pass "a session opens every file with its type; traversal and odd paths are 404"

stop_server
pass "clean shutdown"
