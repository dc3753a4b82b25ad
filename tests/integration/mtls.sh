#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Mutual TLS: a gateway may authenticate with a client certificate whose CN
# is its name, instead of a token.  A certificate from another CA, or for a
# gateway that does not exist, is not enough; a certificate only ever opens
# its own gateway's data.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

mkca() { openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
           -keyout "$T/$1.key" -out "$T/$1.pem" 2>/dev/null; }
# mkcert NAME CA [EXT]: a certificate for CN=NAME signed by CA.
mkcert() {
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$T/$1.key" -out "$T/$1.csr" 2>/dev/null
  openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.pem" -CAkey "$T/$2.key" -CAcreateserial -days 2 \
    ${3:+-extfile "$3"} -out "$T/$1.pem" 2>/dev/null
}
mkca server-ca; mkca gateway-ca; mkca rogue-ca
printf 'subjectAltName = IP:127.0.0.1\n' >"$T/san.ext"
mkcert 127.0.0.1 server-ca "$T/san.ext"
mkcert gw-m gateway-ca
mkcert gw-nobody gateway-ca
cp "$T/gw-m.key" "$T/gw-rogue.key"
openssl req -new -key "$T/gw-m.key" -subj "/CN=gw-m" -out "$T/gw-rogue.csr" 2>/dev/null
openssl x509 -req -in "$T/gw-rogue.csr" -CA "$T/rogue-ca.pem" -CAkey "$T/rogue-ca.key" \
  -CAcreateserial -days 2 -out "$T/gw-rogue.pem" 2>/dev/null

server_conf "$T/server.conf"
echo "tls = { certificate = \"$T/127.0.0.1.pem\"; key = \"$T/127.0.0.1.key\";
        client_ca = \"$T/gateway-ca.pem\"; };" >>"$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"
c() { curl -s --cacert "$T/server-ca.pem" -o "$T/resp" -w '%{http_code}' "$@"; }
[ "$(c -H "Authorization: Bearer $ADMIN" -d '{"name":"gw-m"}' "$URL/api/v1/gateways")" = 201 ] || fail "register"
[ "$(c -H "Authorization: Bearer $ADMIN" -d '{"name":"gw-other"}' "$URL/api/v1/gateways")" = 201 ] || fail "register 2"
[ "$(c -H "Authorization: Bearer $ADMIN" -X PUT -d '{"gateway":"gw-m"}' "$URL/api/v1/meters/000000000001")" = 200 ] || fail "bind"

cert() { c --cert "$T/$1.pem" --key "$T/$1.key" "${@:2}"; }
[ "$(cert gw-m "$URL/api/v1/gateways/gw-m")" = 200 ] || fail "own gateway by certificate: $(cat "$T/resp")"
[ "$(cert gw-m "$URL/api/v1/gateways/gw-other")" = 403 ] || fail "another gateway by certificate"
[ "$(cert gw-m -X POST -d '{}' "$URL/api/v1/tariffs")" = 403 ] || fail "a gateway certificate wrote"
[ "$(c "$URL/api/v1/gateways/gw-m")" = 401 ] || fail "no certificate, no token"
[ "$(cert gw-nobody "$URL/api/v1/gateways/gw-m")" = 401 ] || fail "a certificate of no gateway"
code=$(cert gw-rogue "$URL/api/v1/gateways/gw-m")
[ "$code" = 401 ] || [ "$code" = 000 ] || fail "a certificate from another CA: $code"
pass "a client certificate authenticates its own gateway only; others are refused"

cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-m"; };
store = { path = "$T/agent.db"; };
server = { url = "$URL"; ca_file = "$T/server-ca.pem"; cert_file = "$T/gw-m.pem";
           key_file = "$T/gw-m.key"; interval = 1; backoff_max = 1; };
buses = ( { name = "b"; type = "none"; } );
meters = ( { name = "m1"; plugin = "sim"; bus = "b"; address = "000000000001"; poll_interval = 0.3; } );
CONF
"$MB_AGENT" -t -c "$T/agent.conf" >/dev/null || fail "an agent with a certificate and no token was rejected"
start_agent "$T/agent.conf" "$T/agent.log"
acked() { [ "$(sql "$T/agent.db" "SELECT count(*) FROM readings WHERE acked = 1" 2>/dev/null || echo 0)" -ge 3 ]; }
wait_for 30 acked || fail "agent did not sync by certificate: $(tail -5 "$T/agent.log")"
pass "an agent with only a client certificate syncs"
