#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Relay commands are signed per gateway (docs/security.md): the agent runs a
# command the server signed for it, once, and refuses and records a command
# that is unsigned, forged, signed for another gateway, replayed with an
# older counter, expired, or for a meter it does not have.  Balance
# snapshots are signed with the same key: the agent takes the server's, and
# refuses one that is unsigned, altered, or older than the one in force.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
PY=/usr/bin/python3

head -c 32 /dev/urandom >"$T/signing.key"
server_conf "$T/server.conf"
echo "commands = { signing_key_file = \"$T/signing.key\"; };" >>"$T/server.conf"
"$MB_SERVER" -t -c "$T/server.conf" >/dev/null || fail "config with a signing key rejected"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"
api POST /api/v1/gateways '{"name":"gw-a","region":"1"}'; expect 201
GW=$(j '["token"]'); KEY_A=$(j '["command_key"]')
api POST /api/v1/gateways '{"name":"gw-b","region":"1"}'; expect 201
KEY_B=$(j '["command_key"]')
[ ${#KEY_A} = 64 ] && [ "$KEY_A" != "$KEY_B" ] || fail "no per-gateway command key: $KEY_A / $KEY_B"
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
api POST /api/v1/accounts '{"number":"1","holder":"H","region":"1","mode":"prepaid"}'; expect 201
api PUT /api/v1/accounts/1/tariff '{"tariff":"cn-bj-residential","effective":"2020-01-01"}'; expect 200
api POST /api/v1/accounts/1/topups '{"amount_fen":100000,"reference":"P1"}'; expect 201
api PUT /api/v1/meters/000000000001 '{"gateway":"gw-a","account":"1"}'; expect 200
api PUT /api/v1/meters/000000000002 '{"gateway":"gw-b"}'; expect 200
# A command for gw-b's meter takes an id gw-a never sees: the out-of-order
# case below replays that older counter against gw-a.
api POST /api/v1/meters/000000000002/commands '{"op":"trip","reason":"other gateway"}'; expect 201
OLDER=$(j '["id"]')


cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-a"; };
timezone = "Asia/Shanghai";
store = { path = "$T/agent.db"; };
server = { url = "$URL"; token = "$GW"; command_key = "$KEY_A"; interval = 1; backoff_max = 1; };
buses = ( { name = "b"; type = "none"; } );
meters = ( { name = "m1"; plugin = "sim"; bus = "b"; address = "000000000001"; poll_interval = 0.3; } );
CONF
start_agent "$T/agent.conf" "$T/agent.log"
adb() { sql "$T/agent.db" "$1" 2>/dev/null; }

api POST /api/v1/meters/000000000001/commands '{"op":"trip","reason":"test"}'; expect 201
CMD=$(j '["id"]')
done_cmd() { [ "$(adb "SELECT state FROM commands WHERE id = $CMD")" = done ]; }
wait_for 30 done_cmd || fail "signed command not run: $(tail -5 "$T/agent.log")"
api GET /api/v1/meters/000000000001/commands
state() { api GET /api/v1/meters/000000000001/commands; [ "$(j '["commands"][0]["state"]')" = done ]; }
wait_for 20 state || fail "server never heard the result: $(cat "$T/resp")"
pass "a command the server signed for this gateway runs and reports done"

# answer ID OP ISSUED EXPIRES KEY|none [METER]: a server answer with one
# command, signed with KEY as the server would.
answer() {
  $PY - "$@" >"$T/answer.json" <<'PY'
import hashlib, hmac, json, sys
cid, op, issued, expires, key = sys.argv[1:6]
meter = sys.argv[6] if len(sys.argv) > 6 else "000000000001"
c = {"id": int(cid), "op": op, "reason": "r", "by": "x", "issued_at": int(issued),
     "expires_at": int(expires)}
if key != "none":
    msg = "v1\ngw-a\n%s\n%s\n%s\n%s\n%s" % (cid, meter, op, issued, expires)
    c["sig"] = hmac.new(key.encode(), msg.encode(), hashlib.sha256).hexdigest()
print(json.dumps({"meters": [{"meter": meter, "account": None, "commands": [c]}]}))
PY
  "$MB_AGENT" -c "$T/agent.conf" --apply "$T/answer.json" >/dev/null || fail "--apply failed"
}
rejected() { adb "SELECT count(*) FROM events WHERE type = 'command_rejected' AND reason LIKE '%$1%'"; }
now=$(date +%s); later=$((now + 600))

answer $((CMD + 100)) close $now $later none
[ "$(rejected unsigned)" = 1 ] || fail "an unsigned command was not refused"
answer $((CMD + 101)) close $now $later "$(printf '%064d' 0)"
[ "$(rejected "bad signature")" = 1 ] || fail "a forged command was not refused"
answer $((CMD + 102)) close $now $later "$KEY_B"
[ "$(rejected "bad signature")" = 2 ] || fail "a command signed for gw-b was not refused"
answer $((CMD + 103)) close $((now - 7200)) $((now - 3600)) "$KEY_A"
[ "$(rejected expired)" = 1 ] || fail "an expired command was not refused"
answer "$OLDER" close $now $later "$KEY_A"
[ "$(rejected "out of order")" = 1 ] || fail "an older counter was not refused"
answer $((CMD + 104)) close $now $later "$KEY_A" 000000000099
[ "$(rejected "does not have")" = 1 ] || fail "a command for a foreign meter was not recorded"
answer "$CMD" trip "$(adb "SELECT issued_at FROM commands WHERE id = $CMD")" \
  "$(adb "SELECT expires_at FROM commands WHERE id = $CMD")" "$KEY_A"
sleep 1
[ "$(adb "SELECT count(*) FROM events WHERE type = 'command_result'")" = 1 ] || fail "a replayed command ran again"
[ "$(adb "SELECT count(*) FROM commands")" = 1 ] || fail "a refused command was stored to run"
pass "unsigned, forged, other-gateway, expired, out-of-order, foreign-meter and replayed commands are refused and recorded"

refusals_in() { [ "$(sqlv "SELECT count(*) FROM events WHERE type = 'command_rejected'")" -ge 6 ]; }
wait_for 20 refusals_in || fail "the refusals did not reach the server"
pass "the refusals reach the server as events"

# Snapshots: the server's signed ones are taken.
snap() { adb "SELECT json FROM snapshots"; }
signed() { snap | grep -q '"sig"'; }
wait_for 20 signed || fail "no signed snapshot stored: $(snap)"
[ "$(adb "SELECT count(*) FROM events WHERE type = 'snapshot_rejected'")" = 0 ] ||
  fail "the server's snapshot was refused: $(adb "SELECT reason FROM events WHERE type = 'snapshot_rejected'")"
OLD_SNAP=$(snap)
newer() { [ "$(snap | $PY -c 'import json,sys; print(json.load(sys.stdin)["signed_at"])')" -gt \
          "$(echo "$OLD_SNAP" | $PY -c 'import json,sys; print(json.load(sys.stdin)["signed_at"])')" ]; }
wait_for 20 newer || fail "no newer snapshot"
pass "the server's signed balance snapshots are taken"

# apply_snap EDIT: the snapshot in force, changed by the Python expression
# EDIT on e, applied as a server answer.
apply_snap() {
  snap | $PY -c "import json,sys; e = json.load(sys.stdin); $1; print(json.dumps({'meters': [e]}))" >"$T/snap.json"
  "$MB_AGENT" -c "$T/agent.conf" --apply "$T/snap.json" >/dev/null || fail "--apply failed"
}
srej() { adb "SELECT count(*) FROM events WHERE type = 'snapshot_rejected' AND reason LIKE '%$1%'"; }
apply_snap "e['balance_fen'] = 987654321"
[ "$(srej "bad signature")" = 1 ] || fail "an altered balance was not refused"
apply_snap "e.pop('sig')"
[ "$(srej unsigned)" = 1 ] || fail "an unsigned snapshot was not refused"
apply_snap "e['thresholds']['credit_limit_fen'] = 10**9"
[ "$(srej "bad signature")" = 2 ] || fail "an altered threshold was not refused"
echo "$OLD_SNAP" | $PY -c "import json,sys; print(json.dumps({'meters': [json.load(sys.stdin)]}))" >"$T/old.json"
"$MB_AGENT" -c "$T/agent.conf" --apply "$T/old.json" >/dev/null || fail "--apply failed"
[ "$(srej replayed)" = 1 ] || fail "an older signed snapshot was not refused"
snap | grep -q 987654321 && fail "the altered balance was stored"
pass "altered, unsigned and replayed snapshots are refused and recorded"
