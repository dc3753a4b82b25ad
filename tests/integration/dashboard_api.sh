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
dashboard = { www = "$MB_SRC/server/dash/www"; meter_stale_after = 3600; gateway_offline_after = 900; };
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
[ "$got" = "$EXPECT_HEALTH" ] || fail "region health: $got"
[ "$(j '["regions"][1]["meters"]["total"]')" = 6 ] || fail "110105 meters"
pass "regions coloured by health: $got"

api GET "/api/v1/stats/month-end" "" "$OPER"; expect 200
[ "$(j '["received"]')" = $EXPECT_ME_RECEIVED ] && [ "$(j '["expected"]')" = $EXPECT_ME_EXPECTED ] \
  || fail "month-end: $(cat "$T/resp")"
[ "$(j '["regions"][0]')" = '{"region": "110102", "expected": 2, "received": 2}' ] || fail "month-end 110102: $(j '["regions"][0]')"
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
pass "settlement anomalies of the latest billed month"

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
