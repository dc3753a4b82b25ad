#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Agent benchmark: CPU time per meter reading and resident memory of
# meterbox-agent with the modbus plugin polling METERS (32) sdm120 meters of
# a pymodbus simulator over Modbus TCP, against collectd's modbus plugin
# (Debian collectd-core) reading the same quantities (voltage, current,
# power, pf, frequency, import and export energy: 7 float input registers
# per meter) from the same simulator, in the same run.  Each reads every
# meter once per INTERVAL (1 s) for DURATION (20) seconds; CPU is user +
# system from /proc/PID/stat, memory the peak RSS (VmHWM) and the private
# anonymous memory (smaps_rollup; RSS also counts shared library pages).
# Two jobs, each run by both:
#   local   store only: the agent commits every reading to SQLite (with no
#           server configured it never starts libcurl, though it links it);
#           collectd writes CSV.
#   upload  store and send, a gateway's whole job: the agent also uploads
#           every UPLOAD_S (10) seconds to a meterbox-server on loopback
#           (its meters bound to its gateway); collectd also posts its values
#           as JSON with write_http (libcurl, as the agent) to a local sink
#           every UPLOAD_S seconds.
#
#   B=BUILD_DIR bench/bench_agent.sh
#   LIBC=musl bench/bench_agent.sh      the gateway's libc: the musl agent of
#                                       bench/musl/build.sh (build-musl/) against
#                                       a musl collectd (bench/musl/collectd.sh)
#                                       built small as OpenWrt's; the server stays
#                                       build/'s (SERVER_B)
#   SMAPS=DIR ...                       also keep each process's /proc/PID/smaps,
#                                       taken just before it is stopped, in DIR
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
LIBC=${LIBC:-glibc}
METERS=${METERS:-32} SECONDS_RUN=${DURATION:-20} INTERVAL=${INTERVAL:-1} UPLOAD_S=${UPLOAD_S:-10}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/mbagent.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
case $LIBC in
glibc)
  B=${B:-$SRC/build} COLLECTD=/usr/sbin/collectd
  SERVER_B=${SERVER_B:-$B}
  [ -x $COLLECTD ] || fail "collectd is not installed (Debian: collectd-core)"
  # write_http's own libraries, which collectd-core only suggests
  for l in libyajl2 libcurl3-gnutls; do
    dpkg-query -W -f='${Status}' "$l" 2>/dev/null | grep -q "install ok installed" ||
      fail "collectd's write_http needs $l (scripts/setup.sh installs it)"
  done
  ;;
musl)
  # Both builds are no-ops once done (stamps, ninja).  The server is no
  # part of a gateway: the glibc one of build/ serves.
  B=${B:-$SRC/build-musl} SERVER_B=${SERVER_B:-$SRC/build}
  COLLECTD=${MB_MUSL_CACHE:-$HOME/.cache/meterbox-musl}/collectd/sbin/collectd
  B=$B "$SRC/bench/musl/build.sh" >"$T/musl-build.log" 2>&1 ||
    fail "bench/musl/build.sh failed: $(tail -5 "$T/musl-build.log")"
  "$SRC/bench/musl/collectd.sh" >"$T/musl-collectd.log" 2>&1 ||
    fail "bench/musl/collectd.sh failed: $(tail -5 "$T/musl-collectd.log")"
  ;;
*) fail "LIBC must be glibc or musl" ;;
esac
[ -x "$SERVER_B/server/meterbox-server" ] ||
  fail "no $SERVER_B/server/meterbox-server: build the server (cmake --build ${SERVER_B#"$SRC/"} --target meterbox-server)"
"$PY" -c 'import pymodbus' 2>/dev/null || fail "/usr/bin/python3 cannot import pymodbus"
HZ=$(getconf CLK_TCK)

args=()
for u in $(seq 1 "$METERS"); do args+=(--meter "name=m$u,unit=$u,profile=sdm120,import_wh=$((1000000 + u))"); done
"$PY" "$SRC/tests/integration/modbus_sim.py" serve --tcp 127.0.0.1:0 --port-file "$T/port" "${args[@]}" >"$T/sim.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
anon_kb() { awk '/^Anonymous/ {print $2}' "/proc/$1/smaps_rollup"; } # private, not shared libraries
# stop PID NAME: keep its smaps (with SMAPS=DIR), then end it
stop() {
  [ -z "${SMAPS:-}" ] || { mkdir -p "$SMAPS" && cat "/proc/$1/smaps" >"$SMAPS/$2.smaps"; }
  kill "$1"; wait "$1" 2>/dev/null || true
}

# --- meterbox-agent: agent_run JOB [SERVER-LINE]; sets an ac am aa
agent_run() {
  {
    echo 'gateway = { id = "gw-bench"; };'
    echo "store = { path = \"$T/agent-$1.db\"; synchronous = \"normal\"; };"
    echo "plugin_dir = \"$B/plugins\";"
    echo 'log = { level = "warning"; };'
    echo "${2:-}"
    echo "buses = ( { name = \"tcp\"; type = \"tcp\"; host = \"127.0.0.1\"; port = $PORT; timeout_ms = 1000; } );"
    echo "meters = ("
    for u in $(seq 1 "$METERS"); do
      [ "$u" = 1 ] || echo ","
      echo "{ name = \"m$u\"; plugin = \"modbus\"; bus = \"tcp\"; address = \"$u\"; poll_interval = $INTERVAL; options = { profile = \"sdm120\"; }; }"
    done
    echo ");"
  } >"$T/agent-$1.conf"
  "$B/agent/meterbox-agent" -t -c "$T/agent-$1.conf" >/dev/null || fail "agent config"
  "$B/agent/meterbox-agent" -f -c "$T/agent-$1.conf" >"$T/agent-$1.log" 2>&1 &
  local A=$! c0 n0 c1 n1
  PIDS+=($A)
  sleep 2
  c0=$(cpu_ticks $A); n0=$(sqlite3 "$T/agent-$1.db" "SELECT count(*) FROM readings")
  sleep "$SECONDS_RUN"
  c1=$(cpu_ticks $A); n1=$(sqlite3 "$T/agent-$1.db" "SELECT count(*) FROM readings"); am=$(hwm_kb $A); aa=$(anon_kb $A)
  stop $A "agent-$1"
  an=$((n1 - n0)) ac=$((c1 - c0))
}

# --- collectd, same meters, same quantities: collectd_run JOB [EXTRA-CONF]; sets cn cc cm ca
collectd_run() {
  {
    echo "Interval $INTERVAL"
    echo 'LoadPlugin modbus'
    echo 'LoadPlugin csv'
    echo "<Plugin csv>"
    echo "  DataDir \"$T/csv-$1\""
    echo "</Plugin>"
    echo "${2:-}"
    echo "<Plugin modbus>"
    for q in voltage:0 current:6 power:12 pf:30 freq:70 import:72 export:74; do
      echo "  <Data \"${q%%:*}\">"
      echo "    RegisterBase ${q##*:}"
      echo "    RegisterType Float"
      echo "    RegisterCmd ReadInput"
      echo "    Type gauge"
      echo "    Instance \"${q%%:*}\""
      echo "  </Data>"
    done
    echo "  <Host \"sim\">"
    echo "    Address \"127.0.0.1\""
    echo "    Port \"$PORT\""
    echo "    Interval $INTERVAL"
    for u in $(seq 1 "$METERS"); do
      echo "    <Slave $u>"
      echo "      Instance \"m$u\""
      for q in voltage current power pf freq import export; do echo "      Collect \"$q\""; done
      echo "    </Slave>"
    done
    echo "  </Host>"
    echo "</Plugin>"
  } >"$T/collectd-$1.conf"
  "$COLLECTD" -t -C "$T/collectd-$1.conf" || fail "collectd config"
  "$COLLECTD" -f -C "$T/collectd-$1.conf" >"$T/collectd-$1.log" 2>&1 &
  local C=$! c0 n0 c1 n1
  PIDS+=($C)
  sleep 2
  count_csv() { cat "$T/csv-$1"/*/modbus-m*/gauge-import* 2>/dev/null | grep -c '^[0-9]' || true; }
  c0=$(cpu_ticks $C); n0=$(count_csv "$1")
  sleep "$SECONDS_RUN"
  c1=$(cpu_ticks $C); n1=$(count_csv "$1"); cm=$(hwm_kb $C); ca=$(anon_kb $C)
  stop $C "collectd-$1"
  cn=$((n1 - n0)) cc=$((c1 - c0))
}

r() { /usr/bin/python3 -c "import sys; a=[float(x) for x in sys.argv[1:]]; print('%.3g' % (a[0]/a[1]) if a[1] else 'n/a')" "$@"; }
# report JOB: one line per process and their ratios
report() {
  local apr cpr
  apr=$(/usr/bin/python3 -c "print('%.1f' % ($ac / $HZ / max($an,1) * 1e6))")
  cpr=$(/usr/bin/python3 -c "print('%.1f' % ($cc / $HZ / max($cn,1) * 1e6))")
  echo "[$1] meterbox-agent: readings $an cpu_ticks $ac cpu_per_reading_us $apr peak_rss_kb $am anon_kb $aa"
  echo "[$1] collectd:       readings $cn cpu_ticks $cc cpu_per_reading_us $cpr peak_rss_kb $cm anon_kb $ca"
  echo "[$1] ratio agent/collectd: cpu per reading $(r "$apr" "$cpr"), peak rss $(r "$am" "$cm"), private anon $(r "$aa" "$ca")   (targets <= 1)"
}

[ "$LIBC" = glibc ] || echo "libc=$LIBC: agent $B, collectd $COLLECTD"
echo "meters=$METERS interval=${INTERVAL}s window=${SECONDS_RUN}s upload every ${UPLOAD_S}s"
agent_run local
collectd_run local
report local

# The upload job: a server that knows the gateway and its meters, and a sink
# that answers collectd's posts.
cat >"$T/server.conf" <<CONF
listen = { address = "127.0.0.1"; port = 0; threads = 2; };
database = { path = "$T/server.db"; };
settlement = { enabled = false; };
log = { level = "notice"; };
CONF
ADMIN=$("$SERVER_B/server/meterbox-server" -c "$T/server.conf" --create-token root)
"$SERVER_B/server/meterbox-server" -f -c "$T/server.conf" >"$T/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$T/server.log" && break; sleep 0.1; done
URL="http://127.0.0.1:$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$T/server.log" | sed 's/.*://')"
api() { curl -sf -X "$1" -H "Authorization: Bearer $ADMIN" --data-binary "$3" "$URL$2"; }
GW=$(api POST /api/v1/gateways '{"name":"gw-bench"}' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["token"])')
for u in $(seq 1 "$METERS"); do api PUT "/api/v1/meters/$u" '{"gateway":"gw-bench"}' >/dev/null; done
"$PY" - "$T/sink.port" >"$T/sink.log" 2>&1 <<'PYEOF' &
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), Sink)
open(sys.argv[1], "w").write(str(s.server_port))
s.serve_forever()
PYEOF
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/sink.port" ] && break; sleep 0.1; done
agent_run upload "server = { url = \"$URL\"; token = \"$GW\"; interval = $UPLOAD_S; };"
acked=$(sqlite3 "$T/agent-upload.db" "SELECT count(*) FROM readings WHERE acked = 1")
[ "$acked" -gt 0 ] || fail "the agent uploaded nothing: $(tail -3 "$T/agent-upload.log")"
collectd_run upload "<LoadPlugin write_http>
  FlushInterval $UPLOAD_S
</LoadPlugin>
<Plugin write_http>
  <Node \"sink\">
    URL \"http://127.0.0.1:$(cat "$T/sink.port")/collectd\"
    Format \"JSON\"
  </Node>
</Plugin>"
report upload
echo "(upload: the server acknowledged $acked readings of the agent's)"
