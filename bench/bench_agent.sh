#!/usr/bin/env bash
# Agent benchmark: CPU time per meter reading and resident memory of
# meterbox-agent with the modbus plugin polling METERS (32) sdm120 meters of
# a pymodbus simulator over Modbus TCP, against collectd's modbus plugin
# (Debian collectd-core) reading the same quantities (voltage, current,
# power, pf, frequency, import and export energy: 7 float input registers
# per meter) from the same simulator, in the same run.  Each reads every
# meter once per INTERVAL (1 s) for DURATION (20) seconds; CPU is user + system from
# /proc/PID/stat, memory the peak RSS (VmHWM) and the private anonymous
# memory (smaps_rollup; RSS also counts shared library pages, and the
# agent links libcurl with GnuTLS and Kerberos on Debian).  The agent commits every
# reading to SQLite (its job); collectd writes CSV.
#
#   B=BUILD_DIR bench/bench_agent.sh
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$SRC/build}
METERS=${METERS:-32} SECONDS_RUN=${DURATION:-20} INTERVAL=${INTERVAL:-1}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/mbagent.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x /usr/sbin/collectd ] || fail "collectd is not installed (Debian: collectd-core)"
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

# --- meterbox-agent
{
  echo 'gateway = { id = "gw-bench"; };'
  echo "store = { path = \"$T/agent.db\"; synchronous = \"normal\"; };"
  echo "plugin_dir = \"$B/plugins\";"
  echo 'log = { level = "warning"; };'
  echo "buses = ( { name = \"tcp\"; type = \"tcp\"; host = \"127.0.0.1\"; port = $PORT; timeout_ms = 1000; } );"
  echo "meters = ("
  for u in $(seq 1 "$METERS"); do
    [ "$u" = 1 ] || echo ","
    echo "{ name = \"m$u\"; plugin = \"modbus\"; bus = \"tcp\"; address = \"$u\"; poll_interval = $INTERVAL; options = { profile = \"sdm120\"; }; }"
  done
  echo ");"
} >"$T/agent.conf"
"$B/agent/meterbox-agent" -t -c "$T/agent.conf" >/dev/null || fail "agent config"
"$B/agent/meterbox-agent" -f -c "$T/agent.conf" >"$T/agent.log" 2>&1 &
A=$!; PIDS+=($A)
sleep 2
c0=$(cpu_ticks $A); n0=$(sqlite3 "$T/agent.db" "SELECT count(*) FROM readings")
sleep "$SECONDS_RUN"
c1=$(cpu_ticks $A); n1=$(sqlite3 "$T/agent.db" "SELECT count(*) FROM readings"); am=$(hwm_kb $A); aa=$(anon_kb $A)
kill $A; wait $A 2>/dev/null || true
an=$((n1 - n0)) ac=$((c1 - c0))

# --- collectd, same meters, same quantities
{
  echo "Interval $INTERVAL"
  echo 'LoadPlugin modbus'
  echo 'LoadPlugin csv'
  echo "<Plugin csv>"
  echo "  DataDir \"$T/csv\""
  echo "</Plugin>"
  echo "<Plugin modbus>"
  r=0
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
} >"$T/collectd.conf"
/usr/sbin/collectd -t -C "$T/collectd.conf" || fail "collectd config"
/usr/sbin/collectd -f -C "$T/collectd.conf" >"$T/collectd.log" 2>&1 &
C=$!; PIDS+=($C)
sleep 2
count_csv() { cat "$T"/csv/*/modbus-m*/gauge-import* 2>/dev/null | grep -c '^[0-9]' || true; }
c0=$(cpu_ticks $C); n0=$(count_csv)
sleep "$SECONDS_RUN"
c1=$(cpu_ticks $C); n1=$(count_csv); cm=$(hwm_kb $C); ca=$(anon_kb $C)
kill $C; wait $C 2>/dev/null || true
cn=$((n1 - n0)) cc=$((c1 - c0))

r() { /usr/bin/python3 -c "import sys; a=[float(x) for x in sys.argv[1:]]; print('%.3g' % (a[0]/a[1]) if a[1] else 'n/a')" "$@"; }
apr=$(/usr/bin/python3 -c "print('%.1f' % ($ac / $HZ / max($an,1) * 1e6))")
cpr=$(/usr/bin/python3 -c "print('%.1f' % ($cc / $HZ / max($cn,1) * 1e6))")
echo "meters=$METERS interval=${INTERVAL}s window=${SECONDS_RUN}s"
echo "meterbox-agent: readings $an cpu_ticks $ac cpu_per_reading_us $apr peak_rss_kb $am anon_kb $aa"
echo "collectd:       readings $cn cpu_ticks $cc cpu_per_reading_us $cpr peak_rss_kb $cm anon_kb $ca"
echo "ratio agent/collectd: cpu per reading $(r "$apr" "$cpr"), peak rss $(r "$am" "$cm"), private anon $(r "$aa" "$ca")   (targets <= 1)"
