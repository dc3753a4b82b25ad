#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Disk full on both sides (issue 10).  server.db and agent.db live on small
# tmpfs mounts of their own (root only: skipped, 77, where mount is not
# allowed) while the meters, top-ups and month closes of crash_lib.sh run.
#  1. The server's disk fills up: it keeps running and answering reads,
#     refuses writes with 507 and a JSON error "storage_full" (uploads,
#     top-ups), stores nothing partial, and takes everything once there is
#     space again.
#  2. The agent's disk fills up: it keeps running and polling and logs every
#     reading it could not store (a reading that cannot be committed is not
#     used: the meter's register is cumulative, so the next stored reading
#     carries the energy and the charge); once there is space it stores,
#     decides and uploads again, sequence numbers without a gap.
# Then the crash harness's invariants (nothing lost, nothing doubled).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
. "$(dirname "$0")/crash_lib.sh"

mkdir -p "$T/sdisk" "$T/adisk"
mount -t tmpfs -o size=6m tmpfs "$T/sdisk" 2>/dev/null || { echo "SKIP: cannot mount a tmpfs (needs root)"; exit 77; }
mount -t tmpfs -o size=6m tmpfs "$T/adisk" || { umount "$T/sdisk"; echo "SKIP: cannot mount a tmpfs"; exit 77; }
unmount() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  sleep 0.2
  umount -l "$T/sdisk" "$T/adisk" 2>/dev/null || true
  cleanup
}
trap unmount EXIT

crash_setup
stored() { [ "$(crash_adb 'SELECT count(*) FROM readings')" -gt 0 ] 2>/dev/null; }
wait_for 20 stored || fail "the agent stores nothing"
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" || fail "agent stop"
stop_server
mv "$T"/server.db* "$T/sdisk/"
mv "$T"/agent.db* "$T/adisk/"
sed -i "s|$T/server.db|$T/sdisk/server.db|" "$T/server.conf"
sed -i "s|$T/agent.db|$T/adisk/agent.db|" "$T/agent.conf"
start_server "$T/server.conf" "$T/server.log"
start_agent "$T/agent.conf" "$T/agent.log"
crash_workers_start
sleep 2

fill() { dd if=/dev/zero of="$1/filler" bs=16k 2>/dev/null || true; }
CRASH_SDB=$T/sdisk/server.db CRASH_ADB=$T/adisk/agent.db

# 1. The server's disk.
fill "$T/sdisk"
refused() { grep -q "HTTP 507" "$T/agent.log"; }
wait_for 60 refused || fail "the agent never saw 507: $(grep 'sync' "$T/agent.log" | tail -3)"
kill -0 "$SERVER_PID" || fail "the server died with its disk full: $(tail "$T/server.log")"
grep -q '"storage_full"' "$T/agent.log" || fail "the 507 carries no storage_full error: $(grep 507 "$T/agent.log" | head -2)"
api POST /api/v1/accounts/C1/topups '{"amount_fen":100,"reference":"FULL-1"}'
expect 507
[ "$(j '["error"]["code"]')" = storage_full ] || fail "top-up on a full disk: $(cat "$T/resp")"
api GET /api/v1/accounts/C1; expect 200
high=$(crash_sdb "SELECT max(seq) FROM readings WHERE meter_id = (SELECT id FROM meters WHERE address = '000000000001')")
pass "server disk full: it answers reads, refuses writes with 507 storage_full and keeps running"
rm -f "$T/sdisk/filler"
# A month close settles each account in a transaction of its own and
# answers 500 with "failed": N when some could not be written (nothing
# partial: each account-month is whole or absent); not yet 507.
[ -e "$T/workers.err" ] && sed -i '/^close: HTTP 500$/d' "$T/workers.err"
api POST /api/v1/accounts/C1/topups '{"amount_fen":100,"reference":"FULL-1"}'; expect 201
echo "FULL-1 C1 100" >>"$T/topups.ok"
caught_up() {
  [ "$(crash_sdb "SELECT max(seq) FROM readings WHERE meter_id = (SELECT id FROM meters WHERE address = '000000000001')")" -gt "$high" ]
}
wait_for 60 caught_up || fail "uploads did not resume after the server's disk got space"
pass "with space again, the server takes the uploads and the refused top-up once"

# 2. The agent's disk.
fill "$T/adisk"
full() { grep -q "disk is full" "$T/agent.log"; }
wait_for 60 full || fail "the agent did not report its full disk: $(tail -5 "$T/agent.log")"
n0=$(grep -c "disk is full" "$T/agent.log")
sleep 2
kill -0 "$AGENT_PID" || fail "the agent died with its disk full: $(tail "$T/agent.log")"
[ "$(grep -c "disk is full" "$T/agent.log")" -gt "$n0" ] || fail "the agent stopped polling with its disk full"
before=$(crash_adb "SELECT count(*) FROM readings")
pass "agent disk full: it keeps running and polling and logs what it cannot store"
rm -f "$T/adisk/filler"
grew() { [ "$(crash_adb "SELECT count(*) FROM readings")" -gt "$((before + 10))" ]; }
wait_for 60 grew || fail "the agent did not store readings again after its disk got space"
pass "with space again, the agent stores readings again"

crash_workers_stop
crash_check
