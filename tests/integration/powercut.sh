#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Grouped commits never reuse a sequence number anyone saw (issue 16,
# docs/durability.md).  An agent with routine readings grouped (up to 1000
# readings or 1.5 s in memory) uploads every second to a server while its
# meters are read every 50 ms, now and then a read fails (a meter_fault
# event, which is synced at once with every reading that waited).  It is
# stopped again and again, alternately by
#   - SIGKILL (a crash: what was committed is in the OS's hands), and
#   - a power cut: the agent runs with tests/faults/powercut_preload.so,
#     which keeps every write SQLite has not synced in the process's memory,
#     so SIGKILL leaves the files as a disk holds them after a cut;
# and started again.  Readings that waited in memory are lost and their
# numbers given out again (the log shows it); since the uploader only reads
# what is on flash, the server never saw them: it never refuses a reading
# as conflicting, and in the end it holds exactly the agent's readings, each
# meter's sequence without a gap.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
CUTS=${MB_CUTS:-8}
[ -e "${MB_POWERCUT:-}" ] || fail "MB_POWERCUT (powercut_preload.so) not set"

server_conf "$T/server.conf"
FIXED=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "s/port = 0;/port = $FIXED;/" "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"
api POST /api/v1/gateways '{"name":"gw-cut","region":"1"}'; expect 201
GW=$(j '["token"]')
for n in 1 2 3; do api PUT /api/v1/meters/00000000000$n '{"gateway":"gw-cut"}'; expect 200; done

meter() {
  echo "{ name = \"m$1\"; plugin = \"sim\"; bus = \"b$(($1 % 2))\"; address = \"00000000000$1\";
          poll_interval = 0.05; options = { seed = $1; speed = 60; fault_timeout_every = 41;
          state_file = \"$T/m$1.state\"; }; }"
}
cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-cut"; };
store = { path = "$T/agent.db"; commit_every = 1000; commit_interval_ms = 1500; };
server = { url = "$URL"; token = "$GW"; interval = 1; backoff_max = 1; timeout = 5; };
buses = ( { name = "b0"; type = "none"; timeout_ms = 200; }, { name = "b1"; type = "none"; timeout_ms = 200; } );
meters = ( $(meter 1), $(meter 2), $(meter 3) );
CONF
"$MB_AGENT" -t -c "$T/agent.conf" >/dev/null || fail "config rejected"

adb() { sql "$T/agent.db" "$1" 2>/dev/null; }
sdb() { sqlv "$1"; }
# last_seq LOG: the newest seq m1 got in that run (debug log), or 0.
seqs() { sed -n 's/.*meter m1: seq \([0-9]*\) stored.*/\1/p' "$1"; }
last_seq() { seqs "$1" | tail -1 | grep . || echo 0; }
first_seq() { seqs "$1" | head -1 | grep . || echo 0; }

reissued=0
for i in $(seq 1 "$CUTS"); do
  on_server=$(sdb "SELECT count(*) FROM readings")
  if [ $((i % 2)) = 1 ]; then
    how="power cut"
    LD_PRELOAD=$MB_POWERCUT ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
      "$MB_AGENT" -f -v -c "$T/agent.conf" >"$T/log.$i" 2>&1 &
  else
    how="SIGKILL"
    "$MB_AGENT" -f -v -c "$T/agent.conf" >"$T/log.$i" 2>&1 &
  fi
  AGENT_PID=$!
  PIDS+=("$AGENT_PID")
  uploaded() { [ "$(sdb "SELECT count(*) FROM readings")" -gt "$on_server" ]; }
  wait_for 30 uploaded || fail "run $i ($how): nothing uploaded: $(tail -5 "$T/log.$i")"
  sleep "$((RANDOM % 2)).$((RANDOM % 10))"
  kill -KILL "$AGENT_PID"
  wait "$AGENT_PID" 2>/dev/null || true
  if [ "$i" -gt 1 ] && [ "$(first_seq "$T/log.$i")" -le "$(last_seq "$T/log.$((i - 1))")" ]; then
    reissued=$((reissued + 1))
  fi
  echo "# $how $i/$CUTS: m1 from seq $(first_seq "$T/log.$i") to $(last_seq "$T/log.$i"), server $(sdb "SELECT count(*) FROM readings") readings"
done
[ "$(adb 'PRAGMA integrity_check')" = ok ] || fail "agent.db damaged"
pass "agent.db intact after $CUTS crashes and power cuts"

# Drain: the agent once more, polling nothing, until the server has it all.
sed 's/poll_interval = 0.05;/poll_interval = 0;/' "$T/agent.conf" >"$T/drain.conf"
start_agent "$T/drain.conf" "$T/log.drain"
drained() {
  local n id
  for n in 1 2 3; do
    id="(SELECT id FROM meters WHERE address = '00000000000$n')"
    [ "$(sdb "SELECT coalesce(max(seq), 0) FROM readings WHERE meter_id = $id")" = \
      "$(adb "SELECT max(seq) FROM readings WHERE meter_id = $id")" ] || return 1
  done
}
wait_for 60 drained || fail "the agent's readings did not all reach the server"
kill -TERM "$AGENT_PID"; rc=0; wait "$AGENT_PID" || rc=$?
[ "$rc" = 0 ] || fail "the agent did not stop cleanly (exit $rc): $(tail -5 "$T/log.drain")"

! grep -l "conflict\|already stored with other values" "$T"/log.* ||
  fail "the server refused a reading as conflicting: a sequence number was reused"
[ "$(adb "SELECT count(*) FROM events WHERE type = 'upload_refused'")" = 0 ] ||
  fail "uploads refused: $(adb "SELECT reason FROM events WHERE type = 'upload_refused' LIMIT 3")"
for n in 1 2 3; do
  id="(SELECT id FROM meters WHERE address = '00000000000$n')"
  q="SELECT seq || ' ' || ts || ' ' || import_wh FROM readings WHERE meter_id = $id ORDER BY seq"
  diff <(adb "$q") <(sdb "$q") >"$T/diff" || fail "meter $n: the agent's and the server's readings differ: $(head -5 "$T/diff")"
  [ "$(sdb "SELECT CASE WHEN count(*) = max(seq) AND min(seq) = 1 THEN 1 ELSE 0 END FROM readings WHERE meter_id = $id")" = 1 ] ||
    fail "meter $n: a gap in the server's sequence"
done
[ "$(adb "SELECT count(*) FROM events WHERE type = 'meter_fault'")" -gt 0 ] || fail "no meter_fault event: nothing was synced at once"
[ "$reissued" -gt 0 ] || fail "no run gave out a number again: grouping lost nothing (the test shows nothing)"
pass "$reissued of $((CUTS - 1)) restarts gave out again numbers that were only in memory; the server never saw a number twice and holds exactly the agent's readings"
