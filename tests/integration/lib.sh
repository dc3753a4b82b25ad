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
