#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The agent reports its uplink (docs/agent.md "The uplink") and the server
# shows it.  ModemManager is the edge this machine lacks: a fake `mmcli` on
# PATH prints recorded output (tests/data/uplink/README.md) and the agent's
# own code finds the route, runs the tool and parses what it prints.  The
# route to the test server is over lo, so the fake modem claims lo as its
# net port (the recording says wwan0).
#   1. the server shows the gateway's uplink as the modem reported it
#      (18 %, LTE, CHINA MOBILE) and lists it as weak on the wall's list;
#   1b. `meterbox-agent status` shows the look as agent.db keeps it (text
#      and --json): lo, cellular, 18 %, lte, CHINA MOBILE, and when;
#   2. looked at once, not for every upload: several uploads, one look
#      (mmcli -L and mmcli -m 0);
#   3. a tool that hangs is killed at its timeout and the uploads go on,
#      with the interface but no signal;
#      (status says what was logged);
#   4. uplink = "none": no tool run, the interface still reported (status:
#      the interface and "no modem tool", no signal); a value
#      not among the choices is refused by file and line;
#   5. a server that refuses the uplink (400 naming uplink.signal_pct, as
#      meterbox-server words it; played by a proxy in front of the real
#      server, since the real one takes what this agent sends): the agent
#      stops reporting it, says so once, and its readings go on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
DATA=$MB_SRC/tests/data/uplink

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
OPER=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
start_server "$T/server.conf" "$T/server.log"
api POST /api/v1/gateways '{"name":"gw-4g","region":"110105"}'; expect 201
GW=$(j '["token"]')
api PUT /api/v1/meters/000000000001 '{"gateway":"gw-4g"}'; expect 200

mkdir -p "$T/bin"
# fake_mmcli BODY: $T/bin/mmcli logs its arguments, then runs BODY
fake_mmcli() {
  printf '#!/bin/sh\necho "$*" >>"%s/mmcli.calls"\n%s\n' "$T" "$1" >"$T/bin/mmcli"
  chmod +x "$T/bin/mmcli"
}
fake_mmcli "case \"\$*\" in
'-L -J') cat '$DATA/mmcli-L.json' ;;
'-m 0 -J') sed 's/\"wwan0 (net)\"/\"lo (net)\"/' '$DATA/mmcli-m0.json' ;;
*) echo \"error: unexpected \$*\" >&2; exit 1 ;;
esac"
# run_agent UPLINK: the agent with server.uplink = UPLINK, mmcli on its PATH
run_agent() {
  cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-4g"; region = "110105"; };
timezone = "Asia/Shanghai";
store = { path = "$T/agent.db"; };
server = { url = "$URL"; token = "$GW"; interval = 1; uplink = "$1"; };
buses = ( { name = "b"; type = "none"; } );
meters = ( { name = "m1"; plugin = "sim"; bus = "b"; address = "000000000001"; poll_interval = 0.5;
             options = { seed = 7; start_wh = 1000000; }; } );
CONF
  "$MB_AGENT" -t -c "$T/agent.conf" >/dev/null || fail "agent config rejected"
  : >"$T/mmcli.calls"
  PATH="$T/bin:$PATH" start_agent "$T/agent.conf" "$T/agent.log"
}
stop_agent() { kill -TERM "$AGENT_PID"; wait "$AGENT_PID" || true; }
up() { api GET /api/v1/gateways/gw-4g "" "$OPER"; j "[\"uplink\"]$1"; }
calls() { wc -l <"$T/mmcli.calls"; }
# status_has PATTERN: meterbox-agent status (text, into status.txt) matches
status_has() { "$MB_AGENT" -c "$T/agent.conf" status >"$T/status.txt" 2>&1 && grep -Eq "$1" "$T/status.txt"; }
# uploads N: wait until the server has had N more uploads with an uplink
# (reported_at moves at most once a second, so N + 1 distinct values)
uploads() {
  local seen=() last=
  while [ ${#seen[@]} -le "$1" ]; do
    local at; at=$(up '["reported_at"]' 2>/dev/null || echo none)
    [ "$at" != "$last" ] && [ "$at" != none ] && [ "$at" != null ] && seen+=("$at") last=$at
    [ $SECONDS -lt $((START + 60)) ] || fail "uploads stopped: $(tail -5 "$T/agent.log")"
    sleep 0.3
  done
}

# 1. as the modem reported it
run_agent auto
START=$SECONDS; uploads 1
api GET /api/v1/gateways/gw-4g "" "$OPER"; cp "$T/resp" "$T/gw.json"
u() { j "[\"uplink\"]$1" "$T/gw.json"; }
[ "$(u '["interface"]')" = lo ] && [ "$(u '["kind"]')" = cellular ] && [ "$(u '["source"]')" = mmcli ] &&
  [ "$(u '["signal_pct"]')" = 18 ] && [ "$(u '["technology"]')" = lte ] &&
  [ "$(u '["operator"]')" = "CHINA MOBILE" ] && [ "$(u '["operator_code"]')" = 46000 ] &&
  [ "$(u '["state"]')" = connected ] && [ "$(u '["registration"]')" = home ] &&
  [ "$(u '["health"]')" = weak ] || fail "the uplink the server shows: $(cat "$T/gw.json")"
api GET "/api/v1/stats/gateways?state=attention" "" "$OPER"
[ "$(j '["uplink_weak"]')" = 1 ] && [ "$(j '["gateways"][0]["name"]')" = gw-4g ] &&
  [ "$(j '["gateways"][0]["uplink"]["health"]')" = weak ] || fail "the wall's list: $(cat "$T/resp")"
pass "the server shows the modem's uplink (lo, cellular, 18 %, lte, CHINA MOBILE 46000) and lists it as weak"

# 1b. on site: the look reaches agent.db with the store's next commit
wait_for 60 status_has "CHINA MOBILE" || fail "status never showed the modem: $(cat "$T/status.txt")"
grep -Eq '^uplink +lo, cellular: signal 18 %, lte, operator CHINA MOBILE, connected, home \(by mmcli\)$' "$T/status.txt" &&
  grep -Eq '^ +looked at 20[0-9-]+ [0-9:]+ \([0-9]+ s ago\)$' "$T/status.txt" ||
  fail "status's uplink: $(cat "$T/status.txt")"
"$MB_AGENT" -c "$T/agent.conf" status --json >"$T/status.json" || fail "status --json failed"
python3 - "$T/status.json" <<'PY' || fail "status --json's uplink: $(cat "$T/status.json")"
import json, sys, time
u = json.load(open(sys.argv[1]))["uplink"]
assert (u["interface"], u["kind"], u["source"], u["signal_pct"], u["technology"], u["operator"],
        u["operator_code"], u["state"], u["registration"], u["tools"]) == (
        "lo", "cellular", "mmcli", 18, "lte", "CHINA MOBILE", "46000", "connected", "home", ["mmcli"]), u
assert abs(u["looked_at"] - time.time()) < 600 and "error" not in u and "retries" not in u, u
PY
pass "status shows the uplink the agent last saw (lo, cellular, 18 %, lte, CHINA MOBILE) and when"

# 2. one look for many uploads
START=$SECONDS; uploads 3
[ "$(calls)" = 2 ] && [ "$(head -1 "$T/mmcli.calls")" = "-L -J" ] && [ "$(tail -1 "$T/mmcli.calls")" = "-m 0 -J" ] ||
  fail "mmcli runs for 4 uploads: $(cat "$T/mmcli.calls")"
! grep -i "uplink" "$T/agent.log" | grep -qiv "^.*info" || fail "uplink complaints: $(grep -i uplink "$T/agent.log")"
stop_agent
pass "4 uploads, one look (mmcli -L -J, mmcli -m 0 -J)"

# 3. a hanging tool: killed, the uploads go on without the signal
fake_mmcli 'exec sleep 60'
run_agent mmcli
START=$SECONDS; uploads 2
[ "$(up '["interface"]')" = lo ] && [ "$(up '["kind"]')" = loopback ] && [ "$(up '.get("signal_pct")')" = null ] ||
  fail "the uplink after a hanging tool: $(cat "$T/resp")"
grep -q "mmcli -L: no answer within 5000 ms: killed" "$T/agent.log" || fail "no timeout logged: $(cat "$T/agent.log")"
[ "$(grep -c "no answer within" "$T/agent.log")" = 1 ] || fail "the timeout logged more than once"
wait_for 60 status_has "mmcli -L: no answer within 5000 ms" || fail "status after a hanging mmcli: $(cat "$T/status.txt")"
grep -Eq '^uplink +lo, loopback; /.*/mmcli -L: no answer within 5000 ms: killed$' "$T/status.txt" ||
  fail "status after a hanging mmcli: $(cat "$T/status.txt")"
stop_agent
pass "a hanging mmcli is killed at 5 s, logged once; the uploads go on with the interface"

# 4. no tool
run_agent none
START=$SECONDS; uploads 2
[ "$(calls)" = 0 ] || fail "mmcli ran with uplink = none: $(cat "$T/mmcli.calls")"
[ "$(up '["interface"]')" = lo ] && [ "$(up '.get("source")')" = null ] || fail "uplink = none: $(cat "$T/resp")"
wait_for 60 status_has "no modem tool" || fail "status with uplink = none: $(cat "$T/status.txt")"
grep -Eq '^uplink +lo, loopback; no modem tool \(mmcli, uqmi\) installed or chosen$' "$T/status.txt" &&
  ! grep -Eq 'signal|CHINA' "$T/status.txt" || fail "status with uplink = none: $(cat "$T/status.txt")"
stop_agent
pass "uplink = none: no tool run, the interface reported (and shown by status, with no modem tool)"
sed -i 's/uplink = "none"/uplink = "qmicli"/' "$T/agent.conf"
out=$("$MB_AGENT" -t -c "$T/agent.conf" 2>&1) && fail "uplink = \"qmicli\" accepted"
grep -q "agent.conf:[0-9]*:.*'uplink' must be \"auto\", \"mmcli\", \"uqmi\" or \"none\"" <<<"$out" ||
  fail "a bad uplink value: $out"
pass "a bad uplink value is refused by file, line and its choices"

# 5. the uplink refused (the modem answering again)
fake_mmcli "case \"\$*\" in
'-L -J') cat '$DATA/mmcli-L.json' ;;
*) sed 's/\"wwan0 (net)\"/\"lo (net)\"/' '$DATA/mmcli-m0.json' ;;
esac"
cat >"$T/refuser.py" <<'PY'
import http.server, sys, urllib.request, urllib.error
UP = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if b'"uplink"' in body:
            out, code = b'{"error":{"code":"bad_request","field":"uplink.signal_pct","message":"not this"}}', 400
        else:
            req = urllib.request.Request(UP + self.path, body, {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")})
            try:
                r = urllib.request.urlopen(req); out, code = r.read(), r.status
            except urllib.error.HTTPError as e:
                out, code = e.read(), e.code
        self.send_response(code); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out))); self.end_headers(); self.wfile.write(out)
    def log_message(self, *a): print(self.requestline, flush=True)
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[2], "w").write(str(s.server_port))
s.serve_forever()
PY
/usr/bin/python3 "$T/refuser.py" "$URL" "$T/refuser.port" >"$T/refuser.log" 2>&1 &
PIDS+=("$!")
wait_for 10 test -s "$T/refuser.port" || fail "the refusing proxy did not start"
api GET /api/v1/gateways/gw-4g "" "$OPER"; high=$(j '["meter_list"][0]["high_seq"]')
SERVER_URL=$URL; URL="http://127.0.0.1:$(cat "$T/refuser.port")"
run_agent auto
URL=$SERVER_URL
posts() { [ "$(grep -c "^POST" "$T/refuser.log")" -ge 4 ]; }
wait_for 60 posts || fail "uploads stopped behind a server refusing the uplink: $(tail -5 "$T/agent.log")"
# readings reach agent.db, and so the uploads, a commit (5 s) after they are
# read: the first posts may carry none
higher() { api GET /api/v1/gateways/gw-4g "" "$OPER"; [ "$(j '["meter_list"][0]["high_seq"]')" -gt "$high" ]; }
wait_for 60 higher || fail "no readings arrived: $(cat "$T/resp")"
[ "$(grep -c "refused the uplink report" "$T/agent.log")" = 1 ] || fail "the refusal logged: $(grep -i refused "$T/agent.log")"
grep -q "uplink.signal_pct" "$T/agent.log" || fail "the refused field is not named: $(cat "$T/agent.log")"
! sql "$T/agent.db" "SELECT count(*) FROM events WHERE type = 'upload_refused'" | grep -qv '^0$' ||
  fail "a reading or event was set aside for the uplink"
stop_agent
pass "a server refusing the uplink: logged once with its field, no longer sent, readings go on"
stop_server
