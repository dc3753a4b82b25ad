# SPDX-License-Identifier: Apache-2.0
# Helpers for the server integration tests (sourced after lib.sh).  ctest sets
#   MB_SERVER  path of meterbox-server
#   MB_CTL     path of meterboxctl
#   MB_SRC     the source tree
#   MB_DB_BACKEND  "pg" to run against a throwaway PostgreSQL (pg_lib.sh);
#                  default SQLite
export TZ=Asia/Shanghai

if [ "${MB_DB_BACKEND:-sqlite}" = pg ]; then
  . "$(dirname "${BASH_SOURCE[0]}")/pg_lib.sh"
  trap 'cleanup; pg_stop' EXIT
  pg_start
fi

# db_conf DIR: the database line of a config whose store stands in DIR
# (DIR/server.db for SQLite, a database of its own for PostgreSQL)
db_conf() {
  if [ -n "${PGDIR:-}" ]; then
    pg_createdb "$1"
    echo "database = { backend = \"postgresql\"; conninfo = \"$(pg_conninfo "$1")\"; };"
  else
    echo "database = { path = \"$1/server.db\"; };"
  fi
}

# dbq DIR QUERY: run QUERY on DIR's store; one row per line, columns by |
dbq() {
  if [ -n "${PGDIR:-}" ]; then pg_sql "$1" "$2"; else sqlite3 -batch -noheader -cmd ".timeout 10000" "$1/server.db" "$2"; fi
}

# server_conf FILE: a config on a free port (0) with a temp db.
server_conf() {
  cat >"$1" <<CONF
listen = { address = "127.0.0.1"; port = 0; threads = 4; };
$(db_conf "$T")
timezone = "Asia/Shanghai";
limits = { max_body_bytes = 65536; max_readings = 1000; requests_per_minute = ${MB_RPM:-0}; };
settlement = { enabled = false; };
CONF
}

# start_server CONF LOG: start in the foreground mode, in the background, and
# wait until it listens; sets SERVER_PID, PORT, URL.
start_server() {
  local before
  before=$(grep -c "listening on" "$2" 2>/dev/null || true)
  "$MB_SERVER" -f -c "$1" >>"$2" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  SERVER_LOG=$2 SERVER_BEFORE=${before:-0}
  listening() {
    local n
    n=$(grep -c "listening on" "$SERVER_LOG" 2>/dev/null) || true
    [ "${n:-0}" -gt "$SERVER_BEFORE" ]
  }
  wait_for 30 listening || fail "server did not start: $(cat "$2")"
  PORT=$(grep -o 'listening on https\?://127.0.0.1:[0-9]*' "$2" | tail -1 | sed 's/.*://')
  URL="http://127.0.0.1:$PORT"
  grep -q 'listening on https' "$2" && URL="https://127.0.0.1:$PORT"
  export METERBOX_URL=$URL
}

# server_with_gateway NAME: a server on a fresh config, started, an admin
# token in ADMIN, gateway NAME registered and its token in GW.
server_with_gateway() {
  server_conf "$T/server.conf"
  ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
  start_server "$T/server.conf" "$T/server.log"
  api POST /api/v1/gateways "{\"name\":\"$1\"}"; expect 201; GW=$(j '["token"]')
}

stop_server() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || fail "server did not stop cleanly"
}

# api METHOD PATH [BODY|@FILE] [TOKEN]: the body goes to $T/resp, the status to $CODE.
api() {
  local method=$1 path=$2 body=${3:-} tok=${4-$ADMIN}
  local args=(-s -o "$T/resp" -w '%{http_code}' -X "$method")
  [ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
  [ -n "$body" ] && args+=(--data-binary "$body")
  CODE=$(curl "${args[@]}" "$URL$path")
}

# expect CODE: the last api call answered CODE.
expect() {
  [ "$CODE" = "$1" ] || fail "expected HTTP $1, got $CODE: $(cat "$T/resp")"
}

# j EXPR [FILE]: a value from a JSON file (default the last response), as
# Python sees it: j '["meters"][0]["balance_fen"]'.
j() {
  /usr/bin/python3 -c 'import json,sys
v = eval("json.load(open(sys.argv[2]))" + sys.argv[1])
print(json.dumps(v) if isinstance(v, (dict, list)) or v is None or isinstance(v, bool) else v)' "$1" "${2:-$T/resp}"
}

# wait_job ID [URL [TOKEN [OUT]]]: poll month-close job ID until it has
# ended (bounded: ten minutes); its last state (counts included) in OUT,
# default $T/resp.
wait_job() {
  local id=$1 url=${2:-$URL} tok=${3:-$ADMIN} out=${4:-$T/resp} state
  for _ in $(seq 1 6000); do
    curl -s -o "$out" -H "Authorization: Bearer $tok" "$url/api/v1/settlements/$id" || true
    state=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("state", ""))' "$out" 2>/dev/null) || state=
    case $state in done | failed) return 0 ;; esac
    sleep 0.1
  done
  return 1
}

# close_month MONTH: start the close of MONTH (202 and a job) and wait for
# the job to end: its counts and state in $T/resp, CODE 200.
close_month() {
  api POST /api/v1/settlements "{\"month\":\"$1\"}"; expect 202
  wait_job "$(j '["job"]')" || fail "the close job of $1 did not end: $(cat "$T/resp")"
  CODE=200
}

# local midnight of a date in the test zone, as UTC seconds
at() { date -d "$1" +%s; }

sqlv() { dbq "$T" "$1"; }

# signed_gateway NAME ADDRESS...: a server that signs commands (a fresh key),
# started; an admin token in ADMIN; gateway NAME, its token in GW and its
# command key in KEY; each meter ADDRESS bound to it.
signed_gateway() {
  local name=$1 a; shift
  head -c 32 /dev/urandom >"$T/signing.key"
  server_conf "$T/server.conf"
  echo "commands = { signing_key_file = \"$T/signing.key\"; };" >>"$T/server.conf"
  ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
  start_server "$T/server.conf" "$T/server.log"
  api POST /api/v1/gateways "{\"name\":\"$name\",\"region\":\"1\"}"; expect 201
  GW=$(j '["token"]'); KEY=$(j '["command_key"]')
  for a in "$@"; do
    api PUT "/api/v1/meters/$a" "{\"gateway\":\"$name\"}"; expect 200
  done
}

# start_gpio_agent: check and start the agent of $T/agent.conf (log
# $T/agent.log) with the GPIO chip replaced at the libgpiod edge
# (tests/plugins/fake_gpiod.c: line states in $T/gpio.state); wait until
# the server holds readings of N meters (default 2).
start_gpio_agent() {
  "$MB_AGENT" -t -c "$T/agent.conf" >/dev/null 2>"$T/err" || fail "config rejected: $(cat "$T/err")"
  export MB_FAKE_GPIO_STATE="$T/gpio.state"
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
  LD_PRELOAD="$MB_TEST_PLUGIN_DIR/fake_gpiod.so" start_agent "$T/agent.conf" "$T/agent.log"
  wait_for 30 meters_seen "${1:-2}" || fail "no readings at the server: $(tail -5 "$T/agent.log")"
}
meters_seen() { [ "$(sqlv "SELECT count(DISTINCT meter_id) FROM readings")" = "$1" ]; }

# state_at_server ID STATE: command ID stands in STATE at the server
state_at_server() { [ "$(sqlv "SELECT state FROM commands WHERE id = $1")" = "$2" ]; }
