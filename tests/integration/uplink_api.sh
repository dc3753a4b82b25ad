#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Each gateway's uplink as its uploads report it (docs/wire.md "uplink",
# docs/api.md), through the API of a real server:
#   1. four gateways: one over 4G with a weak signal, one whose upload needed
#      four tries, one on Ethernet, one that never reported; each keeps
#      what it reported, read back from GET /gateways/NAME and /gateways;
#   2. /stats/gateways?state=attention names the silent one first, then the
#      failing uplink, then the weak one, and counts them; the gateway on
#      Ethernet is not named; state=all lists every one;
#   3. a batch without an uplink keeps the last one; a new report replaces
#      it and its health (the weak gateway's signal recovers);
#   4. a bad uplink is refused naming its field, and nothing of the batch is
#      stored; members the server does not know are ignored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
echo 'dashboard = { gateway_offline_after = 900; uplink_weak_below = 25; };' >>"$T/server.conf"
"$MB_SERVER" -t -c "$T/server.conf" >/dev/null || fail "config check"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
OPER=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
start_server "$T/server.conf" "$T/server.log"
declare -A TOK
for g in gw-weak gw-flaky gw-wired gw-silent; do
  api POST /api/v1/gateways "{\"name\":\"$g\",\"region\":\"110105\"}"; expect 201
  TOK[$g]=$(j '["token"]')
done
# post GATEWAY UPLINK-JSON: a batch with no readings (a poll) carrying it
post() {
  local up=${2:+,\"uplink\":$2}
  api POST /api/v1/readings "{\"gateway\":\"$1\",\"readings\":[],\"events\":[]$up}" "${TOK[$1]}"
}
WEAK='{"interface":"wwan0","kind":"cellular","source":"mmcli","signal_pct":18,"technology":"lte","operator":"中国移动","operator_code":"46000","state":"connected","registration":"home","retries":0}'
post gw-weak "$WEAK"; expect 200
post gw-flaky '{"interface":"wwan0","kind":"cellular","source":"uqmi","signal_pct":71,"rssi_dbm":-69,"technology":"lte","operator":"CHN-UNICOM","registration":"home","retries":4}'; expect 200
post gw-wired '{"interface":"eth0","kind":"ethernet","retries":0}'; expect 200

# 1. kept per gateway, as reported
api GET /api/v1/gateways/gw-weak "" "$OPER"; expect 200
cp "$T/resp" "$T/weak.json"
u() { j "[\"uplink\"]$1" "$T/weak.json"; }
[ "$(u '["interface"]')" = wwan0 ] && [ "$(u '["kind"]')" = cellular ] && [ "$(u '["source"]')" = mmcli ] &&
  [ "$(u '["signal_pct"]')" = 18 ] && [ "$(u '["technology"]')" = lte ] && [ "$(u '["operator"]')" = 中国移动 ] &&
  [ "$(u '["operator_code"]')" = 46000 ] && [ "$(u '["state"]')" = connected ] &&
  [ "$(u '["registration"]')" = home ] && [ "$(u '["retries"]')" = 0 ] && [ "$(u '["health"]')" = weak ] ||
  fail "gw-weak's uplink as stored: $(cat "$T/weak.json")"
[ "$(u '.get("rssi_dbm")')" = null ] || fail "an absent rssi_dbm shows: $(cat "$T/weak.json")"
at=$(u '["reported_at"]'); now=$(date +%s)
[ "$at" -le "$now" ] && [ "$at" -ge $((now - 60)) ] || fail "reported_at $at, now $now"
api GET /api/v1/gateways "" "$OPER"; expect 200
h() { /usr/bin/python3 -c 'import json,sys
g = {x["name"]: x for x in json.load(open(sys.argv[1]))["gateways"]}
u = g[sys.argv[2]]["uplink"]
print(u["health"] + "/" + str(u.get("rssi_dbm")) if u else "none")' "$T/resp" "$1"; }
[ "$(h gw-flaky)" = failing/-69 ] && [ "$(h gw-wired)" = ok/None ] && [ "$(h gw-silent)" = none ] ||
  fail "the gateway list: flaky $(h gw-flaky), wired $(h gw-wired), silent $(h gw-silent)"
pass "each gateway's uplink kept as reported: weak 18 % over LTE (中国移动), failing after 4 tries, ok on eth0, none"

# 2. the wall's list
sqlv "UPDATE gateways SET last_seen = NULL WHERE name = 'gw-silent'" >/dev/null
api GET "/api/v1/stats/gateways?state=attention" "" "$OPER"; expect 200
names=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(g["name"] for g in json.load(open(sys.argv[1]))["gateways"]))' "$T/resp")
[ "$names" = "gw-silent gw-flaky gw-weak" ] || fail "attention list: $names"
[ "$(j '["offline"]')" = 1 ] && [ "$(j '["uplink_failing"]')" = 1 ] && [ "$(j '["uplink_weak"]')" = 1 ] &&
  [ "$(j '["uplink_weak_below"]')" = 25 ] && [ "$(j '["total"]')" = 4 ] || fail "attention counts: $(cat "$T/resp")"
[ "$(j '["gateways"][2]["uplink"]["signal_pct"]')" = 18 ] || fail "the weak one's signal is not in the list"
api GET "/api/v1/stats/gateways" "" "$OPER"; expect 200
[ "$(j '["gateways"].__len__()')" = 1 ] && [ "$(j '["gateways"][0]["name"]')" = gw-silent ] ||
  fail "state=offline (the default) lists more than the silent one: $(cat "$T/resp")"
api GET "/api/v1/stats/gateways?state=all" "" "$OPER"; expect 200
[ "$(j '["gateways"].__len__()')" = 4 ] && [ "$(j '["gateways"][3]["name"]')" = gw-wired ] || fail "state=all: $(cat "$T/resp")"
api GET "/api/v1/stats/gateways?state=weak" "" "$OPER"; expect 400
pass "the wall's list: silent first, then the failing uplink, then the weak signal; counts 1/1/1 of 4"

# 3. kept until replaced
post gw-weak ""; expect 200
api GET /api/v1/gateways/gw-weak "" "$OPER"
[ "$(j '["uplink"]["signal_pct"]')" = 18 ] || fail "a batch without an uplink dropped the last one"
post gw-weak "${WEAK/\"signal_pct\":18/\"signal_pct\":64}"; expect 200
api GET /api/v1/gateways/gw-weak "" "$OPER"
[ "$(j '["uplink"]["signal_pct"]')" = 64 ] && [ "$(j '["uplink"]["health"]')" = ok ] || fail "a new report: $(cat "$T/resp")"
api GET "/api/v1/stats/gateways?state=attention" "" "$OPER"
[ "$(j '["uplink_weak"]')" = 0 ] && [ "$(j '["gateways"].__len__()')" = 2 ] || fail "recovered, still named: $(cat "$T/resp")"
pass "a batch without an uplink keeps the last one; a new report replaces it (64 %: ok)"

# 4. bad input
bad() {
  post gw-wired "$1"; expect "$2"
  [ "$(j '["error"]["field"]')" = "$3" ] || fail "uplink $1: field $(j '["error"]["field"]'), want $3"
}
bad '{"signal_pct":101}' 400 uplink.signal_pct
bad '{"signal_pct":"18"}' 400 uplink.signal_pct
bad '{"rssi_dbm":12}' 400 uplink.rssi_dbm
bad '{"operator":""}' 400 uplink.operator
bad "{\"interface\":\"$(printf 'x%.0s' $(seq 40))\"}" 400 uplink.interface
bad '{"retries":-1}' 400 uplink.retries
bad '"wwan0"' 400 uplink
api GET /api/v1/gateways/gw-wired "" "$OPER"
[ "$(j '["uplink"]["interface"]')" = eth0 ] || fail "a refused batch changed the stored uplink"
post gw-wired '{"interface":"eth1","kind":"ethernet","sim_iccid":"8986","mtu":1500}'; expect 200
api GET /api/v1/gateways/gw-wired "" "$OPER"
[ "$(j '["uplink"]["interface"]')" = eth1 ] && [ "$(j '["uplink"].get("sim_iccid")')" = null ] ||
  fail "unknown members: $(cat "$T/resp")"
pass "a bad uplink is refused naming its field, nothing stored; unknown members ignored"
stop_server
