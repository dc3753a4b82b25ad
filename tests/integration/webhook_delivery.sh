#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Webhooks against a receiver started here (webhook_receiver.py, loopback):
# events arrive signed (the receiver checks the HMAC), a receiver that
# answers 500 is retried with backoff, across a server restart, until it
# takes the delivery; a receiver that hangs delays neither ingest nor the
# other receivers; a silent gateway and a settlement anomaly are notified.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

SECRET=s3cret-for-the-test-0123456789
mkdir -p "$T/rx"
/usr/bin/python3 "$(dirname "$0")/webhook_receiver.py" "$T/rx" "$SECRET" &
PIDS+=($!)
wait_for 10 test -f "$T/rx/port" || fail "receiver did not start"
RX=http://127.0.0.1:$(cat "$T/rx/port")

server_conf "$T/server.conf"
cat >>"$T/server.conf" <<CONF
webhooks = {
  retry_base = 1; retry_max = 2; max_attempts = 6; timeout = 60; poll_ms = 100;
  gateway_offline_after = 10;
  targets = (
    { name = "sms"; url = "$RX/ok"; secret = "$SECRET";
      events = ["alarm1", "alarm2", "trip", "close", "gateway_offline", "anomaly"]; },
    { name = "flaky"; url = "$RX/flaky"; secret = "$SECRET"; events = ["trip"]; },
    { name = "slow"; url = "$RX/slow"; secret = "$SECRET"; events = ["tamper"]; }
  );
};
CONF
"$MB_SERVER" -t -c "$T/server.conf" >/dev/null || fail "config check"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root)
start_server "$T/server.conf" "$T/server.log"

api POST /api/v1/gateways '{"name":"gw-1","region":"r1"}'; expect 201; GW=$(j '["token"]')
api POST /api/v1/gateways '{"name":"gw-2","region":"r2"}'; expect 201; GW2=$(j '["token"]')
api POST /api/v1/accounts '{"number":"A1","holder":"Zhang San"}'; expect 201
api PUT /api/v1/meters/M1 '{"gateway":"gw-1","account":"A1"}'; expect 200
api PUT /api/v1/meters/M2 '{"gateway":"gw-2"}'; expect 200
api POST /api/v1/accounts/A1/topups '{"amount_fen":1234,"reference":"P1"}'; expect 201
NOW=$(date +%s)
log() { cat "$T/rx/log" 2>/dev/null || true; }
count() { /usr/bin/python3 -c 'import json,sys
n = 0
for l in open(sys.argv[1]) if __import__("os").path.exists(sys.argv[1]) else []:
    r = json.loads(l); n += all(str(r.get(k)) == v for k, v in (a.split("=", 1) for a in sys.argv[2:]))
print(n)' "$T/rx/log" "$@"; }
has() { [ "$(count "$@")" -ge 1 ]; }

# gw-2 speaks once, then falls silent
api POST /api/v1/readings '{"gateway":"gw-2","readings":[]}' "$GW2"; expect 200

api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"M1\",\"seq\":1,\"ts\":$NOW,\"import_wh\":10}],\"events\":[{\"id\":1,\"meter\":\"M1\",\"ts\":$NOW,\"type\":\"alarm1\",\"reason\":\"low\"},{\"id\":2,\"meter\":\"M1\",\"ts\":$NOW,\"type\":\"thinned\"}]}" "$GW"
expect 200
wait_for 20 has path=/ok event=alarm1 || fail "alarm1 not delivered: $(log)"
[ "$(count path=/ok event=alarm1 sig_ok=True)" = 1 ] || fail "alarm1 signature: $(log)"
line=$(grep '"alarm1"' "$T/rx/log" | head -1)
echo "$line" | grep -q '"account": "A1"' && echo "$line" | grep -q '"balance": "12.34"' \
  && echo "$line" | grep -q '"delivery": "event:gw-1:1"' && echo "$line" | grep -q 'Please top up' \
  || fail "alarm1 body: $line"
# the same batch again: no second notification
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"events\":[{\"id\":1,\"meter\":\"M1\",\"ts\":$NOW,\"type\":\"alarm1\",\"reason\":\"low\"}]}" "$GW"
expect 200
sleep 1
[ "$(count event=alarm1)" = 1 ] && [ "$(count event=thinned)" = 0 ] || fail "replayed or unsubscribed event sent: $(log)"
pass "an alarm reaches the SMS hook once, signed (HMAC-SHA256 over timestamp.body), with balance and text"

# a cut-off: the flaky receiver fails twice; the server is restarted after
# the first failure; the delivery still arrives, the same one.
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"events\":[{\"id\":3,\"meter\":\"M1\",\"ts\":$NOW,\"type\":\"trip\",\"reason\":\"credit limit\"}]}" "$GW"
expect 200
wait_for 20 has path=/flaky status=500 || fail "flaky never tried: $(log)"
stop_server
[ "$(sqlv "SELECT state FROM webhook_queue WHERE target = 'flaky'")" = pending ] || fail "not pending after a failure"
start_server "$T/server.conf" "$T/server.log"
wait_for 30 has path=/flaky status=200 || fail "flaky never succeeded: $(log)"
[ "$(count path=/flaky)" = 3 ] || fail "tries: $(count path=/flaky)"
[ "$(count path=/flaky sig_ok=True delivery=event:gw-1:3)" = 3 ] || fail "retries not the same signed delivery"
[ "$(sqlv "SELECT state || ' ' || attempts FROM webhook_queue WHERE target = 'flaky'")" = "sent 3" ] || fail "queue row"
wait_for 10 has path=/ok event=trip || fail "trip to sms"
pass "a receiver answering 500 is retried with backoff, across a restart, until it takes it (3 tries)"

# the slow receiver holds a tamper delivery; meanwhile ingest goes on and the
# SMS hook still gets its close event
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"events\":[{\"id\":4,\"meter\":\"M1\",\"ts\":$NOW,\"type\":\"tamper\"}]}" "$GW"
expect 200
wait_for 20 test -f "$T/rx/slow_blocked" || fail "slow receiver never called"
for s in 2 3 4 5 6 7 8 9 10 11; do
  api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"M1\",\"seq\":$s,\"ts\":$((NOW + s)),\"import_wh\":$((10 + s))}]}" "$GW"
  expect 200
  [ "$(j '["acked"]["readings"][0]["to_seq"]')" = "$s" ] || fail "reading $s not acknowledged"
done
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"events\":[{\"id\":5,\"meter\":\"M1\",\"ts\":$NOW,\"type\":\"close\"}]}" "$GW"
expect 200
wait_for 20 has path=/ok event=close || fail "close not delivered while slow hangs: $(log)"
[ ! -f "$T/rx/release" ] && [ "$(count path=/slow)" = 0 ] || fail "the slow receiver was not still blocked"
[ "$(sqlv "SELECT high_seq FROM meters WHERE address = 'M1'")" = 11 ] || fail "readings stored"
touch "$T/rx/release"
wait_for 20 has path=/slow status=200 sig_ok=True || fail "slow delivery after release"
pass "10 readings acknowledged and another hook served while a receiver hangs"

# gw-2 has been silent for gateway_offline_after (10 s): notified once
wait_for 40 has path=/ok event=gateway_offline || fail "gateway offline not notified: $(log)"
grep '"gateway_offline"' "$T/rx/log" | head -1 | grep -q '"gateway": "gw-2"' || fail "offline body"
sleep 6
[ "$(grep '"gateway_offline"' "$T/rx/log" | grep -c '"gateway": "gw-2"')" = 1 ] || fail "offline notified twice"
pass "a gateway silent longer than the threshold is notified once"

# a month close with a missing boundary: an anomaly (an account whose
# meter read in January 2025 and not since; A1's first reading is today,
# so January 2025 is before its time and not billed)
api POST /api/v1/accounts '{"number":"A2","holder":"Li Si"}'; expect 201
api PUT /api/v1/meters/M3 '{"gateway":"gw-1","account":"A2"}'; expect 200
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"M3\",\"seq\":1,\"ts\":$(date -d '2025-01-10' +%s),\"import_wh\":10}]}" "$GW"
expect 200
close_month 2025-01
wait_for 20 has path=/ok event=anomaly || fail "anomaly not notified: $(log)"
grep '"anomaly"' "$T/rx/log" | head -1 | grep -q '"missing_boundary"' || fail "anomaly body"
[ "$(count sig_ok=False)" = 0 ] || fail "a delivery with a bad signature"
pass "a settlement anomaly is notified"
stop_server
pass "clean shutdown"
