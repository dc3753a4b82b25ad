#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A TCP proxy on loopback that breaks HTTP/1.1 traffic on purpose (issue 10).

    faultproxy.py UPSTREAM_PORT CONTROL_FILE PORT_FILE [LOG_FILE]

Listens on 127.0.0.1 (a free port, written to PORT_FILE) and forwards each
request to 127.0.0.1:UPSTREAM_PORT.  Before each request (and while
listening) it reads the mode from CONTROL_FILE, so a test switches faults at
run time by writing one word into that file:

  pass            forward the request and the answer unchanged
  refuse          close the listening socket: connections are refused
                  (ECONNREFUSED) until the mode changes; open connections
                  are reset at their next request
  stall           read the request, send nothing anywhere, hold the
                  connection until the client gives up
  reset_request   send the request's head and half its body upstream, then
                  reset both connections (the server sees a cut body)
  reset_response  forward the whole request, let the server answer, pass
                  half of the answer to the client, then reset it (the
                  server has done the work; the client does not know)
  trickle         forward both ways in 64-byte pieces, 10 ms apart
  duplicate       send the request upstream twice (two connections), drop
                  the first answer and return the second

Every handled request is logged as "MODE METHOD PATH STATUS" to LOG_FILE
(default stderr), so a test can show that each fault really happened.
Python standard library only; one thread per client connection.
"""
import os
import socket
import struct
import sys
import threading
import time

UPSTREAM_PORT = int(sys.argv[1])
CONTROL = sys.argv[2]
PORT_FILE = sys.argv[3]
LOG = open(sys.argv[4], "a", buffering=1) if len(sys.argv) > 4 else sys.stderr
MODES = ("pass", "refuse", "stall", "reset_request", "reset_response", "trickle", "duplicate")
log_lock = threading.Lock()


def mode():
    try:
        with open(CONTROL) as f:
            m = f.read().strip()
    except OSError:
        return "pass"
    return m if m in MODES else "pass"


def log(*words):
    with log_lock:
        print(*words, file=LOG)


def reset(sock):
    """Close with RST instead of FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


class Reader:
    """Buffered reads of HTTP/1.1 messages framed by Content-Length."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def message(self, until_close=False):
        """One message: (head bytes, body bytes, first line)."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n\r\n") + 4
        head, self.buf = self.buf[:i], self.buf[i:]
        length = None
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
            if k.strip().lower() == b"transfer-encoding" and b"chunked" in v.lower():
                raise ValueError("chunked bodies are not supported")
        if length is None and until_close:
            try:
                while True:
                    self._fill()
            except EOFError:
                pass
            length = len(self.buf)
        length = length or 0
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return head, body, head.split(b"\r\n", 1)[0].decode("latin-1")


def send_slowly(sock, data):
    for i in range(0, len(data), 64):
        sock.sendall(data[i:i + 64])
        time.sleep(0.01)


def upstream():
    return socket.create_connection(("127.0.0.1", UPSTREAM_PORT), timeout=60)


def exchange(req):
    """Send req on a new upstream connection; the answer (head, body, line)."""
    up = upstream()
    try:
        up.sendall(req)
        head, body, line = Reader(up).message(until_close=True)
    finally:
        up.close()
    return head, body, line


def status_of(line):
    parts = line.split()
    return parts[1] if len(parts) > 1 else "?"


def serve(client):
    r = Reader(client)
    try:
        while True:
            head, body, line = r.message()
            m = mode()
            req = head + body
            what = " ".join(line.split()[:2])
            if m == "refuse":
                log(m, what, "reset")
                reset(client)
                return
            if m == "stall":
                log(m, what, "stalled")
                try:
                    while client.recv(65536):
                        pass
                except OSError:
                    pass
                client.close()
                return
            if m == "reset_request":
                up = upstream()
                up.sendall(head + body[: len(body) // 2])
                time.sleep(0.05)
                reset(up)
                reset(client)
                log(m, what, "cut at %d of %d body bytes" % (len(body) // 2, len(body)))
                return
            if m == "duplicate":
                h1, b1, l1 = exchange(req)
                h2, b2, l2 = exchange(req)
                client.sendall(h2 + b2)
                log(m, what, status_of(l1), status_of(l2))
                continue
            if m == "trickle":
                up = upstream()
                try:
                    send_slowly(up, req)
                    h, b, l = Reader(up).message(until_close=True)
                finally:
                    up.close()
                send_slowly(client, h + b)
                log(m, what, status_of(l))
                continue
            h, b, l = exchange(req)
            if m == "reset_response":
                ans = h + b
                client.sendall(ans[: len(ans) // 2])
                time.sleep(0.05)
                reset(client)
                log(m, what, status_of(l), "answer cut")
                return
            client.sendall(h + b)
            log(m, what, status_of(l))
    except (EOFError, OSError, ValueError):
        pass
    finally:
        try:
            client.close()
        except OSError:
            pass


def listen(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    s.settimeout(0.1)
    return s


def main():
    sock = listen(0)
    port = sock.getsockname()[1]
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(PORT_FILE + ".tmp", PORT_FILE)
    while True:
        if mode() == "refuse":
            if sock:
                sock.close()
                sock = None
                log("refuse", "listener closed")
            time.sleep(0.05)
            continue
        if sock is None:
            sock = listen(port)
            log("pass", "listener open")
        try:
            client, _ = sock.accept()
        except socket.timeout:
            continue
        client.settimeout(None)
        threading.Thread(target=serve, args=(client,), daemon=True).start()


if __name__ == "__main__":
    main()
