#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Per-token rate limits: a token over its limit gets 429 with Retry-After,
# other tokens are not affected, and after the wait it is served again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

MB_RPM=60 server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
OPER=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
start_server "$T/server.conf" "$T/server.log"

ok=0 limited=0
for i in $(seq 30); do
  code=$(curl -s -D "$T/hdr" -o "$T/resp" -w '%{http_code}' -H "Authorization: Bearer $OPER" "$URL/api/v1/gateways")
  case $code in
    200) ok=$((ok + 1)) ;;
    429) limited=$((limited + 1)); grep -qi '^Retry-After: [1-9]' "$T/hdr" || fail "429 without Retry-After"
         grep -q too_many_requests "$T/resp" || fail "429 body: $(cat "$T/resp")" ;;
    *) fail "unexpected $code" ;;
  esac
done
[ $ok -ge 10 ] && [ $limited -ge 10 ] || fail "$ok served, $limited limited out of 30 at 60 a minute"
pass "a token over its limit gets 429 with Retry-After ($ok served, $limited limited)"

api GET /api/v1/gateways; expect 200
pass "another token is served meanwhile"

wait=$(sed -n 's/^Retry-After: \([0-9]*\).*/\1/Ip' "$T/hdr" | tr -d '\r')
sleep "${wait:-2}"
api GET /api/v1/gateways '' "$OPER"; expect 200
pass "after Retry-After the token is served again"
