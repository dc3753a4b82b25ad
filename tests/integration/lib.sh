# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the integration tests (sourced).  ctest sets:
#   MB_AGENT            path of meterbox-agent
#   MB_PLUGIN_DIR       the built plugins
#   MB_TEST_PLUGIN_DIR  the rule-breaking test plugins
#   MB_SRC              the source tree
set -euo pipefail

T=$(mktemp -d "${TMPDIR:-/tmp}/mbtest.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# ft_clean_stale: remove libfaketime's per-process semaphore and shared
# memory (/dev/shm, named by pid) left by processes that were killed.  A
# later process given the same pid would find them and exit ("shm_open
# failed: File exists"); pids wrap every 32,768 processes, many times in
# one run of the suite.  Call before starting a process under libfaketime.
ft_clean_stale() {
  local f pid
  for f in /dev/shm/faketime_shm_* /dev/shm/faketime_sem_* /dev/shm/sem.faketime_sem_*; do
    [ -e "$f" ] || continue
    pid=${f##*_}
    [ -d "/proc/$pid" ] || rm -f "$f"
  done
}
pass() { echo "ok - $*"; }

# sql DB QUERY: one value per line.
sql() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$1" "$2"; }

# wait_for SECONDS CMD...: poll CMD until it succeeds.
wait_for() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.1
  done
}

# start_agent CONF LOG: run the agent in the foreground mode, in the background.
start_agent() {
  "$MB_AGENT" -f -c "$1" >"$2" 2>&1 &
  AGENT_PID=$!
  PIDS+=("$AGENT_PID")
}

# sim_agent_conf FILE GATEWAY WATTS SPEED [KEY=VALUE...]: write to FILE an
# agent config with no server and one simulated meter m1 on a bus of type
# none, polled every 0.2 s, drawing a flat WATTS with no noise at SPEED times
# real time, so a test can work out each reading's charge; the store is FILE
# with .db for .conf.  The config must pass `meterbox-agent -t`.  KEYs, with
# their defaults: address (000000000001), account (1100000001), start_wh
# (1000000), seed (7), policy (the body of a policy group; none) and options
# (more sim options, e.g. `state_file = "..";`).
sim_agent_conf() {
  local file=$1 gw=$2 w=$3 speed=$4 kv
  local address=000000000001 account=1100000001 start_wh=1000000 seed=7 policy= options=
  shift 4
  for kv; do
    case ${kv%%=*} in
      address | account | start_wh | seed | policy | options) printf -v "${kv%%=*}" %s "${kv#*=}" ;;
      *) fail "sim_agent_conf: unknown key in '$kv'" ;;
    esac
  done
  [ -z "$policy" ] || policy="policy = { $policy };"
  cat >"$file" <<CONF
gateway = { id = "$gw"; };
timezone = "Asia/Shanghai";
store = { path = "${file%.conf}.db"; };
$policy
buses = ( { name = "b"; type = "none"; } );
meters = (
  { name = "m1"; plugin = "sim"; bus = "b"; address = "$address"; account = "$account";
    poll_interval = 0.2;
    options = { profile = "flat"; base_w = $w; peak_w = $w; noise_pct = 0; speed = $speed;
                start_wh = $start_wh; seed = $seed;${options:+ $options} }; }
);
CONF
  "$MB_AGENT" -t -c "$file" >/dev/null || fail "agent config $file rejected"
}

# sim_snapshot CONF BALANCE [PROTECTED] [COMMANDS]: a server answer for the
# sim_agent_conf meter whose reference is the newest reading in CONF's
# store (prepaid, Beijing residential tariff, alarms at 700 and 400 fen,
# trip at 0, reconnect at 200), applied with meterbox-agent --apply.
sim_snapshot() {
  local conf=$1 row seq ts wh
  row=$(sql "${conf%.conf}.db" "SELECT seq, ts, import_wh FROM readings ORDER BY seq DESC LIMIT 1")
  IFS='|' read -r seq ts wh <<<"$row"
  TZ=Asia/Shanghai /usr/bin/python3 - "$MB_SRC/etc/tariffs/beijing-residential.conf" "$seq" "$ts" \
    "$wh" "$2" "${3:-false}" "${4:-[]}" >"$T/answer.json" <<'PY'
import json, sys, time
tariff, seq, ts, wh, bal, prot, cmds = sys.argv[1:]
lt = time.localtime(int(ts))
print(json.dumps({"server_time": int(ts), "meters": [{
  "meter": "000000000001", "account": "1100000001", "mode": "prepaid",
  "protected": prot == "true", "balance_fen": int(bal),
  "ref": {"seq": int(seq), "t": int(ts), "import_wh": int(wh)},
  "tier": {"period_start": 0, "used_wh": 0},
  "acc": {"month": "%04d-%02d" % (lt.tm_year, lt.tm_mon), "lines": []},
  "tariff": {"id": "cn-bj-residential", "hash": "h1", "text": open(tariff).read()},
  "thresholds": {"alarm1_fen": 700, "alarm2_fen": 400, "credit_limit_fen": 0,
                 "reconnect_fen": 200},
  "commands": json.loads(cmds)}]}))
PY
  "$MB_AGENT" -c "$conf" --apply "$T/answer.json" >/dev/null || fail "--apply failed"
}
