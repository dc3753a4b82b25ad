# SPDX-License-Identifier: Apache-2.0
# A meterbox-server on loopback for the agent benchmarks to upload to
# (sourced by bench_agent.sh, footprint.sh and footprint_writes.sh; the
# server benchmarks start theirs with bench_lib.sh, which also sets up a
# store for them).

# bench_server SERVER DIR [CONF]: runs SERVER (a meterbox-server binary) in
# the background on a free port of 127.0.0.1, two threads, its store,
# config and log in DIR, the settlement off, with the CONF lines (tls,
# limits) added to its config.  Appends its pid to PIDS (the caller's
# cleanup ends it) and sets SERVER_PID, ADMIN (a root token) and URL
# ("http://127.0.0.1:PORT", or https with a tls group).
bench_server() {
  local bin=$1 dir=$2
  cat >"$dir/server.conf" <<CONF
listen = { address = "127.0.0.1"; port = 0; threads = 2; };
database = { path = "$dir/server.db"; };
${3:-}
settlement = { enabled = false; };
log = { level = "notice"; };
CONF
  ADMIN=$("$bin" -c "$dir/server.conf" --create-token root)
  "$bin" -f -c "$dir/server.conf" >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 1 100); do grep -q "listening on" "$dir/server.log" && break; sleep 0.1; done
  URL=$(grep -o 'listening on https\?://127.0.0.1:[0-9]*' "$dir/server.log" | sed 's/listening on //')
}

# api METHOD PATH BODY: the server's answer to ADMIN (curl fails on 4xx and
# 5xx); over https it trusts SERVER_CA.
api() {
  curl -sf ${SERVER_CA:+--cacert "$SERVER_CA"} -X "$1" -H "Authorization: Bearer $ADMIN" \
    --data-binary "$3" "$URL$2"
}
