#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# /metrics: the text parses as the Prometheus exposition format (a strict
# parser, prom_parse.py; promtool too when it is installed), needs a token,
# and its counters move when readings arrive, when a batch is refused (by
# reason), and with every request (latency histogram per route).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
OPER=$("$MB_SERVER" -c "$T/server.conf" --create-token prom --role operator)
start_server "$T/server.conf" "$T/server.log"
PARSE=$(dirname "$0")/prom_parse.py

scrape() { # scrape NAME: $T/NAME.txt and its samples as JSON in $T/NAME.json
  curl -s -D "$T/$1.h" -o "$T/$1.txt" -H "Authorization: Bearer $OPER" "$URL/metrics"
  /usr/bin/python3 "$PARSE" "$T/$1.txt" >"$T/$1.json" || fail "not Prometheus text: $(cat "$T/$1.txt")"
  if command -v promtool >/dev/null; then promtool check metrics <"$T/$1.txt" || fail "promtool"; fi
}
m() { # m NAME SERIES: a sample's value (0 when absent)
  /usr/bin/python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1])).get(sys.argv[2], 0)))' "$T/$1.json" "$2"
}

# the parser itself refuses what the format does not allow
printf 'x_total 1\n' >"$T/bad1"; printf '# TYPE a counter\na 1\n' >"$T/bad2"
printf 'a{l="x\\q"} 1\n' >"$T/bad3"; printf 'a 1\nb 2\na 3\n' >"$T/bad4"
printf '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 0\nh_count 1\n' >"$T/bad5"
printf 'a one\n' >"$T/bad6"; printf 'a 1' >"$T/bad7"
for f in bad2 bad3 bad4 bad5 bad6 bad7; do
  /usr/bin/python3 "$PARSE" "$T/$f" >/dev/null 2>&1 && fail "the parser accepted $f: $(cat "$T/$f")"
done
/usr/bin/python3 "$PARSE" "$T/bad1" >/dev/null || fail "the parser refused a plain sample"
pass "the strict parser refuses malformed exposition text"

code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/metrics"); [ "$code" = 401 ] || fail "/metrics without a token: $code"
api POST /api/v1/gateways '{"name":"gw-1","region":"r1"}'; expect 201; GW=$(j '["token"]')
api GET /metrics "" "$GW"; expect 403
api POST /api/v1/accounts '{"number":"A1"}'; expect 201
api PUT /api/v1/meters/M1 '{"gateway":"gw-1","account":"A1"}'; expect 200
api PUT /api/v1/meters/M2 '{"gateway":"gw-1"}'; expect 200
scrape before
grep -q '^Content-Type: text/plain; version=0.0.4' "$T/before.h" || fail "content type: $(cat "$T/before.h")"
pass "/metrics needs an operator token and is text/plain version 0.0.4"

NOW=$(date +%s)
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"M1\",\"seq\":1,\"ts\":$NOW,\"import_wh\":100},{\"meter\":\"M2\",\"seq\":1,\"ts\":$NOW,\"import_wh\":200},{\"meter\":\"M1\",\"seq\":2,\"ts\":$((NOW+1)),\"import_wh\":150}],\"events\":[{\"id\":1,\"meter\":\"M1\",\"ts\":$NOW,\"type\":\"tamper\"}]}" "$GW"
expect 200
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"readings\":[{\"meter\":\"M1\",\"seq\":1,\"ts\":$NOW,\"import_wh\":999}]}" "$GW"
expect 409
api POST /api/v1/readings '{"gateway":"gw-1","readings":[{"meter":"M1"}]}' "$GW"; expect 400
api POST /api/v1/readings '{"gateway":"gw-1","readings":[{"meter":"NOPE","seq":1,"ts":1700000000,"import_wh":1}]}' "$GW"; expect 422
scrape after

R='method="POST",route="/api/v1/readings"'
d() { echo $(( $(m after "$1") - $(m before "$1") )); }
[ "$(d 'meterbox_readings_received_total{}')" = 3 ] || fail "readings received +$(d 'meterbox_readings_received_total{}')"
[ "$(d 'meterbox_events_received_total{}')" = 1 ] || fail "events"
[ "$(d 'meterbox_readings_batches_total{}')" = 1 ] || fail "batches"
[ "$(d 'meterbox_readings_batches_rejected_total{reason="conflict"}')" = 1 ] || fail "rejected conflict"
[ "$(d 'meterbox_readings_batches_rejected_total{reason="missing_field"}')" = 1 ] || fail "rejected missing_field: $(grep rejected "$T/after.txt")"
[ "$(d 'meterbox_readings_batches_rejected_total{reason="unknown_meter"}')" = 1 ] || fail "rejected unknown_meter"
[ "$(d "meterbox_http_requests_total{code=\"2xx\",$R}")" = 1 ] || fail "requests 2xx"
[ "$(d "meterbox_http_requests_total{code=\"4xx\",$R}")" = 3 ] || fail "requests 4xx"
[ "$(d "meterbox_http_request_duration_seconds_count{$R}")" = 4 ] || fail "histogram count"
[ "$(m after 'meterbox_gateways_seen{}')" = 1 ] && [ "$(m after 'meterbox_gateways{}')" = 1 ] || fail "gateways seen"
[ "$(m after 'meterbox_meters{}')" = 2 ] || fail "meters gauge"
[ "$(m after 'meterbox_database_bytes{}')" -gt 0 ] || fail "database size"
pass "counters move with readings (3), refused batches by reason, requests and latencies per route"

api POST /api/v1/meters/M1/commands '{"op":"trip","reason":"test"}'; expect 201
close_month 2025-01
scrape later
[ "$(m later 'meterbox_commands{state="pending"}')" = 1 ] || fail "commands by state"
[ "$(( $(m later 'meterbox_settlement_runs_total{}') - $(m after 'meterbox_settlement_runs_total{}') ))" = 1 ] || fail "settlement runs"
grep -q '^meterbox_http_request_duration_seconds_bucket{method="GET",route="/metrics",le="0.005"} ' "$T/later.txt" || fail "bucket labels"
pass "commands by state, settlement runs, database size"

# many scrapes and ingests at once: the counters stay exact (atomics)
jobs=()
for k in $(seq 1 4); do
  ( for i in $(seq 1 25); do
      curl -s -o /dev/null -H "Authorization: Bearer $GW" --data-binary '{"gateway":"gw-1","readings":[]}' "$URL/api/v1/readings"
      curl -s -o /dev/null -H "Authorization: Bearer $OPER" "$URL/metrics"
    done ) &
  jobs+=($!)
done
wait "${jobs[@]}"
scrape final
[ "$(( $(m final 'meterbox_readings_batches_total{}') - $(m later 'meterbox_readings_batches_total{}') ))" = 100 ] || fail "concurrent batches"
pass "100 concurrent batches counted exactly"
stop_server
