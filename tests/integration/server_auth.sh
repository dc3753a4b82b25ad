#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Roles and bad input: a gateway token cannot touch another gateway's meters,
# an operator cannot write, no token gets 401; malformed, oversized and
# invalid bodies get a 4xx naming the field and change nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root)
OPER=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
start_server "$T/server.conf" "$T/server.log"

api POST /api/v1/gateways '{"name":"gw-a"}'; expect 201; GA=$(j '["token"]')
api POST /api/v1/gateways '{"name":"gw-b"}'; expect 201; GB=$(j '["token"]')
api POST /api/v1/gateways '{"name":"gw-a"}'; expect 409
api POST /api/v1/accounts '{"number":"A1"}'; expect 201
api PUT /api/v1/meters/MA '{"gateway":"gw-a","account":"A1"}'; expect 200
api PUT /api/v1/meters/MB '{"gateway":"gw-b"}'; expect 200
NOW=$(date +%s)

# no token, a bad token, a revoked-looking token: 401
api GET /api/v1/accounts "" ""; expect 401
api GET /api/v1/accounts "" "mbt_1_0000000000000000000000000000000000000000000000000000000000000000"; expect 401
api GET /api/v1/accounts "" "Bearer-nonsense"; expect 401
pass "no or bad token: 401"

# gateway b may not post for meter MA (gw-a's), nor claim to be gw-a
api POST /api/v1/readings "{\"gateway\":\"gw-b\",\"readings\":[{\"meter\":\"MB\",\"seq\":1,\"ts\":$NOW,\"import_wh\":5},{\"meter\":\"MA\",\"seq\":1,\"ts\":$NOW,\"import_wh\":5}]}" "$GB"
expect 403; [ "$(j '["error"]["field"]')" = "readings[1].meter" ] || fail "403 field: $(cat "$T/resp")"
api POST /api/v1/readings "{\"gateway\":\"gw-a\",\"readings\":[]}" "$GB"; expect 403
[ "$(sqlv 'SELECT count(*) FROM readings')" = 0 ] || fail "a refused batch stored readings"
api GET /api/v1/meters/MA "" "$GB"; expect 403
api GET /api/v1/gateways/gw-a "" "$GB"; expect 403
api GET /api/v1/meters/MA/commands "" "$GB"; expect 403
api GET /api/v1/meters/MB "" "$GB"; expect 200
api GET /api/v1/accounts "" "$GB"; expect 403
api POST /api/v1/accounts/A1/topups '{"amount_fen":100,"reference":"P1"}' "$GB"; expect 403
pass "a gateway token reaches only its own meters"

api GET /api/v1/accounts "" "$OPER"; expect 200
api POST /api/v1/accounts/A1/topups '{"amount_fen":100,"reference":"P1"}' "$OPER"; expect 403
api POST /api/v1/accounts '{"number":"A2"}' "$OPER"; expect 403
api POST /api/v1/readings '{"gateway":"gw-a","readings":[]}' "$OPER"; expect 403
pass "an operator token reads but cannot write"

# bad input
api POST /api/v1/accounts/A1/topups '{"amount_fen":-5,"reference":"P2"}'; expect 400
[ "$(j '["error"]["field"]')" = amount_fen ] || fail "negative amount field"
api POST /api/v1/accounts/A1/topups '{"amount_fen":1.5,"reference":"P2"}'; expect 400
api POST /api/v1/accounts/A1/topups '{"amount_fen":100,"reference":"P2"'; expect 400
[ "$(j '["error"]["code"]')" = bad_json ] || fail "malformed body code"
api POST /api/v1/accounts/A1/topups '{"amount_fen":100}'; expect 400
[ "$(j '["error"]["field"]')" = reference ] || fail "missing reference field"
api POST /api/v1/accounts/A1/topups '{"amount_fen":100,"reference":"P2","tip":1}'; expect 400
[ "$(j '["error"]["field"]')" = tip ] || fail "unknown field"
api POST /api/v1/accounts/NOPE/topups '{"amount_fen":100,"reference":"P3"}'; expect 404
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/big.json"
api POST /api/v1/readings "@$T/big.json" "$GA"; expect 413
api POST /api/v1/readings "{\"gateway\":\"gw-a\",\"readings\":[{\"meter\":\"NOPE\",\"seq\":1,\"ts\":$NOW,\"import_wh\":1}]}" "$GA"
expect 422; [ "$(j '["error"]["field"]')" = "readings[0].meter" ] || fail "unknown meter field"
api POST /api/v1/readings "{\"gateway\":\"gw-a\",\"readings\":[{\"meter\":\"MA\",\"seq\":1,\"ts\":$NOW,\"import_wh\":1},{\"meter\":\"MA\",\"seq\":0,\"ts\":$NOW}]}" "$GA"
expect 400; [ "$(j '["error"]["field"]')" = "readings[1].seq" ] || fail "bad seq field: $(cat "$T/resp")"
printf 'id = "x";\nversions = ( { from = "2020-13-01"; } );\n' >"$T/bad.tariff"
api POST /api/v1/tariffs "@$T/bad.tariff"; expect 422
[ "$(j '["error"]["code"]')" = invalid_tariff ] || fail "bad tariff code"
[ "$(sqlv 'SELECT count(*) FROM tariffs')" = 0 ] || fail "a bad tariff was stored"
[ "$(sqlv 'SELECT count(*) FROM ledger')" = 0 ] || fail "bad input changed the ledger"
[ "$(sqlv 'SELECT count(*) FROM readings')" = 0 ] || fail "bad input stored readings"
api GET /api/v1/nothing; expect 404
api DELETE /api/v1/accounts; expect 405
pass "bad input: 4xx naming the field, nothing changed"

[ "$(sqlv "SELECT count(*) FROM audit WHERE token = 'root'")" -ge 8 ] || fail "admin writes not audited"
pass "admin writes are in the audit log"
stop_server
