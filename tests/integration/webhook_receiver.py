#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A webhook receiver for webhook_delivery.sh, on loopback.

webhook_receiver.py DIR SECRET: listens on 127.0.0.1 (a free port, written to
DIR/port) and appends one JSON line per request to DIR/log:
{"path", "event", "delivery", "ts", "sig_ok", "body", "status"}.
  /ok     answers 200
  /flaky  answers 500 to the first DIR/flaky_fails (default 2) tries of each
          delivery, then 200
  /slow   writes DIR/slow_blocked, then holds the request until DIR/release
          exists (at most 120 s), then answers 200
The signature checked is X-Meterbox-Signature: sha256=HEX(HMAC-SHA256(SECRET,
X-Meterbox-Timestamp + "." + body)), with the timestamp within 300 s."""
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR, SECRET = sys.argv[1], sys.argv[2].encode()
lock = threading.Lock()
tries = {}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ts = self.headers.get("X-Meterbox-Timestamp", "")
        sig = self.headers.get("X-Meterbox-Signature", "")
        want = "sha256=" + hmac.new(SECRET, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        sig_ok = hmac.compare_digest(sig, want) and ts.isdigit() and abs(time.time() - int(ts)) < 300
        key = self.headers.get("X-Meterbox-Delivery", "")
        status = 200
        if self.path == "/flaky":
            fails = int(open(os.path.join(DIR, "flaky_fails")).read()) if os.path.exists(
                os.path.join(DIR, "flaky_fails")) else 2
            with lock:
                tries[key] = tries.get(key, 0) + 1
                status = 500 if tries[key] <= fails else 200
        elif self.path == "/slow":
            open(os.path.join(DIR, "slow_blocked"), "w").close()
            for _ in range(1200):
                if os.path.exists(os.path.join(DIR, "release")):
                    break
                time.sleep(0.1)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        with lock, open(os.path.join(DIR, "log"), "a") as f:
            f.write(json.dumps({"path": self.path, "event": self.headers.get("X-Meterbox-Event"),
                                "delivery": key, "ts": ts, "sig_ok": sig_ok, "body": parsed,
                                "status": status}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
srv.serve_forever()
