#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The meterbox story on one machine: a server on its embedded SQLite, a
# gateway agent with three simulated meters (time running 600 times fast),
# three prepaid accounts on the Beijing residential tariff.  Watch balances
# fall on both sides in step, alarms, a cut-off when money runs out, and the
# supply coming back after a top-up.  The server also serves the monitoring
# wall and the operator desk (in Chinese; English a click away): the demo
# prints their addresses and a token to sign in with, and once its story is
# told it keeps everything running for them until Ctrl-C.
#
#   scripts/demo-run.sh BUILD_DIR        (scripts/demo.sh builds and calls this)
#
# Ctrl-C stops it cleanly.  DEMO_SECONDS=N stops it after N seconds (tests).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
demo="$build/demo"
export TZ=Asia/Shanghai
ctl="$build/tools/meterboxctl"
rm -rf "$demo"
mkdir -p "$demo"

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "demo: stopping the agent and the server"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  echo "demo: stopped; everything is in $demo"
  exit 0
}
trap stop INT TERM EXIT

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$demo/server.conf" <<CONF
listen = { address = "127.0.0.1"; port = $port; };
database = { path = "$demo/server.db"; };
timezone = "Asia/Shanghai";
settlement = { enabled = false; };
dashboard = { www = "$top/server/dash/www"; regions_file = "$top/server/dash/regions-cn.txt"; };
CONF
export METERBOX_URL="http://127.0.0.1:$port"
export METERBOX_TOKEN=$("$build/server/meterbox-server" -c "$demo/server.conf" --create-token demo --role admin)
viewer=$("$build/server/meterbox-server" -c "$demo/server.conf" --create-token viewer --role operator)
"$build/server/meterbox-server" -f -c "$demo/server.conf" >"$demo/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$demo/server.log" 2>/dev/null && break; sleep 0.1; done
echo "demo: server at $METERBOX_URL (log: $demo/server.log)"

"$ctl" tariff load "$top/etc/tariffs/beijing-residential.conf" >/dev/null
gw_token=$("$ctl" gateway register gw-demo-0001 --region 110105 --json |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
topup=(0 30.00 8.00 4.00)
holder=("" 张伟 王芳 李娜)
for n in 1 2 3; do
  "$ctl" account create 110000000$n --holder "${holder[$n]}" --region 110105 --mode prepaid >/dev/null
  "$ctl" tariff assign 110000000$n cn-bj-residential --effective 2020-01-01 >/dev/null
  "$ctl" meter bind 00000000000$n --gateway gw-demo-0001 --account 110000000$n >/dev/null
  "$ctl" topup 110000000$n "${topup[$n]}" --reference "DEMO-$n" >/dev/null
done
echo "demo: accounts 1100000001-3 topped up with ${topup[1]}, ${topup[2]} and ${topup[3]} yuan"

meter() {
  cat <<M
  { name = "box1-m$1"; plugin = "sim"; bus = "sim0"; address = "00000000000$1";
    account = "110000000$1"; poll_interval = 1;
    options = { seed = $1; profile = "flat"; base_w = $((1000 + 300 * $1)); peak_w = 3000;
                speed = 600; start_wh = $((1234567 * $1)); state_file = "$demo/m$1.state"; }; }
M
}
cat >"$demo/agent.conf" <<CONF
gateway = { id = "gw-demo-0001"; region = "110105"; };
timezone = "Asia/Shanghai";
store = { path = "$demo/agent.db"; };
server = { url = "$METERBOX_URL"; token = "$gw_token"; interval = 2; backoff_max = 5; };
buses = ( { name = "sim0"; type = "none"; } );
meters = (
$(meter 1),
$(meter 2),
$(meter 3)
);
CONF
"$build/agent/meterbox-agent" -f -c "$demo/agent.conf" -P "$build/plugins" >"$demo/agent.log" 2>&1 &
pids+=($!)
echo "demo: agent with 3 simulated meters (log: $demo/agent.log)"

# The wall and the desk, and a kiosk screen's enrolment address (the display
# credential rides in the fragment: nothing to type on the screen).
kiosk=$("$ctl" display add demo-wall --layout "refresh=10" --json |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
cat >"$demo/urls.txt" <<URLS
wall:      $METERBOX_URL/wall.html
desk:      $METERBOX_URL/operator.html
admin:     $METERBOX_TOKEN
operator:  $viewer
kiosk:     $METERBOX_URL/signin.html#enrol=$kiosk
URLS
echo "demo: the monitoring wall    $METERBOX_URL/wall.html"
echo "demo: the operator desk      $METERBOX_URL/operator.html"
echo "demo: sign in with the admin token $METERBOX_TOKEN"
echo "demo:   (read-only operator token: $viewer)"
echo "demo: a kiosk screen, signed in without typing: $METERBOX_URL/signin.html#enrol=$kiosk"
echo "demo: (all in $demo/urls.txt)"
echo

adb() { sqlite3 -batch -noheader -cmd ".timeout 2000" "$demo/agent.db" "$1" 2>/dev/null || true; }

fmt() { # fen -> yuan with sign
  local f=$1
  [ -z "$f" ] && { printf "%9s" "-"; return; }
  local s=""; [ "$f" -lt 0 ] && { s="-"; f=$((-f)); }
  printf "%9s" "$s$((f / 100)).$(printf %02d $((f % 100)))"
}
level=(normal alarm1 alarm2 cut protected)
relay=(unknown closed open armed)
last_event=0
topped=0
told=0
every=3
start=$(date +%s)
printf "%-8s %-10s %9s %9s %7s %-9s %s\n" time account server agent kWh relay state
while :; do
  sleep "$every"
  for n in 1 2 3; do
    srv=$("$ctl" account show 110000000$n --json 2>/dev/null |
      /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["balance_fen"])' 2>/dev/null || true)
    row=$(adb "SELECT r.balance_fen, r.import_wh, r.relay, coalesce(p.level, 0) FROM readings r
               JOIN meters m ON m.id = r.meter_id LEFT JOIN policy_state p ON p.meter_id = m.id
               WHERE m.address = '00000000000$n' ORDER BY r.seq DESC LIMIT 1")
    IFS='|' read -r bal wh rel lvl <<<"$row"
    printf "%-8s %-10s %s %s %7s %-9s %s\n" "$(date +%T)" "110000000$n" "$(fmt "$srv")" \
      "$(fmt "$bal")" "$(( ${wh:-0} / 1000 ))" "${relay[${rel:-0}]}" "${level[${lvl:-0}]}"
  done
  adb "SELECT e.id, m.name, e.type, e.reason FROM events e LEFT JOIN meters m ON m.id = e.meter_id
       WHERE e.id > $last_event AND e.type IN ('alarm1','alarm2','trip','trip_deferred','close',
       'relay_confirmed','command_result','tamper','relay_fault')
       ORDER BY e.id" | while IFS='|' read -r id name type reason; do
    echo "  event: $name $type: $reason"
  done
  last_event=$(adb "SELECT coalesce(max(id), 0) FROM events")
  if [ $topped = 0 ] && [ "$(adb "SELECT count(*) FROM events e JOIN meters m ON m.id = e.meter_id
        WHERE m.address = '000000000003' AND e.type = 'trip'")" -ge 1 ]; then
    echo "  demo: household 3 is cut off; topping up 20.00 yuan (reference DEMO-3b)"
    "$ctl" topup 1100000003 20.00 --reference DEMO-3b >/dev/null
    topped=1
  fi
  # the story is told once household 3 has its supply back: from then on the
  # demo only keeps the server and the agent running for the wall and desk
  if [ $topped = 1 ] && [ $told = 0 ] && [ "$(adb "SELECT count(*) FROM events e JOIN meters m ON m.id = e.meter_id
        WHERE m.address = '000000000003' AND e.type = 'relay_confirmed' AND e.reason LIKE '%closed%'
        AND e.id > (SELECT max(t.id) FROM events t WHERE t.meter_id = m.id AND t.type = 'trip')")" -ge 1 ]; then
    echo "demo: the story is told. The server and the agent keep running for the wall and the desk:"
    echo "demo:   $METERBOX_URL/wall.html   $METERBOX_URL/operator.html   (token above; Ctrl-C stops)"
    told=1
    [ -n "${DEMO_SECONDS:-}" ] || every=30
  fi
  if [ -n "${DEMO_SECONDS:-}" ] && [ $(($(date +%s) - start)) -ge "$DEMO_SECONDS" ]; then
    stop
  fi
done
