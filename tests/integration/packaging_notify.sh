#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# meterbox-agent speaks the sd_notify protocol (common/mb_notify.c) the way
# systemd's Type=notify with WatchdogSec= expects: READY=1 once started,
# WATCHDOG=1 every WATCHDOG_USEC/2, RELOADING=1 then READY=1 around a SIGHUP
# reload, STOPPING=1 at SIGTERM; to a path socket and to an abstract one
# ('@name'), no watchdog when WATCHDOG_PID names another process, and a bad
# NOTIFY_SOCKET only costs one warning.  A Python listener plays systemd.
. "$(dirname "$0")/lib.sh"
unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID

cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-notify"; };
store = { path = "$T/agent.db"; };
buses = ( { name = "sim0"; type = "none"; } );
meters = ( { name = "m1"; plugin = "sim"; bus = "sim0"; poll_interval = 1; } );
CONF

# listen ADDRESS LOG: receive datagrams on ADDRESS ('@' = abstract), one
# line per message in LOG with its lines joined by '|'.
listen() {
  /usr/bin/python3 - "$1" "$2" <<'PY' &
import os, socket, sys
addr, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
open(log + ".ready", "w").close()
with open(log, "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", "|") + "\n")
PY
  PIDS+=($!)
  wait_for 10 test -e "$2.ready" || fail "listener on $1 did not start"
}

count() { grep -c "^$1" "$2" || true; }
want_at_least() { # N KEY LOG SECONDS
  wait_for "$4" sh -c "[ \$(grep -c '^$2' '$3' || true) -ge $1 ]" ||
    fail "want $1 x $2 within $4 s, got: $(tr '\n' ' ' <"$3")"
}

# stop_agent: SIGTERM, and the agent must exit 0.
stop_agent() {
  kill -TERM "$AGENT_PID"
  local rc=0
  wait "$AGENT_PID" || rc=$?
  [ $rc -eq 0 ] || fail "agent exited $rc: $(tail -5 "$T/agent.log")"
}

# 1. A path socket with a watchdog of 1 s: WATCHDOG=1 about every 0.5 s.
listen "$T/notify.sock" "$T/path.log"
NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=1000000 start_agent "$T/agent.conf" "$T/agent.log"
want_at_least 1 READY=1 "$T/path.log" 20
[ "$(head -1 "$T/path.log")" = READY=1 ] || fail "first message is not READY=1: $(head -1 "$T/path.log")"
pass "READY=1 after start (path socket)"
want_at_least 3 WATCHDOG=1 "$T/path.log" 10
pass "WATCHDOG=1 keeps coming"
before=$(count WATCHDOG=1 "$T/path.log")
sleep 3
after=$(count WATCHDOG=1 "$T/path.log")
# 3 s at one per 0.5 s is 6; the 200 ms main loop stretches each to 0.6 s
# (5), a loaded machine fewer.  One per loop turn would be 15.
[ $((after - before)) -ge 2 ] && [ $((after - before)) -le 9 ] ||
  fail "want about 5-6 WATCHDOG=1 in 3 s (WATCHDOG_USEC/2), got $((after - before))"
pass "WATCHDOG=1 every WATCHDOG_USEC/2 ($((after - before)) in 3 s)"

kill -HUP "$AGENT_PID"
want_at_least 1 'RELOADING=1|MONOTONIC_USEC=' "$T/path.log" 20
want_at_least 2 READY=1 "$T/path.log" 20
grep -A1000 '^RELOADING=1' "$T/path.log" | grep -q '^READY=1' || fail "no READY=1 after RELOADING=1"
pass "SIGHUP: RELOADING=1 (with MONOTONIC_USEC), then READY=1"

stop_agent
want_at_least 1 STOPPING=1 "$T/path.log" 5
pass "SIGTERM: STOPPING=1, exit 0"

# 2. An abstract socket, and a watchdog armed for another process.
name="@meterbox-test-$$-$RANDOM"
listen "$name" "$T/abstract.log"
NOTIFY_SOCKET="$name" WATCHDOG_USEC=200000 WATCHDOG_PID=1 start_agent "$T/agent.conf" "$T/agent.log"
want_at_least 1 READY=1 "$T/abstract.log" 20
pass "READY=1 to an abstract socket ($name)"
sleep 1
[ "$(count WATCHDOG=1 "$T/abstract.log")" -eq 0 ] || fail "WATCHDOG=1 sent although WATCHDOG_PID is not ours"
pass "no WATCHDOG=1 when WATCHDOG_PID names another process"
stop_agent
want_at_least 1 STOPPING=1 "$T/abstract.log" 5

# 3. A NOTIFY_SOCKET nobody listens on: one warning, the agent runs on.
NOTIFY_SOCKET="$T/nobody.sock" WATCHDOG_USEC=200000 start_agent "$T/agent.conf" "$T/agent.log"
sleep 2
kill -0 "$AGENT_PID" 2>/dev/null || fail "agent died with an unreachable NOTIFY_SOCKET"
n=$(grep -c 'cannot tell the service manager' "$T/agent.log" || true)
[ "$n" -eq 1 ] || fail "want one warning for an unreachable NOTIFY_SOCKET, got $n"
stop_agent
pass "unreachable NOTIFY_SOCKET: one warning, the agent runs on"
