#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# agent.db lost (a new SD card, a wiped overlay): the agent starts on a new
# store while the server holds its meter's readings up to some seq, its
# events up to some id and a command it carried out (issue 16,
# docs/durability.md, Store loss).
#   - uploads are accepted at once: the new readings continue after the
#     server's high-water seq, never refused as conflicts;
#   - the new store's events reach the server (their ids continue after the
#     server's, instead of being taken for ones it has);
#   - the signed command the old store carried out, replayed with its valid
#     signature, is refused: the server told the new store the last command
#     it saw completed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
PY=/usr/bin/python3

head -c 32 /dev/urandom >"$T/signing.key"
server_conf "$T/server.conf"
echo "commands = { signing_key_file = \"$T/signing.key\"; };" >>"$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"
api POST /api/v1/gateways '{"name":"gw-s","region":"1"}'; expect 201
GW=$(j '["token"]'); KEY=$(j '["command_key"]')
api PUT /api/v1/meters/000000000001 '{"gateway":"gw-s"}'; expect 200

cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-s"; };
store = { path = "$T/agent.db"; };
server = { url = "$URL"; token = "$GW"; command_key = "$KEY"; interval = 1; backoff_max = 1; };
buses = ( { name = "b"; type = "none"; } );
meters = ( { name = "m1"; plugin = "sim"; bus = "b"; address = "000000000001"; poll_interval = 0.2;
             options = { seed = 1; speed = 60; state_file = "$T/m1.state"; }; } );
CONF
start_agent "$T/agent.conf" "$T/agent.log"
adb() { sql "$T/agent.db" "$1" 2>/dev/null; }
high() { sqlv "SELECT coalesce(max(seq), 0) FROM readings"; }
above() { [ "$(high)" -gt "$1" ]; }
wait_for 30 above 20 || fail "no uploads: $(tail -5 "$T/agent.log")"

api POST /api/v1/meters/000000000001/commands '{"op":"close","reason":"test"}'; expect 201
CMD=$(j '["id"]')
done_cmd() { api GET /api/v1/meters/000000000001/commands; [ "$(j '["commands"][0]["state"]')" = done ]; }
wait_for 30 done_cmd || fail "command $CMD not carried out: $(tail -5 "$T/agent.log")"
ISSUED=$(adb "SELECT issued_at FROM commands WHERE id = $CMD")
EXPIRES=$(adb "SELECT expires_at FROM commands WHERE id = $CMD")
old_events=$(sqlv "SELECT max(id) FROM events")
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" || fail "agent stop"
H=$(high)
[ "$H" -gt 20 ] && [ "$old_events" -ge 1 ] || fail "set-up: server at seq $H, events up to $old_events"
pass "the old store: the server holds seq 1..$H, events up to $old_events, command $CMD done"

rm -f "$T/agent.db" "$T/agent.db-wal" "$T/agent.db-shm"
start_agent "$T/agent.conf" "$T/agent.log2"
wait_for 30 above $((H + 10)) || fail "uploads of the new store not accepted: server at seq $(high): $(grep -i 'refused\|409' "$T/agent.log2" | tail -3)"
# 409 as a word: the server's port (127.0.0.1:40985) is no refusal
! grep -qiE 'refused|conflict|\b409\b' "$T/agent.log2" || fail "the new store's uploads were refused: $(grep -iE 'refused|conflict|\b409\b' "$T/agent.log2" | head -3)"
[ "$(sqlv "SELECT count(*) FROM readings WHERE seq > $H")" -ge 10 ] || fail "no reading after seq $H"
[ "$(sqlv "SELECT count(*) FROM (SELECT seq FROM readings GROUP BY seq HAVING count(*) > 1) AS d")" = 0 ] || fail "a seq stored twice"
pass "after agent.db was lost, uploads were accepted at once, after seq $H"

# The old command again, with its valid signature (as a captured answer
# would carry it), through --apply.
$PY - "$CMD" "$ISSUED" "$EXPIRES" "$KEY" >"$T/replay.json" <<'PY'
import hashlib, hmac, json, sys
cid, issued, expires, key = sys.argv[1:]
c = {"id": int(cid), "op": "close", "reason": "test", "by": "root", "issued_at": int(issued),
     "expires_at": int(expires)}
msg = "v1\ngw-s\n%s\n000000000001\nclose\n%s\n%s" % (cid, issued, expires)
c["sig"] = hmac.new(key.encode(), msg.encode(), hashlib.sha256).hexdigest()
print(json.dumps({"meters": [{"meter": "000000000001", "account": None, "commands": [c]}]}))
PY
"$MB_AGENT" -c "$T/agent.conf" --apply "$T/replay.json" >/dev/null || fail "--apply failed"
rejected() { [ "$(adb "SELECT count(*) FROM events WHERE type = 'command_rejected' AND reason LIKE 'replayed%'")" = 1 ]; }
wait_for 10 rejected || fail "the replayed command was not refused: $(adb "SELECT type, reason FROM events")"
sleep 1
[ "$(adb "SELECT count(*) FROM events WHERE type = 'command_result'")" = 0 ] || fail "the old command ran again"
[ "$(adb "SELECT count(*) FROM commands")" = 0 ] || fail "the old command was stored to run"
pass "a signed command the old store carried out was refused when replayed"

arrived() { [ "$(sqlv "SELECT count(*) FROM events WHERE type = 'command_rejected' AND id > $old_events")" -ge 1 ]; }
wait_for 20 arrived || fail "the new store's event did not reach the server: $(sqlv "SELECT id, type FROM events ORDER BY id DESC LIMIT 3")"
pass "the new store's events reached the server, numbered after its $old_events"
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" || fail "agent stop"
