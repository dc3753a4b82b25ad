#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Network faults between the agent and the server (issue 10): the agent
# talks to the server through faultproxy.py, which refuses connections,
# stalls, cuts a request mid-body, cuts the answer after the server did the
# work, trickles, and delivers each request twice, each for a few seconds
# while the meters, top-ups and month closes of crash_lib.sh run.  Then the
# crash harness's invariants: every reading the agent stored is on the
# server once with the same values, events once, balance == ledger, relays
# where the last decision left them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
. "$(dirname "$0")/crash_lib.sh"

crash_setup
echo pass >"$T/mode"
/usr/bin/python3 "$MB_SRC/tests/integration/faultproxy.py" "$CRASH_PORT" "$T/mode" "$T/proxy.port" \
  "$T/proxy.log" 2>"$T/proxy.err" &
PIDS+=($!)
wait_for 10 test -s "$T/proxy.port" || fail "proxy did not start: $(cat "$T/proxy.err")"
PROXY=$(cat "$T/proxy.port")
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" || fail "agent stop"
sed -i "s|url = \"$URL\"|url = \"http://127.0.0.1:$PROXY\"|; s/timeout = 5;/timeout = 3;/" "$T/agent.conf"
start_agent "$T/agent.conf" "$T/agent.log"
crash_workers_start

seen() { grep -q "^$1 POST /api/v1/readings" "$T/proxy.log"; }
for m in refuse stall reset_request reset_response trickle duplicate; do
  echo pass >"$T/mode"; sleep 2
  echo "$m" >"$T/mode"
  case $m in
  refuse) sleep 4; grep -q "Connection refused\|Couldn't connect" "$T/agent.log" || fail "no refused connection seen by the agent" ;;
  *) wait_for 20 seen "$m" || fail "mode $m: no request went through it" ; sleep 3 ;;
  esac
  kill -0 "$AGENT_PID" || fail "the agent died in mode $m: $(tail "$T/agent.log")"
  echo "# $m: $(grep -c "^$m POST" "$T/proxy.log" || true) uploads faulted"
done
echo pass >"$T/mode"
grep -q "^reset_response POST /api/v1/readings 200 answer cut" "$T/proxy.log" ||
  fail "no upload was cut after the server stored it"
grep -q "^duplicate POST /api/v1/readings 200 200" "$T/proxy.log" ||
  fail "no duplicated upload was acknowledged twice: $(grep ^duplicate "$T/proxy.log" | head -3)"
! grep -q "^duplicate POST .* 409" "$T/proxy.log" || fail "a duplicated upload got 409"
pass "uploads went through refuse, stall, reset mid-body, reset after the work, trickle and duplicate"
crash_workers_stop
crash_check
