#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The agent's footprint: stripped size of meterbox-agent and of each plugin,
# and its resident memory with 32 simulated meters over five hours of
# simulated time (sim option speed, 60 by default: 300 s of real time), each
# meter read once a simulated minute: with the built-in store settings, with
# the OpenWrt package's (its hour of grouping scaled to a minute), and with
# the package's settings uploading over HTTPS to a real meterbox-server
# (SERVER_B's, default build/; without one, to a closed port) every 10 s.
# Store writes: bench/footprint_writes.sh.
#
#   bench/footprint.sh                 MinSizeRel build in build-footprint/
#   SECONDS_RUN=300 SPEED=60 METERS=32 bench/footprint.sh
#   LIBC=musl bench/footprint.sh       the gateway build of bench/musl/build.sh
#                                      in build-musl/: musl and OpenWrt-like
#                                      libraries (agent and plugins; about
#                                      2 minutes more the first time)
#
# Baselines, measured in the same run:
#   size    the same build's stripped files, so sizes are in bytes and KB;
#   memory  bench/footprint_baseline.c (links and initialises the agent's
#           libraries, then waits) and the agent with 1 meter, run side by
#           side with the 32-meter agent for the same time.
# Targets (bench/footprint.md): agent + plugins stripped < 512 KB; VmHWM with
# 32 meters < 4 MB.  The script reports, it never fails on a number.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
LIBC=${LIBC:-glibc}
case $LIBC in
glibc) B=${B:-$top/build-footprint} ;;
musl) B=${B:-$top/build-musl} ;;
*) echo "LIBC must be glibc or musl" >&2 && exit 2 ;;
esac
RUN=${SECONDS_RUN:-300}
SPEED=${SPEED:-60}
METERS=${METERS:-32}
jobs=${MB_JOBS:-$(nproc)}
W=$(mktemp -d "${TMPDIR:-/tmp}/mbfoot.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT

if [ "$LIBC" = glibc ]; then
  echo "== build: MinSizeRel (-Os, as OpenWrt), agent and plugins, in $B"
  cmake -S "$top" -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel -DMB_BUILD_SERVER=OFF \
    -DMB_BUILD_TESTS=OFF -DMB_WERROR=OFF >/dev/null
  cmake --build "$B" -j "$jobs" --target meterbox-agent sim modbus dlt645 gpio >/dev/null
  bcc=(cc)
  deps() { ldd "$1"; }
else
  echo "== build: bench/musl/build.sh (musl, MinSizeRel), agent and plugins, in $B"
  B=$B "$top/bench/musl/build.sh" >"$W/musl-build.log" 2>&1 || { cat "$W/musl-build.log"; exit 1; }
  P=${MB_MUSL_CACHE:-$HOME/.cache/meterbox-musl}/prefix
  # The baseline links the prefix's libraries too, found by the same rpath.
  export PKG_CONFIG_LIBDIR=$P/lib/pkgconfig PKG_CONFIG_PATH=
  bcc=(musl-gcc "-Wl,-rpath,$P/lib")
  deps() { /lib/ld-musl-x86_64.so.1 --list "$1"; }
fi
# nettle too: the agent links it (common/mb_cmdsig.c).
libs=$(pkg-config --libs libconfig sqlite3 json-c libcurl nettle)
# shellcheck disable=SC2046,SC2086
"${bcc[@]}" -Os -o "$W/baseline" "$top/bench/footprint_baseline.c" $(pkg-config --cflags json-c) \
  -Wl,--no-as-needed $libs -lpthread -ldl

kb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }

echo
echo "== stripped sizes (strip --strip-unneeded)"
mkdir -p "$W/stripped"
total=0
printf '%-22s %10s %9s\n' file bytes KB
for f in agent/meterbox-agent plugins/sim.so plugins/modbus.so plugins/dlt645.so plugins/gpio.so; do
  [ -f "$B/$f" ] || { printf '%-22s %10s\n' "$(basename "$f")" "not built"; continue; }
  s="$W/stripped/$(basename "$f")"
  strip --strip-unneeded -o "$s" "$B/$f"
  n=$(stat -c %s "$s")
  total=$((total + n))
  printf '%-22s %10d %9s\n' "$(basename "$f")" "$n" "$(kb "$n")"
done
strip --strip-unneeded -o "$W/stripped/baseline" "$W/baseline"
printf '%-22s %10d %9s   target 512 KB: %s\n' "agent + plugins" "$total" "$(kb "$total")" \
  "$([ "$total" -lt $((512 * 1024)) ] && echo met || echo MISSED)"
printf '%-22s %10d %9s   (ratio agent+plugins / baseline: %s)\n' "baseline program" \
  "$(stat -c %s "$W/stripped/baseline")" "$(kb "$(stat -c %s "$W/stripped/baseline")")" \
  "$(awk -v a="$total" -v b="$(stat -c %s "$W/stripped/baseline")" 'BEGIN { printf "%.1f", a / b }')"
echo "shared libraries the agent needs (not counted above):"
deps "$B/agent/meterbox-agent" | awk '$3 ~ /^\// { print $3 }' | while read -r l; do
  printf '  %-48s %8s KB\n' "$(basename "$l")" "$(kb "$(stat -L -c %s "$l")")"
done

# conf N FILE STORE [STORE-SETTINGS [TOP-LEVEL]]: N simulated meters on two buses (a meter box
# with two RS-485 lines; one bus for one meter), read every second of real
# time = every minute of simulated time.
conf() {
  local nbus=2
  [ "$1" -gt 1 ] || nbus=1
  {
    echo "gateway = { id = \"gw-footprint\"; };"
    echo "store = { path = \"$3.db\"; ${4:-} };"
    echo "log = { level = \"warning\"; };"
    echo "${5:-}"
    echo "buses = ( { name = \"b0\"; type = \"none\"; }"
    [ "$nbus" -eq 1 ] || echo ", { name = \"b1\"; type = \"none\"; }"
    echo ");"
    echo "meters = ("
    for i in $(seq 1 "$1"); do
      [ "$i" -gt 1 ] && echo ","
      printf '  { name = "m%d"; plugin = "sim"; bus = "b%d"; address = "%012d"; account = "%d";\n' \
        "$i" $((i % nbus)) "$i" $((1100000000 + i))
      printf '    poll_interval = 1; options = { seed = %d; speed = %d; }; }' "$i" "$SPEED"
    done
    echo ");"
  } >"$2"
}

# status PID KEY: a /proc/PID/status value in kB.
status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# start NAME CONF: run an agent in the foreground mode, in the background.
declare -A pid
start() {
  "$B/agent/meterbox-agent" -f -c "$2" -P "$B/plugins" 2>"$W/$1.log" &
  pid[$1]=$!
  PIDS+=("${pid[$1]}")
}

# https_server: a meterbox-server with TLS on loopback that knows the
# gateway and its meters (a test CA made here); sets UP_SERVER (the server
# group of the agent's config), or leaves it empty without a server build.
UP_SERVER='' SERVER_PID=''
https_server() {
  local sb=${SERVER_B:-$top/build} url gw i
  [ -x "$sb/server/meterbox-server" ] || return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bench-ca" \
    -keyout "$W/ca.key" -out "$W/ca.pem" 2>/dev/null
  # Named "localhost" in a DNS entry: mbedTLS 2.28 (OpenWrt's, and the
  # musl build's) matches no IP address entry, so a certificate for
  # 127.0.0.1 fails verification there ("SSL peer certificate ... not OK").
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$W/server.key" \
    -out "$W/server.csr" 2>/dev/null
  printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n' >"$W/san.ext"
  openssl x509 -req -in "$W/server.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial \
    -days 2 -extfile "$W/san.ext" -out "$W/server.pem" 2>/dev/null
  . "$top/bench/bench_server.sh"
  SERVER_CA=$W/ca.pem
  bench_server "$sb/server/meterbox-server" "$W" \
    "tls = { certificate = \"$W/server.pem\"; key = \"$W/server.key\"; };
limits = { max_body_bytes = 4194304; max_readings = 10000; };"
  url=${URL/127.0.0.1/localhost}
  gw=$(api POST /api/v1/gateways '{"name":"gw-footprint"}' |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  for i in $(seq 1 "$METERS"); do
    api PUT "/api/v1/meters/$(printf %012d "$i")" '{"gateway":"gw-footprint"}' >/dev/null
  done
  UP_SERVER="server = { url = \"$url\"; token = \"$gw\"; ca_file = \"$W/ca.pem\"; interval = 10; $OW_UP };"
}

echo
echo "== resident memory: $METERS meters vs 1 meter vs baseline, ${RUN} s at speed $SPEED" \
  "($(awk -v s="$RUN" -v x="$SPEED" 'BEGIN { printf "%.1f", s * x / 3600 }') h simulated)"
# The OpenWrt package's store settings (openwrt/files/meterbox.config), its
# hour of grouping scaled to the simulated time, and its request size.
OW="commit_every = 2048; commit_interval_ms = $((3600000 / SPEED)); keep_acked_days = 0;"
OW_UP="batch_bytes = 32768;"
conf "$METERS" "$W/n.conf" "$W/n"
conf 1 "$W/one.conf" "$W/one"
conf "$METERS" "$W/ow.conf" "$W/ow" "$OW"
https_server
if [ -n "$UP_SERVER" ]; then
  up_label="agent, $METERS meters, OpenWrt, HTTPS"
  conf "$METERS" "$W/up.conf" "$W/up" "$OW" "$UP_SERVER"
else
  # no server build: uploads every 10 s to a closed local port, so every
  # one fails and backs off (no TLS session)
  up_label="agent, $METERS meters, closed port"
  conf "$METERS" "$W/up.conf" "$W/up" "$OW" 'server = { url = "http://127.0.0.1:9/"; token = "x"; interval = 10; };'
fi
start n "$W/n.conf"
start one "$W/one.conf"
start ow "$W/ow.conf"
start up "$W/up.conf"
"$W/baseline" "$W/baseline.db" >"$W/baseline.out" &
pid[base]=$!
PIDS+=("${pid[base]}")
sleep "$RUN"
for k in n one ow up base; do
  kill -0 "${pid[$k]}" 2>/dev/null || { echo "$k died early:"; cat "$W/$k.log" 2>/dev/null; exit 1; }
done

# smaps PID: resident and private (dirty: written by this process) kB per
# mapping (library, heap, stacks, anonymous), largest first.
smaps() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6 ? $6 : "[anon]"); sub(".*/", "", name) }
       $1 == "Rss:" { rss[name] += $2 }
       $1 == "Private_Dirty:" { priv[name] += $2 }
       END { for (n in rss) if (rss[n] > 0) printf "%d %d %s\n", rss[n], priv[n], n }' "/proc/$1/smaps" |
    sort -rn
}
smaps "${pid[n]}" >"$W/smaps-n"
smaps "${pid[up]}" >"$W/smaps-up"
smaps "${pid[base]}" >"$W/smaps-base"
declare -A hwm rss anon file
for k in n one ow up base; do
  hwm[$k]=$(status "${pid[$k]}" VmHWM)
  rss[$k]=$(status "${pid[$k]}" VmRSS)
  anon[$k]=$(status "${pid[$k]}" RssAnon)
  file[$k]=$(status "${pid[$k]}" RssFile)
done
kill -TERM "${pid[@]}"
for i in $(seq 1 100); do
  alive=0
  for k in n one ow up base; do kill -0 "${pid[$k]}" 2>/dev/null && alive=1; done
  [ $alive = 1 ] || break
  sleep 0.1
done
[ "$alive" = 0 ] || echo "WARNING: a process did not stop within 10 s of SIGTERM (killed)"
# the agents (all but the server, which cleanup still has to end)
PIDS=("${pid[@]}" ${SERVER_PID:+"$SERVER_PID"})
# What the uploading agent delivered: readings the server stored.
stored=0
[ -z "$UP_SERVER" ] ||
  stored=$(sqlite3 -cmd ".timeout 10000" "$W/server.db" 'SELECT count(*) FROM readings' 2>/dev/null || echo 0)
if [ -n "$UP_SERVER" ] && [ "${stored:-0}" = 0 ]; then
  echo "WARNING: the server stored no reading of the uploading agent; its log:"
  tail -5 "$W/up.log"
  echo "the server's:"
  tail -5 "$W/server.log"
fi

echo "($LIBC)"
row() { printf '%-38s %10s %10s %10s %10s\n' "$@"; }
row process "VmHWM kB" "VmRSS kB" "RssAnon kB" "RssFile kB"
for k in n ow up one base; do
  case $k in
  n) label="agent, $METERS meters" ;;
  ow) label="agent, $METERS meters, OpenWrt store" ;;
  up) label=$up_label ;;
  one) label="agent, 1 meter" ;;
  base) label="baseline program" ;;
  esac
  row "$label" "${hwm[$k]}" "${rss[$k]}" "${anon[$k]}" "${file[$k]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "ratio VmHWM $METERS meters / 1 meter:  $(ratio "${hwm[n]}" "${hwm[one]}")"
echo "ratio VmHWM $METERS meters / baseline: $(ratio "${hwm[n]}" "${hwm[base]}")" \
  "(the agent's own share: $((hwm[n] - hwm[base])) kB)"
echo "target VmHWM < 4096 kB with $METERS meters: $([ "${hwm[n]}" -lt 4096 ] && echo met || echo MISSED)"
echo "target VmHWM <= 4096 kB with $METERS meters uploading ($up_label): $([ "${hwm[up]}" -le 4096 ] && echo met || echo MISSED)" \
  "(readings the server stored: $stored)"
echo
echo "where the $METERS-meter agent's resident memory is (kB, top 20; private = written by it):"
printf '  %7s %8s  %s\n' resident private mapping
head -20 "$W/smaps-n" | awk '{ printf "  %7d %8d  %s\n", $1, $2, $3 }'
echo "the uploading agent's (top 20):"
head -20 "$W/smaps-up" | awk '{ printf "  %7d %8d  %s\n", $1, $2, $3 }'
echo "the baseline program's (top 6):"
head -6 "$W/smaps-base" | awk '{ printf "  %7d %8d  %s\n", $1, $2, $3 }'
