# SPDX-License-Identifier: Apache-2.0
"""Writers for the high-availability tests (ha_failover.sh): gateways that
upload readings batch after batch, as meterbox-agent does, and a cashier
that tops accounts up, each against two meterbox-servers in turn.

A write is retried, unchanged, until a server acknowledges it (the agent
keeps a batch until it is acked; a payment keeps its reference), so what
the servers acknowledged can be checked afterwards: every acked reading and
top-up present exactly once.  Every fourth top-up, the cashier also creates
an account, refunds and adjusts, each by its key.  Every attempt is logged
with its wall-clock times to DIR/attempts.log ("end kind status server
start"); acked readings go to DIR/acked_readings ("meter seq"), acked top-ups
to DIR/acked_topups ("reference account amount"), the other acked writes to
DIR/acked_other ("kind key").  The writers stop at their next item once the
file DIR/stop exists, after the item in hand is acknowledged (or after
--give-up seconds of trying it).

usage: ha_load.py DIR URL_A,URL_B ADMIN_TOKEN START_TS \
           GATEWAY:TOKEN:METER=SEQ/WH,METER=SEQ/WH... [...] --accounts A,B,...
"""
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

out, urls, admin, start_ts = sys.argv[1], sys.argv[2].split(","), sys.argv[3], int(sys.argv[4])
args = sys.argv[5:]
accounts = args[args.index("--accounts") + 1].split(",")
gateways = args[:args.index("--accounts")]
GIVE_UP = 240
lock = threading.Lock()
log = open(os.path.join(out, "attempts.log"), "a", buffering=1)


def note(kind, status, server, start=None):
    now = time.time()
    with lock:
        log.write(f"{now:.3f} {kind} {status} {server} {start or now:.3f}\n")


def post(url, path, token, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token,
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=40) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception as e:  # timeout, refused, reset
        return 0, str(e).encode()


def until_acked(kind, path, token, body, turn):
    """Post body to the servers in turn until one answers 2xx."""
    t0 = time.time()
    while True:
        server = turn[0] % len(urls)
        turn[0] += 1
        start = time.time()
        status, text = post(urls[server], path, token, body)
        note(kind, status, server, start)
        if 200 <= status < 300:
            return json.loads(text)
        if status not in (0, 503):
            note(kind + "-refused:" + text.decode(errors="replace")[:200].replace(" ", "_"), status, server)
        if time.time() - t0 > GIVE_UP:
            return None
        time.sleep(0.2)


def stopped():
    return os.path.exists(os.path.join(out, "stop"))


def gateway(spec):
    name, token, meters = spec.split(":", 2)
    state = {}
    for m in meters.split(","):
        meter, rest = m.split("=")
        seq, wh = rest.split("/")
        state[meter] = [int(seq), int(wh)]
    turn, ts = [hash(name) % 2], start_ts
    acked = open(os.path.join(out, "acked_readings"), "a", buffering=1)
    while not stopped():
        ts += 900
        batch = []
        for meter, st in state.items():
            st[0] += 1
            st[1] += 50
            batch.append({"meter": meter, "seq": st[0], "ts": ts, "kind": "routine", "import_wh": st[1]})
        r = until_acked("reading", "/api/v1/readings", token, {"gateway": name, "readings": batch}, turn)
        if r is None:
            note("reading-gave-up", 0, -1)
            return
        with lock:
            for x in batch:
                acked.write(f"{x['meter']} {x['seq']}\n")
        time.sleep(0.05)


def cashier():
    turn, n = [0], 0
    acked = open(os.path.join(out, "acked_topups"), "a", buffering=1)
    other = open(os.path.join(out, "acked_other"), "a", buffering=1)
    while not stopped():
        n += 1
        acct = accounts[n % len(accounts)]
        ref = f"HA-{n:05d}"
        r = until_acked("topup", f"/api/v1/accounts/{acct}/topups", admin,
                        {"amount_fen": 100 + n % 7, "reference": ref}, turn)
        if r is None:
            note("topup-gave-up", 0, -1)
            return
        with lock:
            acked.write(f"{ref} {acct} {100 + n % 7}\n")
        if n % 4 == 0 and not other_writes(n // 4, acct, turn, other):
            return
        time.sleep(0.1)


def other_writes(k, acct, turn, other):
    """An account created, a refund and an adjustment, each sent again
    until acknowledged: each must be stored once (docs/api.md, Retries)."""
    for kind, path, body, key in (
            ("account", "/api/v1/accounts", {"number": f"HC-{k:05d}", "holder": "failover"},
             f"HC-{k:05d}"),
            ("refund", f"/api/v1/accounts/{acct}/refunds",
             {"amount_fen": 10, "reason": "ha", "reference": f"HR-{k:05d}", "over_balance": True},
             f"HR-{k:05d}"),
            ("adjustment", f"/api/v1/accounts/{acct}/adjustments",
             {"amount_fen": -3, "reason": "ha", "reference": f"HJ-{k:05d}"}, f"HJ-{k:05d}")):
        if until_acked(kind, path, admin, body, turn) is None:
            note(kind + "-gave-up", 0, -1)
            return False
        with lock:
            other.write(f"{kind} {key}\n")
    return True


threads = [threading.Thread(target=gateway, args=(g,)) for g in gateways]
threads.append(threading.Thread(target=cashier))
for t in threads:
    t.start()
for t in threads:
    t.join()
