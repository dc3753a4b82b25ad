#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The uploader verifies the server's certificate: it refuses one it cannot
# verify (unknown CA, or a certificate for another name) and syncs with one
# it can (a test CA made here, given as server.ca_file).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

# A test CA, a server certificate for 127.0.0.1 signed by it, and a second CA
# that signed nothing the server uses.
mkca() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
    -keyout "$T/$1.key" -out "$T/$1.pem" 2>/dev/null
}
mkca test-ca
mkca other-ca
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$T/server.key" \
  -out "$T/server.csr" 2>/dev/null
printf 'subjectAltName = IP:127.0.0.1\n' >"$T/san.ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/test-ca.pem" -CAkey "$T/test-ca.key" \
  -CAcreateserial -days 2 -extfile "$T/san.ext" -out "$T/server.pem" 2>/dev/null

server_conf "$T/server.conf"
cat >>"$T/server.conf" <<CONF
tls = { certificate = "$T/server.pem"; key = "$T/server.key"; };
CONF
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"
URL=$(grep -o 'listening on https://127.0.0.1:[0-9]*' "$T/server.log" | tail -1 | sed 's/listening on //')
[ -n "$URL" ] || fail "server does not listen on https: $(cat "$T/server.log")"
api() {
  local method=$1 path=$2 body=${3:-}
  CODE=$(curl -s --cacert "$T/test-ca.pem" -o "$T/resp" -w '%{http_code}' -X "$method" \
    -H "Authorization: Bearer $ADMIN" ${body:+--data-binary "$body"} "$URL$path")
}
api POST /api/v1/gateways '{"name":"gw-tls","region":"1"}'; expect 201
GW=$(j '["token"]')
api PUT /api/v1/meters/000000000001 '{"gateway":"gw-tls"}'; expect 200

# agent NAME [CA_LINE]: a gateway with one simulated meter syncing to URL.
agent() {
  cat >"$T/$1.conf" <<CONF
gateway = { id = "gw-tls"; };
store = { path = "$T/$1.db"; };
server = { url = "$URL"; token = "$GW"; interval = 1; backoff_max = 1; timeout = 5; $2 };
buses = ( { name = "b"; type = "none"; } );
meters = ( { name = "m1"; plugin = "sim"; bus = "b"; address = "000000000001"; poll_interval = 0.5; } );
CONF
  start_agent "$T/$1.conf" "$T/$1.log"
}
acked() { [ "$(sql "$T/$1.db" "SELECT count(*) FROM readings WHERE acked = 1" 2>/dev/null || echo 0)" -ge 2 ]; }
refused() { grep -q "sync failed:.*\(certificate\|SSL\)" "$T/$1.log"; }

agent unknown ""
agent wrongca "ca_file = \"$T/other-ca.pem\";"
agent trusted "ca_file = \"$T/test-ca.pem\";"
wait_for 30 acked trusted || fail "no sync with a verifiable certificate: $(tail -5 "$T/trusted.log")"
pass "syncs over HTTPS with a certificate its CA file verifies"
for a in unknown wrongca; do
  wait_for 30 refused $a || fail "$a: no certificate error: $(tail -5 "$T/$a.log")"
  [ "$(sql "$T/$a.db" "SELECT count(*) FROM readings WHERE acked = 1")" = 0 ] || fail "$a: synced anyway"
  [ "$(sql "$T/$a.db" "SELECT count(*) FROM readings")" -ge 2 ] || fail "$a: stopped reading meanwhile"
done
pass "refuses a certificate it cannot verify (system CAs, another CA) and keeps reading"
