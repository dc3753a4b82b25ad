#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Line loss of a simulated transformer area (issue 22, must show): real
# agents reading sim meters, a real server.
#
#   gw-A reads the area's main meter Z1 and households H1 and H2; gw-B reads
#   household H3.  Flat loads: H1 1000 W, H2 2000 W, H3 3000 W, and the
#   transformer supplies 6400 W (the households and 400 W lost in the
#   lines): loss 6.25 %, inside the qualified band of 0..15 %.  Z1 sits
#   behind a CT 200/5: it counts 160 W, times 40.
#   H3's meter is bypassed through 11-12 (sim fault_stop_from/_until): it
#   counts (almost) nothing while the main meter still counts its load, so
#   the day's rate is about 53 % and H3 comes first among the members.
#   gw-B is switched off across midnight 11-14 (a concentrator without power):
#   H3 has no reading near that midnight, so 11-13 and 11-14 are not
#   computable, naming H3, rather than wrong.
#
# Days pass on a stepped clock: each agent runs under libfaketime reading an
# offset from a file; for each day the test sets the clock to 23:59:50 and
# lets it run past midnight.  A day's energy is what the meters counted in
# the real seconds between its two midnights' readings (the sims count real
# time, sped up), the same span for every meter, so the rate is the loads'.
# The boundary readings of different meters are up to a poll apart, and two
# agents cross the same midnight up to a second or so apart on a loaded
# machine, so normal days are checked to be near 6.25 % (1.5 to 11 %) and
# in the band, not equal to it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
. "$(dirname "$0")/areas_lib.sh"
FT=${MB_FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1}
[ -e "$FT" ] || fail "libfaketime not installed ($FT)"

server_conf "$T/server.conf"
echo "dashboard = { www = \"$MB_SRC/server/dash/www\"; regions_file = \"$MB_SRC/server/dash/regions-cn.txt\"; };" \
  >>"$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
VIEW=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
start_server "$T/server.conf" "$T/server.log"
export METERBOX_TOKEN=$VIEW

api POST /api/v1/gateways '{"name":"gw-a","region":"110105"}'; expect 201; GWA=$(j '["token"]')
api POST /api/v1/gateways '{"name":"gw-b","region":"110105"}'; expect 201; GWB=$(j '["token"]')
api PUT /api/v1/meters/Z1 '{"gateway":"gw-a"}'; expect 200
for n in 1 2 3; do
  gw=gw-a; [ $n = 3 ] && gw=gw-b
  api POST /api/v1/accounts "{\"number\":\"A$n\",\"holder\":\"户$n\"}"; expect 201
  api PUT /api/v1/meters/H$n "{\"gateway\":\"$gw\",\"account\":\"A$n\"}"; expect 200
done
api POST /api/v1/areas '{"code":"TQ-1","name":"朝阳1号台区","region":"110105"}'; expect 201
for m in Z1 H1 H2 H3; do
  role=member; [ $m = Z1 ] && role=main
  api PUT /api/v1/meters/$m/area "{\"area\":\"TQ-1\",\"role\":\"$role\",\"effective\":\"2026-11-01\"}"
  expect 200
done
api POST /api/v1/meters/Z1/multiplier '{"ct":"200/5"}'; expect 201

d() { date -d "$1" +%s; }
watts() { case $1 in Z1) echo 160;; H1) echo 1000;; H2) echo 2000;; H3) echo 3000;; esac; }
meter() { # NAME: each meter on a bus of its own, read 20 times a second
  local extra=""
  [ "$1" = H3 ] && extra="fault_stop_from = $(d "2026-11-12 00:00"); fault_stop_until = $(d "2026-11-13 00:00");"
  echo "{ name = \"$1\"; plugin = \"sim\"; bus = \"b$1\"; address = \"$1\"; poll_interval = 0.05;
          options = { profile = \"flat\"; base_w = $(watts $1); peak_w = $(watts $1); noise_pct = 0;
                      speed = 240; start_wh = 1000000; state_file = \"$T/$1.state\"; $extra }; }"
}
list() { # FORMAT-FUNCTION ITEMS...: joined by commas
  local f=$1 sep="" x; shift
  for x in "$@"; do printf '%s%s' "$sep" "$($f "$x")"; sep=", "; done
}
bus() { echo "{ name = \"b$1\"; type = \"none\"; }"; }
conf() { # GATEWAY TOKEN METERS...
  local gw=$1 tok=$2; shift 2
  cat >"$T/$gw.conf" <<CONF
gateway = { id = "$gw"; region = "110105"; };
timezone = "Asia/Shanghai";
store = { path = "$T/$gw.db"; };
server = { url = "$URL"; token = "$tok"; interval = 1; backoff_max = 1; timeout = 5; };
buses = ( $(list bus "$@") );
meters = ( $(list meter "$@") );
CONF
}
conf gw-a "$GWA" Z1 H1 H2
conf gw-b "$GWB" H3

# set_clock GW 'YYYY-MM-DD HH:MM:SS': the gateway's clock reads that now
set_clock() { echo "$(( $(d "$2") - $(date +%s) ))" >"$T/$1.clock"; }
run_agent() { # GW
  "$MB_AGENT" -t -c "$T/$1.conf" >/dev/null 2>"$T/err" || fail "$1 config: $(cat "$T/err")"
  ft_clean_stale
  FAKETIME_TIMESTAMP_FILE=$T/$1.clock FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
    FAKETIME_FORCE_MONOTONIC_FIX=0 LD_PRELOAD=$FT \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    start_agent "$T/$1.conf" "$T/$1.log"
  eval "PID_${1//-/_}=\$AGENT_PID"
}
# past MIDNIGHT METERS...: the server has a reading of each meter at least 3 s after it
past() {
  local t=$(( $(d "$1") + 3 )) m; shift
  for m in "$@"; do
    [ "$(sqlv "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter_id
               WHERE m.address = '$m' AND r.ts >= $t")" -gt 0 ] || return 1
  done
}
# day DATE GATEWAYS...: the clocks of those gateways to DATE 23:59:50; wait
# until their meters' readings after the next midnight reached the server
day() {
  local date=$1 next gw meters=""; shift
  next=$(date -d "$date + 1 day" +%F)
  for gw in "$@"; do
    set_clock "$gw" "$date 23:59:50"
    case $gw in gw-a) meters="$meters Z1 H1 H2";; gw-b) meters="$meters H3";; esac
  done
  # shellcheck disable=SC2086
  wait_for 90 past "$next" $meters || fail "no readings after $next 00:00: $(tail -3 "$T/gw-a.log" "$T/gw-b.log")"
}

set_clock gw-a "2026-11-09 23:59:40"; set_clock gw-b "2026-11-09 23:59:40"
run_agent gw-a; run_agent gw-b
day 2026-11-09 gw-a gw-b
day 2026-11-10 gw-a gw-b
day 2026-11-11 gw-a gw-b
day 2026-11-12 gw-a gw-b
# gw-B loses power for a day: H3 has no reading near midnight 11-14
kill -TERM "$PID_gw_b"; wait "$PID_gw_b" || fail "gw-b did not stop cleanly"
day 2026-11-13 gw-a
set_clock gw-b "2026-11-14 23:59:40"; run_agent gw-b
day 2026-11-14 gw-a gw-b
day 2026-11-15 gw-a gw-b
pass "two agents, seven days on a stepped clock, readings at the server"

check() { /usr/bin/python3 -c "import json,sys
x = json.load(open(sys.argv[1]))
$2" "$1" || fail "$3: $(cat "$1")"; }
api GET "/api/v1/areas/TQ-1/loss?from=2026-11-10&to=2026-11-15" "" "$VIEW"; expect 200
cp "$T/resp" "$T/loss.json"
check "$T/resp" '
d = {r["date"]: r for r in x["days"]}
for k in ("2026-11-10", "2026-11-11", "2026-11-15"):
    r = d[k]
    # 6.25 % give or take the real time between two agents crossing the
    # same midnight: under ASan on a loaded machine that moved one day to
    # 3.06 %; areas_loss.sh checks the exact arithmetic by hand
    assert r["state"] == "ok" and 150 <= r["rate_bp"] <= 1100 and r["meters"] == 4 and r["collected"] == 4, r
    assert r["supply_wh"] > 1000 and r["loss_wh"] == r["supply_wh"] - r["sales_wh"], r
r = d["2026-11-12"]
assert r["state"] == "out_of_band" and 4800 <= r["rate_bp"] <= 5800, r
for k in ("2026-11-13", "2026-11-14"):
    r = d[k]
    assert (r["state"], r["reason"], r["rate_bp"]) == ("not_computable", "missing_reading", None), r
    assert [(m["meter"], m["state"]) for m in r["missing"]] == [("H3", "missing")], r
print("# rates:", ", ".join("%s %s" % (k, d[k]["rate_bp"]) for k in sorted(d)))
' "line loss of the simulated area"
pass "normal days in the band near 6.25 %, the bypass day out of it, 11-13 and 11-14 not computable naming H3"

api GET "/api/v1/stats/areas/TQ-1/members?day=2026-11-12" "" "$VIEW"; expect 200
check "$T/resp" '
m = x["members"]
# the sim places time on the host clock in whole seconds, so the bypass
# window starts and ends up to a second late against the boundary readings:
# H3 counts about a second of its 3000 W (x240) on the day, not nothing
assert m[0]["meter"] == "H3" and m[0]["ratio_milli"] < 150 and m[0]["change_wh"] < 0, m
assert abs(m[0]["change_wh"]) > 2 * max(abs(r["change_wh"]) for r in m[1:]), m
assert m[0]["history_days"] == 2, m[0]
' "members on the bypass day"
api GET "/api/v1/stats/collection?day=2026-11-13" "" "$VIEW"; expect 200
check "$T/resp" '
a = x["areas"][0]
assert (a["code"], a["expected"], a["collected"], a["rate_bp"], a["missing"]) == ("TQ-1", 4, 3, 7500, ["H3"]), a
' "collection on 11-13"
pass "the bypassed household ranks first (a fraction of its own days); collection 75.00 % on 11-13 without H3"

# The same figures through meterboxctl.
"$MB_CTL" area loss TQ-1 --from 2026-11-10 --to 2026-11-15 >"$T/out" || fail "ctl area loss"
/usr/bin/python3 - "$T/loss.json" "$T/out" <<'PY' || fail "meterboxctl disagrees with the API: $(cat "$T/out")"
import json, sys
days = json.load(open(sys.argv[1]))["days"]
rows = {l.split()[0]: l.split() for l in open(sys.argv[2]) if l[:4] == "2026"}
for r in days:
    cells = rows[r["date"]]
    assert cells[1] == r["state"], (cells, r)
    if r["rate_bp"] is not None:
        want = "%d.%02d" % divmod(r["rate_bp"], 100)
        kwh = lambda wh: "%d.%03d" % divmod(wh, 1000)
        assert cells[2:6] == [kwh(r["supply_wh"]), kwh(r["sales_wh"]), kwh(r["loss_wh"]), want], (cells, r)
    else:
        assert cells[-1] == "H3", cells
PY
"$MB_CTL" area members TQ-1 --day 2026-11-12 >"$T/out" || fail "ctl members"
sed -n '/^METER/{n;p;q}' "$T/out" | grep -q "^H3 *A3 *户3 *ok " || fail "ctl members: $(cat "$T/out")"
pass "meterboxctl area loss and members print the API's figures"

# And on the wall (tests/browser/areas.test.mjs, figures only): the same
# ranking, suspects and collection as the API.
need_browser must
MB_URL=$URL MB_ADMIN=$ADMIN MB_OPER=$VIEW MB_ARTIFACTS=${MB_ARTIFACTS:-$T/artifacts} MB_AREA_DAY=2026-11-12 \
  MB_COLLECT_DAY=2026-11-13 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 node "$BROWSER/areas.test.mjs" ||
  fail "the wall does not show the API's figures"
pass "the wall shows the same ranking, suspects and collection"
kill -TERM "$PID_gw_a" "$PID_gw_b"
