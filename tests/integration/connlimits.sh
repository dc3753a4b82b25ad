#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Connection limits: an idle client is cut off after connection_timeout_s,
# and one address cannot hold more than max_connections_per_ip connections,
# while the server keeps answering other requests.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
sed -i 's/^limits = { /limits = { connection_timeout_s = 2; max_connections_per_ip = 3; /' "$T/server.conf"
"$MB_SERVER" -t -c "$T/server.conf" >/dev/null || fail "config with connection limits rejected"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"

/usr/bin/python3 - "$PORT" <<'PY' || fail "connection limits not enforced"
import socket, sys, time
port = int(sys.argv[1])

def closed_by_server(s, within):
    s.settimeout(within)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True

idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
extra = socket.create_connection(("127.0.0.1", port))
if not closed_by_server(extra, 5):
    sys.exit("a 4th connection from one address was kept")
print("ok - a 4th connection from one address is refused")
if not all(closed_by_server(s, 15) for s in idle):
    sys.exit("idle connections were not closed")
print("ok - idle connections are closed after the timeout")
PY
api GET /api/v1/gateways; expect 200
pass "the server answers normally after the limits did their work"
