#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# limits.request_deadline_s (srv_deadline.h) against a real server, set to
# 3 s while the idle timeout stays 30 s:
#   - a client that trickles its request a byte a second (never idle long
#     enough for the idle timeout) is cut off anyway;
#   - an honest client's requests on one kept-alive connection, 1 s apart,
#     are all answered, and other clients are answered meanwhile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
sed -i 's/^limits = { /limits = { request_deadline_s = 3; connection_timeout_s = 30; /' "$T/server.conf"
grep -q "request_deadline_s = 3" "$T/server.conf" || fail "config set-up"
"$MB_SERVER" -t -c "$T/server.conf" >/dev/null || fail "config check"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"

/usr/bin/python3 - "$PORT" "$ADMIN" <<'PY' || fail "see above"
import socket, sys, time
port, admin = int(sys.argv[1]), sys.argv[2]

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

# 1. the trickler: one byte a second of a request that never ends
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /api/v1/gateways HTTP/1.1\r\nHost: x\r\n")
cut = None
for i in range(25):
    try:
        s.sendall(b"X")
        s.settimeout(1)
        if s.recv(4096) == b"":
            cut = i
            break
    except socket.timeout:
        continue
    except OSError:
        cut = i
        break
s.close()
if cut is None:
    fail("a request trickled a byte a second for 25 s was never cut off")
print("ok - a request trickled a byte a second was cut off (after %d bytes)" % cut)

# 2. an honest client keeps one connection for three requests, 1 s apart
s = socket.create_connection(("127.0.0.1", port), timeout=10)
for i in range(3):
    s.sendall(b"GET /api/v1/gateways HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
              % admin.encode())
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(65536)
        if not d:
            fail("the honest connection was closed at request %d" % (i + 1))
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    n = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0]
    while len(body) < n:
        body += s.recv(65536)
    if not head.startswith(b"HTTP/1.1 200"):
        fail("request %d on the kept connection: %r" % (i + 1, head[:40]))
    time.sleep(1)
s.close()
print("ok - three requests 1 s apart on one kept-alive connection were all answered")
PY
grep -q "closed 1 connection that took over 3 s for one request" "$T/server.log" || fail "no log of the cut: $(tail -3 "$T/server.log")"
stop_server
pass "the request deadline cuts a trickler, not an honest client; the server stopped cleanly"
