#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The money property test (issue 15): random lifecycles against a running
server, checked against an oracle written here from first principles.

For each seed: accounts on tiered tariffs (monthly tiers, Beijing's bounds;
one of them with a fixed monthly charge) live through March-May 2025 with readings at random intervals, gaps,
batches that arrive late and out of order, a tariff change inside a month
(announced before or after the readings it reprices), a meter exchange, a
register rollover at its range, a move-in at an opening register, a
change of holder, a move-out, top-ups and refunds.  Then:

  - every bill equals the oracle's (energy and total, to the fen);
  - the agent's balance (its own code: agent_balance, from the snapshot the
    server sent) equals the server's at every shared reading;
  - closing a month again changes no bill and no balance;
  - the ledger's sum is the balance, for every account, after every step.

The oracle knows nothing of the server: a month is the sum of its steps
from reading to reading; a step belongs to the month of its midpoint (a
midpoint on 00:00 counts to the month before); its energy is split by time
at every tariff change and month start, each part priced by the tariff in
force with the tier position of the month carried across everything; each
line rounded once to the fen, half away from zero.  A fixed monthly charge
is prorated by the days the account was supplied in the month (from the day
of its opening to the day before its final closing), each tariff's days
priced by it: fixed x days / days of the month, rounded half away from zero.

Environment: URL, ADMIN, GW (the gateway's token), AGENT_BALANCE (the
tool), SEEDS (comma separated), PROP_DEBUG (1: print batches and what a
disagreement was computed from).  TZ is Asia/Shanghai.
"""
import json
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request

os.environ["TZ"] = "Asia/Shanghai"
time.tzset()
URL, ADMIN, GW = os.environ["URL"], os.environ["ADMIN"], os.environ["GW"]
TOOL = os.environ["AGENT_BALANCE"]
HOUR, DAY = 3600, 86400
RANGE = 1_000_000_000  # a 999999.99 kWh register

# The tariffs, as the oracle knows them: tiers (upper bound Wh or None,
# price in 1/10000 yuan per kWh), the date its lines carry and the fixed
# monthly charge (1/10000 yuan a month).
BJ = {"id": "cn-bj-residential", "key": 20120701, "fixed": 0,
      "tiers": [(240000, 4883), (400000, 5383), (None, 7883)]}
B2 = {"id": "prop-2025", "key": 20250301, "fixed": 30000,
      "tiers": [(240000, 5000), (400000, 5500), (None, 8000)]}
B2_TEXT = """id = "prop-2025";
versions = ( { from = "2025-03-01"; fixed_monthly = "3.00";
  tiers = ( { upto_kwh = 240; price = "0.5000"; },
            { upto_kwh = 400; price = "0.5500"; },
            { price = "0.8000"; } ); } );
"""


DEBUG = os.environ.get("PROP_DEBUG")  # 1: batches and a failure's inputs


def dump(snap, rds, agent):
    """What a disagreement of agent and server was computed from."""
    print(json.dumps(snap, indent=1), json.dumps(rds), agent, sep="\n", file=sys.stderr)
    led = api("GET", "/api/v1/accounts/%s/ledger?detail=all" % snap["account"])
    for e in led["entries"]:
        print(e["id"], e["kind"], e["amount_fen"], e["balance_after_fen"], e["month"],
              file=sys.stderr)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def api(method, path, body=None, token=ADMIN, ok=(200, 201, 202), text_body=None):
    data = text_body.encode() if text_body is not None else (
        json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(URL + path, data=data, method=method,
                                 headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            code, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        code, raw = e.code, e.read()
    if code not in ok:
        fail("%s %s -> %d: %s" % (method, path, code, raw[:400]))
    return json.loads(raw) if raw and raw[:1] in (b"{", b"[") else raw.decode()


# ---- the oracle -----------------------------------------------------------

def lt(y, m, d, h=0, mi=0):
    return int(time.mktime((y, m, d, h, mi, 0, 0, 0, -1)))


def month_of(t):
    x = time.localtime(t)
    return x.tm_year * 100 + x.tm_mon


def month_start(yyyymm):
    return lt(yyyymm // 100, yyyymm % 100, 1)


def next_month(yyyymm):
    return yyyymm + 1 if yyyymm % 100 < 12 else (yyyymm // 100 + 1) * 100 + 1


def step_month(a, b):
    """The month an interval [a, b] belongs to: its midpoint's, less half a
    second; a zero-length one is at its instant."""
    return month_of(a + (b - a - 1) // 2) if b > a else month_of(a)


def apportion(total, weights):
    """Largest remainder: floors, then one more to the largest remainders,
    ties to the earlier share."""
    w = sum(weights)
    q = [total * x // w for x in weights]
    r = [total * x % w for x in weights]
    for i in sorted(range(len(weights)), key=lambda i: (-r[i], i))[:total - sum(q)]:
        q[i] += 1
    return q


class Oracle:
    """One account's months from its points, with the tier position."""

    def __init__(self, plan, pos=None):
        self.plan = plan  # [(utc start, tariff)], increasing
        self.pos = list(pos) if pos else [0, 0]  # [period start, used Wh]
        self.opened, self.closed = None, None  # when supplied: the first point, the final
        self.lines = {}  # month -> {(key, tier, price): [wh, exact]}
        self.months = []

    def tariff_at(self, t):
        cur = None
        for start, tar in self.plan:
            if start <= t:
                cur = tar
        return cur

    def blocks(self, a, b):
        out, end_all = [], b if b > a else a + 1
        while a < end_all:
            cuts = [s for s, _ in self.plan if s > a] + [month_start(next_month(month_of(a)))]
            end = min([end_all] + cuts)
            out.append((a, end, self.tariff_at(a), month_start(month_of(a))))
            a = end
        return out

    def charge(self, month, a, b, energy):
        if month not in self.lines:
            self.lines[month] = {}
            self.months.append(month)
        bl = self.blocks(a, b)
        if any(tar is None for _, _, tar, _ in bl):
            return  # before any tariff: not charged (not generated here)
        parts = apportion(energy, [e - s for s, e, _, _ in bl])
        for (s, e, tar, ps), wh in zip(bl, parts):
            if self.pos[0] != ps:
                self.pos = [ps, 0]
            lo, used = 0, self.pos[1]
            for k, (upto, price) in enumerate(tar["tiers"]):
                hi = upto if upto is not None else 1 << 62
                x = max(0, min(used + wh, hi) - max(used, lo))
                if x:
                    line = self.lines[month].setdefault((tar["key"], k + 1, price), [0, 0])
                    line[0] += x
                    line[1] += x * price
                lo = hi
            self.pos[1] += wh

    def step(self, ref, x, rng):
        """ref, x: (t, register).  Returns the new reference."""
        t = max(x[0], ref[0])
        energy = x[1] - ref[1]
        if energy < 0:
            assert rng and energy + rng < rng // 100, (ref, x)
            energy += rng
        self.charge(step_month(ref[0], t), ref[0], t, energy)
        return (t, x[1])

    def fixed(self, month):
        """The month's fixed charges in fen: each day from the day of the
        opening up to the day before the final closing, priced by the
        tariff in force on it; per tariff fixed x days / days of the month,
        rounded half away from zero."""
        y, m = divmod(month, 100)
        first = time.localtime(self.opened)[:3]
        last = time.localtime(self.closed)[:3] if self.closed is not None else (9999, 1, 1)
        of = (month_start(next_month(month)) - month_start(month) + DAY // 2) // DAY
        days = {}
        for d in range(1, of + 1):
            tar = self.tariff_at(lt(y, m, d))
            if first <= (y, m, d) < last and tar and tar["fixed"]:
                days[tar["id"]] = days.get(tar["id"], 0) + 1
        fixed = {t["id"]: t["fixed"] for _, t in self.plan}
        return sum((2 * fixed[k] * n + of * 100) // (2 * of * 100) for k, n in days.items())

    def bill(self, month):
        lines = self.lines.get(month, {})
        # each line rounded once, half away from zero (amounts are >= 0)
        return (sum(v[0] for v in lines.values()),
                sum((v[1] + 50000) // 100000 for v in lines.values()) + self.fixed(month))


# ---- the world ----------------------------------------------------------

class Meter:
    def __init__(self, addr, rng=0, start=0):
        self.addr, self.rng, self.seq = addr, rng, 0
        self.true = 0  # energy since the start, Wh
        self.start = start  # register at true 0
        self.readings = []  # (seq, ts, register)

    def register(self, true):
        r = self.start + true
        return r % self.rng if self.rng else r


class World:
    def __init__(self, seed, tag):
        self.r = random.Random(seed)
        self.tag = tag
        self.pending = []  # readings not yet delivered: (meter, seq, ts, reg)
        self.delivered = {}  # addr -> set of seqs on the server
        self.snaps = {}  # addr -> [snapshot, tariff text, after-seqs, compared]
        self.comparisons = 0
        self.late = 0  # readings delivered after later ones of their meter

    def name(self, s):
        return "%s-%s" % (self.tag, s)


def post_readings(w, batch):
    body = {"gateway": "gw-prop", "readings": [
        {"meter": m.addr, "seq": seq, "ts": ts, "import_wh": reg} for m, seq, ts, reg in batch]}
    resp = api("POST", "/api/v1/readings", body, token=GW)
    if DEBUG:
        print("batch", [(m.addr, seq) for m, seq, _, _ in batch],
              {e["meter"]: e.get("balance_fen") for e in resp["meters"]}, file=sys.stderr)
    for m, seq, _, _ in batch:
        w.delivered.setdefault(m.addr, set()).add(seq)
    check_agents(w, {e["meter"]: e for e in resp["meters"]})


def check_agents(w, snaps):
    """Every agent snapshot whose readings the server now holds as an exact
    prefix (nothing after it): the agent's balance there is the server's."""
    for addr, s in list(w.snaps.items()):
        snap, tariff, meter, done = s
        ref = snap["ref"]["seq"]
        after = sorted(q for q in w.delivered.get(addr, ()) if q > ref)
        n = 0
        while n < len(after) and after[n] == ref + n + 1:
            n += 1
        if n != len(after) or n <= done or addr not in snaps:
            continue
        if snaps[addr].get("account") != snap["account"]:
            continue
        rds = [{"seq": q, "ts": ts, "import_wh": reg}
               for q, ts, reg in meter.readings if ref < q <= ref + n]
        out = subprocess.run([TOOL], input=json.dumps(
            {"snapshot": snap, "tariff": tariff, "readings": rds}).encode(),
            capture_output=True, check=False)
        if out.returncode != 0:
            fail("agent_balance: %s" % out.stderr.decode())
        agent = json.loads(out.stdout)[-1]
        server = snaps[addr]["balance_fen"]
        if agent != server:
            if DEBUG:
                dump(snap, rds, out.stdout.decode())
            fail("meter %s at seq %d: agent %d fen, server %d fen (snapshot at seq %d)"
                 % (addr, ref + n, agent, server, ref))
        s[3] = n
        w.comparisons += 1


def take_snapshot(w, m):
    """What the agent of meter m holds after its next sync: valid when the
    server had every reading up to its reference."""
    snap = api("GET", "/api/v1/meters/" + m.addr)
    w.snaps.pop(m.addr, None)
    if snap.get("account") is None or snap.get("ref") is None or snap.get("mode") != "prepaid":
        return
    ref = snap["ref"]["seq"]
    have = w.delivered.get(m.addr, set())
    if any(q not in have for q in range(1, ref + 1) if any(q == x[0] for x in m.readings)):
        return
    text = api("GET", "/api/v1/tariffs/%s/text" % snap["tariff"]["id"])
    w.snaps[m.addr] = [snap, text, m, 0]


def deliver(w, upto, final=False):
    """Deliver what is pending up to time upto, in batches, some late."""
    due = [p for p in w.pending if p[2] <= upto]
    w.pending = [p for p in w.pending if p[2] > upto]
    held = []
    while due:
        k = w.r.randint(1, 6)
        batch, due = due[:k], due[k:]
        keep = [p for p in batch if not final and w.r.random() < 0.15]
        w.late += len(keep)
        batch = [p for p in batch if p not in keep] + held
        held = keep
        w.r.shuffle(batch)
        if batch:
            post_readings(w, batch)
        if w.r.random() < 0.3:
            for m in {p[0] for p in batch}:
                take_snapshot(w, m)
    if held:
        post_readings(w, held)


def read(w, m, t, energy):
    m.true += energy
    m.seq += 1
    reg = m.register(m.true)
    m.readings.append((m.seq, t, reg))
    w.pending.append((m, m.seq, t, reg))
    return (t, reg)


def readings_until(w, m, t_from, t_to, rate):
    """Readings of m every 2-40 h (sometimes days apart) from t_from to
    t_to; returns the points (t, register)."""
    pts, t = [], t_from
    while t < t_to:
        gap = w.r.choice([2, 6, 12, 24, 40]) * HOUR + w.r.randint(0, 3599)
        if w.r.random() < 0.05:
            gap = w.r.randint(2, 5) * DAY
        t = min(t + gap, t_to)
        pts.append(read(w, m, t, w.r.randint(0, rate) * gap // HOUR))
    return pts


# ---- the scenario ---------------------------------------------------------

T0, T1, T2, T3 = lt(2025, 3, 1), lt(2025, 4, 1), lt(2025, 5, 1), lt(2025, 6, 1)
MONTHS = ["2025-03", "2025-04", "2025-05"]


def plan_of(tariff):
    """The plan of an account assigned one tariff from its first version."""
    return [(lt(2025, 1, 1) if tariff is BJ else T0, tariff)]


def account(w, number, mode, meter, tariff=BJ):
    api("POST", "/api/v1/accounts", {"number": number, "mode": mode})
    api("PUT", "/api/v1/accounts/%s/tariff" % number,
        {"tariff": tariff["id"], "effective": "2025-01-01" if tariff is BJ else "2025-03-01"})
    if meter is not None:
        api("PUT", "/api/v1/meters/" + meter.addr, {"gateway": "gw-prop", "account": number})
    return number


def run(seed):
    w = World(seed, "s%d" % seed)
    r = w.r
    mode = lambda: r.choice(["prepaid", "monthly"])

    # meters: plain, one that wraps, one exchanged, one changing holder,
    # one moving out, one vacant until a move-in
    m = {k: Meter(w.name(k), RANGE if k == "wrap" else 0,
                  RANGE - r.randint(50_000, 900_000) if k == "wrap" else r.randint(0, 10**7))
         for k in ("plain", "wrap", "exch", "hold", "out", "vac")}
    m["new"] = Meter(w.name("new"), 0, 0)
    for k in ("wrap", ):
        api("PUT", "/api/v1/meters/" + m[k].addr, {"gateway": "gw-prop", "rollover_wh": RANGE})
    api("PUT", "/api/v1/meters/" + m["vac"].addr, {"gateway": "gw-prop"})
    api("PUT", "/api/v1/meters/" + m["new"].addr, {"gateway": "gw-prop"})
    lives = ("plain", "wrap", "exch", "hold", "out")
    # the lives of the seams on Beijing's tariff or on one with a fixed charge
    tar = {k: BJ if k in ("plain", "wrap") else r.choice([BJ, B2]) for k in lives + ("vac",)}
    n = {k: account(w, w.name("A" + k), mode(), m[k], tar[k]) for k in lives}
    for num in n.values():
        api("POST", "/api/v1/accounts/%s/topups" % num,
            {"amount_fen": r.randint(5_000, 200_000), "reference": num + "-t1"})

    # A tariff change inside a month for two accounts: one told before the
    # readings come, one after them (a date in the past reprices).
    change = lt(2025, r.choice([3, 4]), r.randint(5, 25))
    change_date = time.strftime("%Y-%m-%d", time.localtime(change))
    plan_ch = [(lt(2025, 1, 1), BJ), (change, B2)]
    api("PUT", "/api/v1/accounts/%s/tariff" % n["plain"],
        {"tariff": B2["id"], "effective": change_date})

    # The lives, point by point (t, register), per account's supplies.
    pts = {k: [read(w, m[k], T0 + r.randint(0, 3) * HOUR, 0)] for k in lives}
    rate = {k: r.choice([300, 800, 1500]) for k in pts}
    x_exch = T1 + r.randint(3, 20) * DAY + r.randint(0, DAY)
    x_hold = T1 + r.randint(3, 20) * DAY + r.randint(0, DAY)
    x_out = T2 + r.randint(3, 20) * DAY + r.randint(0, DAY)
    x_in = T1 + r.randint(3, 20) * DAY + r.randint(0, DAY)
    for k in pts:
        end = {"exch": x_exch, "hold": x_hold, "out": x_out}.get(k, T3 + 2 * DAY)
        pts[k] += readings_until(w, m[k], pts[k][0][0], end - 1, rate[k])
    # the vacant meter reads before anyone lives there (not billed)
    readings_until(w, m["vac"], T0, x_in - 1, 500)

    # deliver March and the first days of April, then the retroactive change
    deliver(w, T1 + 2 * DAY)
    api("PUT", "/api/v1/accounts/%s/tariff" % n["wrap"],
        {"tariff": B2["id"], "effective": change_date})
    for k in lives:
        take_snapshot(w, m[k])
    ev = sorted([(x_exch, "exch"), (x_hold, "hold"), (x_in, "vac"), (x_out, "out")])
    extra = {}
    for t, what in ev:
        deliver(w, t)
        if what == "exch":  # final register of the old meter, initial of the new
            fin = read_final(w, m["exch"], t, rate["exch"])
            init = r.randint(0, 5000)
            m["new"].start, m["new"].true = init, 0
            api("POST", "/api/v1/meters/%s/exchange" % m["exch"].addr,
                {"new_meter": m["new"].addr, "final_wh": fin[1], "initial_wh": init, "at": t})
            new_pts = readings_until(w, m["new"], t, T3 + 2 * DAY, rate["exch"])
            extra["exch"] = (fin, (t, init), new_pts)
        elif what == "hold":  # change of holder at a register read now
            fin = read_final(w, m["hold"], t, rate["hold"])
            b = account(w, w.name("Bhold"), accts_mode(w, n["hold"]), None, tar["hold"])
            api("POST", "/api/v1/accounts/%s/transfer" % n["hold"],
                {"to": b, "final_wh": fin[1], "at": t})
            after = readings_until(w, m["hold"], t, T3 + 2 * DAY, rate["hold"])
            extra["hold"] = (fin, b, after)
        elif what == "vac":  # a move-in at an opening register
            reg = m["vac"].register(m["vac"].true)
            c = account(w, w.name("Cvac"), mode(), None, tar["vac"])
            api("POST", "/api/v1/accounts/%s/topups" % c,
                {"amount_fen": 100_000, "reference": c + "-t1"})
            api("POST", "/api/v1/accounts/%s/move-in" % c,
                {"meter": m["vac"].addr, "opening_wh": reg, "at": t})
            after = readings_until(w, m["vac"], t, T3 + 2 * DAY, 700)
            extra["vac"] = ((t, reg), c, after)
        else:  # move-out at the final register
            fin = read_final(w, m["out"], t, rate["out"])
            api("POST", "/api/v1/accounts/%s/move-out" % n["out"], {"final_wh": fin[1], "at": t})
            extra["out"] = fin
        # money in and out along the way (a refund within the balance)
        num = r.choice(list(n.values()))
        api("POST", "/api/v1/accounts/%s/topups" % num,
            {"amount_fen": r.randint(100, 50_000), "reference": "%s-%d" % (num, t)})
        bal = api("GET", "/api/v1/accounts/" + num)["balance_fen"]
        if bal > 1:
            api("POST", "/api/v1/accounts/%s/refunds" % num,
                {"amount_fen": r.randint(1, bal), "reason": "property test"})
        for k in m:
            take_snapshot(w, m[k])
        check_ledgers(w)
    deliver(w, T3 + 3 * DAY, final=True)

    # ---- the oracle's bills
    # (supplied from the opening to the final closing: an exchange restarts
    # nothing; at a change of holder the day is the new holder's)
    want = {}
    o = Oracle(plan_ch)
    walk(o, pts["plain"], 0)
    want[n["plain"]] = o
    o = Oracle(plan_ch)
    walk(o, pts["wrap"], RANGE)
    want[n["wrap"]] = o
    o = Oracle(plan_of(tar["exch"]))
    ref = walk(o, pts["exch"], 0)
    fin, init, new_pts = extra["exch"]
    o.step(ref, fin, 0)
    walk(o, [init] + new_pts, 0)
    want[n["exch"]] = o
    o = Oracle(plan_of(tar["hold"]))
    ref = walk(o, pts["hold"], 0)
    fin, b, after = extra["hold"]
    o.step(ref, fin, 0)
    o.closed = fin[0]
    want[n["hold"]] = o
    o2 = Oracle(plan_of(tar["hold"]), o.pos)  # the new holder carries the tier position
    walk(o2, [fin] + after, 0)
    want[b] = o2
    op, c, after = extra["vac"]
    o = Oracle(plan_of(tar["vac"]))
    walk(o, [op] + after, 0)
    want[c] = o
    o = Oracle(plan_of(tar["out"]))
    ref = walk(o, pts["out"], 0)
    o.step(ref, extra["out"], 0)
    o.closed = extra["out"][0]
    want[n["out"]] = o
    return w, want


def accts_mode(w, number):
    return api("GET", "/api/v1/accounts/" + number)["mode"]


def read_final(w, meter, t, rate):
    """The register read at t (an event's): energy since the last reading."""
    last_t = meter.readings[-1][1] if meter.readings else t
    meter.true += w.r.randint(0, rate) * max(0, t - last_t) // HOUR
    return (t, meter.register(meter.true))


def walk(o, points, rng):
    ref = points[0]
    if o.opened is None:
        o.opened = ref[0]
    for x in points[1:]:
        ref = o.step(ref, x, rng)
    return ref


# ---- checks -------------------------------------------------------------

def check_ledgers(w):
    for a in api("GET", "/api/v1/accounts")["accounts"]:
        led = api("GET", "/api/v1/accounts/%s/ledger?detail=all" % a["number"])
        if sum(e["amount_fen"] for e in led["entries"]) != led["balance_fen"]:
            fail("account %s: ledger sum != balance" % a["number"])


def close(month):
    job = api("POST", "/api/v1/settlements", {"month": month})["job"]
    for _ in range(3000):
        j = api("GET", "/api/v1/settlements/%d" % job)
        if j.get("state") in ("done", "failed"):
            return j
        time.sleep(0.1)
    fail("close of %s never ended" % month)


def state():
    """Every bill and balance, as the API gives them."""
    out = {}
    for a in api("GET", "/api/v1/accounts")["accounts"]:
        num = a["number"]
        out[num] = (a["balance_fen"],
                    [(b["month"], b["state"], b["energy_wh"], b["total_fen"], b["posted_fen"])
                     for b in api("GET", "/api/v1/accounts/%s/bills" % num)["bills"]])
    return out


def main():
    api("POST", "/api/v1/tariffs", text_body=B2_TEXT, ok=(200, 201))
    worlds = []
    for seed in [int(s) for s in os.environ.get("SEEDS", "1,2,3").split(",")]:
        worlds.append(run(seed))
        check_ledgers(worlds[-1][0])
    for month in MONTHS:
        close(month)
        before = state()
        close(month)
        if state() != before:
            fail("closing %s again changed bills or balances" % month)
        check_ledgers(worlds[0][0])
    checked = with_fixed = 0
    for w, want in worlds:
        for number, o in want.items():
            got = api("GET", "/api/v1/accounts/%s/bills" % number)["bills"]
            bills = {b["month"]: b for b in got}
            months = ["%04d-%02d" % (x // 100, x % 100) for x in sorted(o.lines)]
            for mon in months:
                if mon not in MONTHS:
                    continue
                b = bills.get(mon)
                wh, fen = o.bill(int(mon[:4]) * 100 + int(mon[5:]))
                if (b is None or b["state"] != "settled" or b["energy_wh"] != wh
                        or b["total_fen"] != fen):
                    fail("account %s %s: server %s, oracle %d Wh %d fen"
                         % (number, mon, json.dumps(b), wh, fen))
                checked += 1
                with_fixed += o.fixed(int(mon[:4]) * 100 + int(mon[5:])) > 0
            extra_bills = [k for k in bills if k not in months]
            if extra_bills:
                fail("account %s: bills the oracle has not: %s" % (number, extra_bills))
        print("%s: %d agent comparisons, %d readings delivered late"
              % (w.tag, w.comparisons, w.late))
    if checked < 10 or with_fixed < 2 or sum(w.comparisons for w, _ in worlds) < 10:
        fail("too little checked: %d bills, %d with a fixed charge" % (checked, with_fixed))
    print("ok - %d bills (%d with a fixed charge) equal the oracle's, %d agent balances equal the"
          " server's, closing again changes nothing, ledger sums equal balances"
          % (checked, with_fixed, sum(w.comparisons for w, _ in worlds)))


if __name__ == "__main__":
    main()
