#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Agent benchmark: CPU time per meter reading and resident memory of
# meterbox-agent with the modbus plugin polling METERS (32) sdm120 meters of
# a pymodbus simulator over Modbus TCP, against collectd's modbus plugin
# (Debian collectd-core) reading the same quantities (voltage, current,
# power, pf, frequency, import and export energy: 7 float input registers
# per meter) from the same simulator, in the same run.  Each reads every
# meter once per INTERVAL (1 s) for DURATION (20) seconds; readings are
# those the simulator answered (reads of each meter's energy register), CPU
# is user + system of all threads in ns (the process's CPU-time clock),
# memory the peak RSS (VmHWM) and the private anonymous memory
# (smaps_rollup; RSS also counts shared library pages).
# First the CPU target of issue 16, job "one": one DDSU666 (the ddsu666
# profile, 2 requests a reading) read every 0.1 s, the agent with its
# shipped defaults untouched (no store settings: routine readings committed
# every 100 or 5 s), collectd with one read and one write thread
# (ReadThreads 1, WriteThreads 1; its modbus plugin reads the six
# quantities in six requests, written to CSV), no server.  Both are measured
# the same way: process CPU time (utime + stime of all threads, in ns from
# the process's CPU-time clock) over a window of ONE_N (1200) readings
# counted by the simulator (reads of the energy register, modbus_sim.py
# --count), after 30 readings of warm-up.  The two run side by side, each
# with a simulator of its own, so that the load of a shared machine weighs
# on both alike.  Target: the agent's CPU per reading <= 0.5 x collectd's.
# Then two jobs with METERS meters, each run by both:
#   local   store only: the agent stores every reading in SQLite with its
#           defaults (with no server configured it never starts libcurl,
#           though it links it); collectd writes CSV.
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
#   ONLY_ONE=1 ...                      job "one" only
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

args=()
for u in $(seq 1 "$METERS"); do args+=(--meter "name=m$u,unit=$u,profile=sdm120,import_wh=$((1000000 + u))"); done
"$PY" "$SRC/tests/integration/modbus_sim.py" serve --tcp 127.0.0.1:0 --port-file "$T/port" \
  --count "$T/count" "${args[@]}" >"$T/sim.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")

# readings taken of all meters so far, whoever read them (the simulator's
# count: agent.db holds a reading only once its group is committed)
reads_all() { awk '{ s += $2 } END { print s + 0 }' "$T/count" 2>/dev/null || echo 0; }
# cpu_ns PID: the process's CPU time (user + system, all threads) in ns, by
# its CPU-time clock (CPUCLOCK_SCHED of clock_getcpuclockid)
cpu_ns() { "$PY" -c 'import sys, time; p = int(sys.argv[1]); print(time.clock_gettime_ns(((~p) << 3) | 2))' "$1"; }
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
    echo "store = { path = \"$T/agent-$1.db\"; };"
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
  c0=$(cpu_ns $A); n0=$(reads_all)
  sleep "$SECONDS_RUN"
  c1=$(cpu_ns $A); n1=$(reads_all); am=$(hwm_kb $A); aa=$(anon_kb $A)
  stop $A "agent-$1"
  an=$((n1 - n0)) ac=$((c1 - c0))
}

# collectd_data CMD NAME:REGISTER...: collectd modbus <Data> blocks, float32
# values read with CMD (ReadInput, ReadHolding)
collectd_data() {
  local cmd=$1 q
  shift
  for q in "$@"; do
    echo "  <Data \"${q%%:*}\">"
    echo "    RegisterBase ${q##*:}"
    echo "    RegisterType Float"
    echo "    RegisterCmd $cmd"
    echo "    Type gauge"
    echo "    Instance \"${q%%:*}\""
    echo "  </Data>"
  done
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
    collectd_data ReadInput voltage:0 current:6 power:12 pf:30 freq:70 import:72 export:74
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
  c0=$(cpu_ns $C); n0=$(reads_all)
  sleep "$SECONDS_RUN"
  c1=$(cpu_ns $C); n1=$(reads_all); cm=$(hwm_kb $C); ca=$(anon_kb $C)
  stop $C "collectd-$1"
  cn=$((n1 - n0)) cc=$((c1 - c0))
}

r() { /usr/bin/python3 -c "import sys; a=[float(x) for x in sys.argv[1:]]; print('%.3g' % (a[0]/a[1]) if a[1] else 'n/a')" "$@"; }
# report JOB: one line per process and their ratios
report() {
  local apr cpr
  apr=$(/usr/bin/python3 -c "print('%.1f' % ($ac / 1e3 / max($an,1)))")
  cpr=$(/usr/bin/python3 -c "print('%.1f' % ($cc / 1e3 / max($cn,1)))")
  echo "[$1] meterbox-agent: readings $an cpu_ms $((ac / 1000000)) cpu_per_reading_us $apr peak_rss_kb $am anon_kb $aa"
  echo "[$1] collectd:       readings $cn cpu_ms $((cc / 1000000)) cpu_per_reading_us $cpr peak_rss_kb $cm anon_kb $ca"
  echo "[$1] ratio agent/collectd: cpu per reading $(r "$apr" "$cpr"), peak rss $(r "$am" "$cm"), private anon $(r "$aa" "$ca")   (targets <= 1)"
}

[ "$LIBC" = glibc ] || echo "libc=$LIBC: agent $B, collectd $COLLECTD"

# --- job "one": one DDSU666 every 0.1 s, readings counted by the simulator.
# Agent and collectd run side by side, each with a simulator of its own, so
# that a shared machine's load weighs on both alike.
ONE_N=${ONE_N:-1200}
# one_sim NAME: a simulator of one DDSU666 counting its readings in
# NAME.count, its port in NAME.port
one_sim() {
  "$PY" "$SRC/tests/integration/modbus_sim.py" serve --tcp 127.0.0.1:0 --port-file "$T/$1.port" \
    --count "$T/$1.count" --meter "name=m1,unit=1,profile=ddsu666" >"$T/$1-sim.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do [ -s "$T/$1.port" ] && break; sleep 0.1; done
  [ -s "$T/$1.port" ] || fail "simulator $1 did not start: $(cat "$T/$1-sim.log")"
}
one_sim one-agent
one_sim one-collectd
APORT=$(cat "$T/one-agent.port") CPORT=$(cat "$T/one-collectd.port")
cat >"$T/one-agent.conf" <<CONF
gateway = { id = "gw-one"; };
store = { path = "$T/one.db"; };
plugin_dir = "$B/plugins";
buses = ( { name = "tcp"; type = "tcp"; host = "127.0.0.1"; port = $APORT; timeout_ms = 1000; } );
meters = ( { name = "m1"; plugin = "modbus"; bus = "tcp"; address = "1"; poll_interval = 0.1;
             options = { profile = "ddsu666"; }; } );
CONF
{
  echo "Interval 0.1"
  echo "ReadThreads 1"
  echo "WriteThreads 1"
  echo "LoadPlugin modbus"
  echo "LoadPlugin csv"
  echo "<Plugin csv>"
  echo "  DataDir \"$T/csv-one\""
  echo "</Plugin>"
  echo "<Plugin modbus>"
  # the ddsu666 profile: holding registers, float32 ABCD
  collectd_data ReadHolding voltage:8192 current:8194 power:8196 pf:8202 freq:8206 import:16384
  echo "  <Host \"sim\">"
  echo "    Address \"127.0.0.1\""
  echo "    Port \"$CPORT\""
  echo "    Interval 0.1"
  echo "    <Slave 1>"
  echo "      Instance \"m1\""
  for q in voltage current power pf freq import; do echo "      Collect \"$q\""; done
  echo "    </Slave>"
  echo "  </Host>"
  echo "</Plugin>"
} >"$T/collectd-one.conf"
"$B/agent/meterbox-agent" -t -c "$T/one-agent.conf" >/dev/null || fail "agent config (one)"
"$COLLECTD" -t -C "$T/collectd-one.conf" || fail "collectd config (one)"
"$B/agent/meterbox-agent" -f -c "$T/one-agent.conf" >"$T/one-agent.log" 2>&1 &
A=$!
PIDS+=("$A")
"$COLLECTD" -f -C "$T/collectd-one.conf" >"$T/collectd-one.log" 2>&1 &
C=$!
PIDS+=("$C")
# Each process's CPU time in ns (its CPU-time clock, as clock_getcpuclockid
# gives it: utime + stime of all its threads, without the 10 ms ticks of
# /proc/PID/stat) over its window of ONE_N readings after 30 of warm-up;
# prints "readings ns" for each.
"$PY" - "$ONE_N" "$A" "$T/one-agent.count" "$C" "$T/one-collectd.count" >"$T/one.out" <<'PY' ||
import sys, time
n = int(sys.argv[1])
procs = [(int(sys.argv[i]), sys.argv[i + 1]) for i in (2, 4)]
def reads(path):
    try:
        return int(open(path).read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
def cpu(pid):  # Linux's CPU-time clock of process pid (CPUCLOCK_SCHED)
    return time.clock_gettime_ns(((~pid) << 3) | 2)
start, end = {}, {}
deadline = time.monotonic() + 60 + n  # 0.1 s a reading, with ten times the room
while len(end) < len(procs):
    if time.monotonic() > deadline:
        sys.exit("no %d readings in time: %s" % (n, [reads(p) for _, p in procs]))
    for pid, path in procs:
        r = reads(path)
        if pid not in start and r >= 30:
            start[pid] = (r, cpu(pid))
        elif pid in start and pid not in end and r >= start[pid][0] + n:
            end[pid] = (r, cpu(pid))
    time.sleep(0.02)
for pid, _ in procs:
    print(end[pid][0] - start[pid][0], end[pid][1] - start[pid][1])
PY
  fail "window (one): $(cat "$T/one.out")"
stop $A agent-one
stop $C collectd-one
read -r oan oans < <(sed -n 1p "$T/one.out")
read -r ocn ocns < <(sed -n 2p "$T/one.out")
oapr=$(/usr/bin/python3 -c "print('%.1f' % ($oans / 1e3 / $oan))")
ocpr=$(/usr/bin/python3 -c "print('%.1f' % ($ocns / 1e3 / $ocn))")
echo "[one] 1 DDSU666 every 0.1 s, each reader with its own simulator, side by side;" \
  "$ONE_N readings counted by the simulators; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "[one] meterbox-agent (defaults): readings $oan cpu_ms $((oans / 1000000)) cpu_per_reading_us $oapr"
echo "[one] collectd (1 read, 1 write thread): readings $ocn cpu_ms $((ocns / 1000000)) cpu_per_reading_us $ocpr"
echo "[one] ratio agent/collectd: cpu per reading $(r "$oapr" "$ocpr")   (target <= 0.5)"
[ -z "${ONLY_ONE:-}" ] || exit 0

echo "meters=$METERS interval=${INTERVAL}s window=${SECONDS_RUN}s upload every ${UPLOAD_S}s"
agent_run local
collectd_run local
report local

# The upload job: a server that knows the gateway and its meters, and a sink
# that answers collectd's posts.
. "$SRC/bench/bench_server.sh"
bench_server "$SERVER_B/server/meterbox-server" "$T"
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
