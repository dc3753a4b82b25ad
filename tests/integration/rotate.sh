#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Tokens can be rotated and revoked: after a gateway's token is rotated the
# old one gets 401 and the new one works; a revoked operator token gets 401.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
OPER=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
start_server "$T/server.conf" "$T/server.log"
api POST /api/v1/gateways '{"name":"gw-r","region":"1"}'; expect 201
OLD=$(j '["token"]')
api PUT /api/v1/meters/000000000001 '{"gateway":"gw-r"}'; expect 200
batch() { echo "{\"gateway\":\"gw-r\",\"readings\":[{\"meter\":\"000000000001\",\"seq\":$1,\"ts\":$(date +%s),\"import_wh\":$((1000 + $1))}]}"; }
api POST /api/v1/readings "$(batch 1)" "$OLD"; expect 200

api POST /api/v1/gateways/gw-r/token '' "$OPER"; expect 403
api POST /api/v1/gateways/gw-x/token ''; expect 404
api POST /api/v1/gateways/gw-r/token ''; expect 201
NEW=$(j '["token"]')
[ "$NEW" != "$OLD" ] || fail "rotation returned the same token"
api POST /api/v1/readings "$(batch 2)" "$OLD"; expect 401
api POST /api/v1/readings "$(batch 2)" "$NEW"; expect 200
pass "a rotated gateway token: the old one is refused, the new one works"

api GET /api/v1/accounts '' "$OPER"; expect 200
"$MB_SERVER" -c "$T/server.conf" --revoke-token viewer >/dev/null || fail "--revoke-token"
api GET /api/v1/accounts '' "$OPER"; expect 401
if "$MB_SERVER" -c "$T/server.conf" --revoke-token viewer 2>/dev/null; then fail "revoked twice"; fi
api GET /api/v1/accounts; expect 200
pass "a revoked operator token is refused at once; others keep working"
