#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The agent's life under a service manager (issue 16):
#   1. a SIGHUP whose new configuration loads but whose store cannot open
#      ends the agent with status 2, so procd or systemd start it again,
#      instead of an agent with no buses that goes on telling the service
#      manager it is alive;
#   2. a plugin call that hangs is logged once, not every 200 ms, while
#      the other bus goes on; once the bus has been stuck longer than
#      stall_limit the agent stops sending WATCHDOG=1, so systemd's watchdog
#      restarts it.  A Python listener plays systemd (NOTIFY_SOCKET).
. "$(dirname "$0")/lib.sh"
unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID

# 1. Reload to a store that cannot open.
conf() {
  cat <<CONF
gateway = { id = "gw-life"; };
store = { path = "$1"; };
buses = ( { name = "b"; type = "none"; } );
meters = ( { name = "m1"; plugin = "sim"; bus = "b"; poll_interval = 0.2; } );
CONF
}
conf "$T/agent.db" >"$T/agent.conf"
start_agent "$T/agent.conf" "$T/reload.log"
stored() { [ "$(sql "$T/agent.db" 'SELECT count(*) FROM readings' 2>/dev/null || echo 0)" -ge 1 ]; }
wait_for 20 stored || fail "no reading: $(cat "$T/reload.log")"
conf "$T/no/such/dir/agent.db" >"$T/agent.conf"
"$MB_AGENT" -t -c "$T/agent.conf" >/dev/null || fail "the new configuration must load (only its store fails)"
kill -HUP "$AGENT_PID"
ended() { ! kill -0 "$AGENT_PID" 2>/dev/null; }
wait_for 20 ended || fail "the agent runs on without a store after a failed reload: $(tail -3 "$T/reload.log")"
rc=0
wait "$AGENT_PID" || rc=$?
[ "$rc" = 2 ] || fail "exit status $rc after a reload that cannot run, want 2"
grep -q "no/such/dir/agent.db" "$T/reload.log" || fail "the store's error is not logged: $(tail -3 "$T/reload.log")"
pass "a reload whose store cannot open ends the agent with status 2"

# 2. A hung plugin call.
/usr/bin/python3 - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2] + ".ready", "w").close()
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", "|") + "\n")
PY
PIDS+=($!)
wait_for 10 test -e "$T/notify.log.ready" || fail "listener did not start"
cat >"$T/stuck.conf" <<CONF
gateway = { id = "gw-life"; };
plugins = ( "$MB_TEST_PLUGIN_DIR/testmeter.so" );
store = { path = "$T/stuck.db"; };
stall_limit = 4;
buses = ( { name = "hang"; type = "none"; timeout_ms = 200; },
          { name = "good"; type = "none"; timeout_ms = 200; } );
meters = (
  { name = "hanging"; plugin = "testmeter"; bus = "hang"; poll_interval = 0.2;
    options = { mode = "hang"; hang_ms = 60000; }; },
  { name = "steady"; plugin = "sim"; bus = "good"; poll_interval = 0.2; }
);
CONF
"$MB_AGENT" -t -c "$T/stuck.conf" >/dev/null || fail "config rejected"
NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=1000000 start_agent "$T/stuck.conf" "$T/stuck.log"
wd() { grep -c '^WATCHDOG=1' "$T/notify.log" || true; }
fed() { [ "$(wd)" -ge 2 ]; }
wait_for 20 fed || fail "no WATCHDOG=1 at all: $(cat "$T/notify.log")"
stalled() { grep -q "bus hang: plugin testmeter has been in a call for meter hanging" "$T/stuck.log"; }
wait_for 20 stalled || fail "the stuck call is not reported: $(tail -5 "$T/stuck.log")"
sleep 8 # the stall at about 2 s, the limit at 4 s: now well past it
lines=$(grep -c "in a call for meter hanging" "$T/stuck.log" || true)
[ "$lines" = 1 ] || fail "the stuck call was logged $lines times in 8 s, want once a minute"
pass "a stuck bus is logged once, not every tick"
n=$(wd)
sleep 3
[ "$(wd)" = "$n" ] || fail "WATCHDOG=1 still sent ($n, then $(wd)) with a bus stuck past stall_limit"
grep -q "stall_limit" "$T/stuck.log" || fail "why the watchdog is no longer fed is not logged"
steady() { sql "$T/stuck.db" "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.name = 'steady'" 2>/dev/null || echo 0; }
s0=$(steady)
grew() { [ "$(steady)" -gt "$s0" ]; }
wait_for 20 grew || fail "the other bus stopped"
pass "past stall_limit the watchdog is no longer fed (the service manager restarts the agent); the other bus goes on"
kill -KILL "$AGENT_PID"
