#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""DL/T 645-2007/1997 meter simulator on a pseudo-terminal (stdlib only).

Creates a pty pair, prints "PTY <slave path>" on stdout (and writes the path
to --path-file, atomically), and answers frames written to the slave as the
meters described in --meters would on an RS-485 bus:

  11H read (2007) / 01H read (1997), 12H follow-up frames, 13H address read
  on AAAAAAAAAAAA, 08H broadcast time sync (no reply), 1CH remote control
  with password and validity deadline checks, exception replies (D1H, DCH,
  C1H) carrying an error word.

Disturbances, to test a reader: --preamble N|cycle (FE bytes before each
reply), --noise (bytes before each reply, including false 68H starts),
--split (each reply in three writes with pauses), --echo (the request is
echoed first, as a two-wire RS-485 adapter does).

--meters is a JSON list; one object per meter (all keys but address optional;
a value missing from a meter is answered with "no data requested"):

  address     "123456789012"           protocol  "2007" | "1997"
  forward     "12345.67" (kWh)         rates     ["1.00", ...] (kWh, 1..4)
  reverse     "1.23"                   combined  "-5.00" (signed)
  voltage     ["220.1", ...] (V)       current   ["-5.123", ...] (A, signed)
  power       "-1.2345" (kW)           pf        "0.987"      freq "50.01"
  date        "2024-03-15" | "system"  time      "12:34:56"
  settle_day  "0100" (DDhh)            frozen_forward / frozen_combined "kWh"
  remain      "123.45" (yuan)          overdraft "0.00"
  account     "000012345678": the customer number (户号, 0400040E, 12 digits)
  demand      ["4.5000", "2025-03-20 14:30"]: this month's maximum demand (kW)
              and when (local; null: none yet), 01010000; frozen_demand the
              same for the last settlement day, 01010001
  relay       "closed"|"open"|"armed"  protect   false
  password    "02123456"               direct_close true (accepts 1CH/1CH)
  no_blocks   true: block DIs (FF) are refused
  follow_up   true: replies over 8 data bytes come in follow-up frames
  missing     ["02800002"]: answered with "no data requested"
  faults      {"02800002": "checksum" | "address" | "silent" | "garbage" | "stale"}
              (stale: a reply for another DI first, then the right one)

Every request and event is appended to --log as one JSON object per line.
The simulator exits on SIGTERM/SIGINT, or when its parent process goes away.
"""
import argparse
import datetime
import json
import os
import select
import signal
import sys
import time
import tty
from decimal import Decimal

WILD = 0xAA
NO_DATA = 0x02
OTHER = 0x01
PASSWORD = 0x04
NOISE = [b"\x00", b"\x11\x22", b"\x68\x01\x02", b"\x68\x11\x22\x33\x44\x55\x66", b"\xfe\x00\xfe"]


def bcd(value, decimals, size, signed=False):
    """Decimal string -> BCD bytes, low byte first; sign in the top bit."""
    v = int((Decimal(value) * (10 ** decimals)).to_integral_value())
    neg = v < 0
    v = abs(v)
    out = bytearray()
    for _ in range(size):
        out.append((v // 10 % 10) << 4 | (v % 10))
        v //= 100
    if v:
        raise ValueError("%s does not fit %d bytes" % (value, size))
    if neg:
        if not signed:
            raise ValueError("%s must not be negative" % value)
        out[-1] |= 0x80
    return bytes(out)


def bcd2(n):
    return ((n // 10) << 4) | (n % 10)


def unbcd2(b):
    return (b >> 4) * 10 + (b & 0x0F)


def utc_naive(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).replace(tzinfo=None)


def addr_bytes(text):
    text = text.rjust(12, "0")
    return bytes(int(text[i:i + 2], 16) if text[i:i + 2].upper() == "AA" else
                 bcd2(int(text[i:i + 2])) for i in range(10, -1, -2))


def addr_text(a):
    return "".join("%02X" % b for b in reversed(a))


def frame(addr, ctrl, data, preamble=0):
    body = bytes([0x68]) + addr + bytes([0x68, ctrl, len(data)]) + bytes((b + 0x33) & 0xFF for b in data)
    return b"\xfe" * preamble + body + bytes([sum(body) & 0xFF, 0x16])


class Meter:
    def __init__(self, spec, utc_offset_s):
        self.spec = spec
        self.addr = addr_bytes(spec["address"])
        self.proto = spec.get("protocol", "2007")
        self.relay = spec.get("relay", "closed")
        self.protect = bool(spec.get("protect", False))
        self.alarm = False
        self.offset = utc_offset_s
        self.clock_base = None  # (local datetime, monotonic) after a time sync
        self.pending = {}  # DI -> remaining follow-up payload

    def matches(self, a):
        return all(w == WILD or w == g for w, g in zip(a, self.addr))

    def now_local(self):
        if self.clock_base:
            base, mono = self.clock_base
            return base + datetime.timedelta(seconds=int(time.monotonic() - mono))
        date = self.spec.get("date")
        if date == "system" or date is None:
            return utc_naive(time.time() + self.offset)
        return datetime.datetime.strptime(date + " " + self.spec.get("time", "00:00:00"),
                                          "%Y-%m-%d %H:%M:%S")

    def status3(self):
        word = {"closed": 0x0000, "open": 0x0050, "armed": 0x0010}[self.relay]
        if self.protect:
            word |= 0x1000
        return bytes([word & 0xFF, word >> 8])

    def value(self, di):
        """Data bytes for a DI, or None (no such data)."""
        s = self.spec
        if self.proto == "1997":
            return self.value97(di)
        if di in self.spec.get("missing_int", ()):
            return None
        if s.get("no_blocks") and ((di >> 8) & 0xFF == 0xFF or di & 0xFF == 0xFF):
            return None
        rates = s.get("rates")
        def energy(v, signed=False):
            return None if v is None else bcd(v, 2, 4, signed)
        if di == 0x00010000:
            return energy(s.get("forward"))
        if di == 0x00000000:
            return energy(s.get("combined"), True)
        if di == 0x00020000:
            return energy(s.get("reverse"))
        for base, total, signed in ((0x00010000, "forward", False), (0x00000000, "combined", True)):
            if di == base | 0xFF00 and s.get(total) is not None:
                out = energy(s[total], signed)
                for r in s.get("combined_rates" if signed else "rates", rates) or []:
                    out += energy(r, signed)
                return out
            if rates and base <= di <= base + 0x0400 and di & 0xFF == 0 and (di >> 8) & 0xFF:
                i = (di >> 8) & 0xFF
                return energy(rates[i - 1], signed) if i <= len(rates) else None
        if di == 0x00010001:
            return energy(s.get("frozen_forward"))
        if di == 0x00000001:
            return energy(s.get("frozen_combined"), True)
        phases = {0x0201: ("voltage", 1, 2, False), 0x0202: ("current", 3, 3, True)}
        if di >> 16 in phases:
            key, dec, size, signed = phases[di >> 16]
            vals = s.get(key)
            if vals is None:
                return None
            if di & 0xFFFF == 0xFF00:
                return b"".join(bcd(v, dec, size, signed) for v in vals)
            i = (di >> 8) & 0xFF
            if di & 0xFF or not 1 <= i <= len(vals):
                return None
            return bcd(vals[i - 1], dec, size, signed)
        simple = {0x02030000: ("power", 4, 3, True), 0x02060000: ("pf", 3, 2, True),
                  0x02800002: ("freq", 2, 2, False), 0x00900200: ("remain", 2, 4, False),
                  0x00900201: ("overdraft", 2, 4, False)}
        if di in simple:
            key, dec, size, signed = simple[di]
            return None if s.get(key) is None else bcd(s[key], dec, size, signed)
        if di == 0x009002FF:
            if s.get("remain") is None or s.get("overdraft") is None:
                return None
            return bcd(s["remain"], 2, 4) + bcd(s["overdraft"], 2, 4)
        if di in (0x04000101, 0x04000102):
            if "date" not in s:
                return None
            t = self.now_local()
            if di == 0x04000101:
                return bytes([bcd2((t.weekday() + 1) % 7), bcd2(t.day), bcd2(t.month),
                              bcd2(t.year % 100)])
            return bytes([bcd2(t.second), bcd2(t.minute), bcd2(t.hour)])
        if di == 0x04000B01:
            sd = s.get("settle_day")
            return None if sd is None else bytes([int(sd[2:4], 16), int(sd[0:2], 16)])
        if di == 0x04000503:
            return self.status3()
        if di == 0x0400040E:
            acct = s.get("account")
            return None if acct is None else bcd(acct, 0, 6)
        if di in (0x01010000, 0x01010001):
            d = s.get("demand" if di == 0x01010000 else "frozen_demand")
            if d is None:
                return None
            when = bytes(5)
            if d[1]:
                t = datetime.datetime.strptime(d[1], "%Y-%m-%d %H:%M")
                when = bytes([bcd2(t.minute), bcd2(t.hour), bcd2(t.day), bcd2(t.month),
                              bcd2(t.year % 100)])
            return bcd(d[0], 4, 3) + when
        return None

    def value97(self, di):
        s = self.spec
        if di in self.spec.get("missing_int", ()):
            return None
        rates = s.get("rates") or []
        if di == 0x9010 and "forward" in s:
            return bcd(s["forward"], 2, 4)
        if 0x9011 <= di <= 0x9014 and di - 0x9010 <= len(rates):
            return bcd(rates[di - 0x9011], 2, 4)
        if di == 0x9020 and "reverse" in s:
            return bcd(s["reverse"], 2, 4)
        if 0xB611 <= di <= 0xB613 and di - 0xB610 <= len(s.get("voltage", [])):
            return bcd(s["voltage"][di - 0xB611], 0, 2)
        if 0xB621 <= di <= 0xB623 and di - 0xB620 <= len(s.get("current", [])):
            return bcd(s["current"][di - 0xB621], 2, 2)
        if di == 0xB630 and "power" in s:
            return bcd(s["power"], 4, 3)
        if di == 0xB650 and "pf" in s:
            return bcd(s["pf"], 3, 2)
        if di in (0xC010, 0xC011) and "date" in s:
            t = self.now_local()
            if di == 0xC010:
                return bytes([bcd2((t.weekday() + 1) % 7), bcd2(t.day), bcd2(t.month),
                              bcd2(t.year % 100)])
            return bytes([bcd2(t.second), bcd2(t.minute), bcd2(t.hour)])
        return None


class Sim:
    def __init__(self, args, meters):
        self.args = args
        self.meters = meters
        self.n_replies = 0
        self.buf = b""
        self.log = open(args.log, "a") if args.log else None
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)

    def event(self, **kw):
        if self.log:
            self.log.write(json.dumps(kw, sort_keys=True) + "\n")
            self.log.flush()

    def send(self, data, request=None):
        if self.args.echo and request:
            os.write(self.master, request)
        pre = self.args.preamble
        pre = self.n_replies % 5 if pre == "cycle" else int(pre)
        out = b"\xfe" * pre + data
        if self.args.noise:
            # Every noise pattern meets every preamble length over 25 replies.
            out = NOISE[self.n_replies // 5 % len(NOISE)] + out
        self.n_replies += 1
        if self.args.split and len(out) > 3:
            cuts = [len(out) // 3, 2 * len(out) // 3]
            for part in (out[:cuts[0]], out[cuts[0]:cuts[1]], out[cuts[1]:]):
                os.write(self.master, part)
                time.sleep(0.03)
        else:
            os.write(self.master, out)

    def frames(self):
        """Complete request frames from the input buffer."""
        while True:
            i = self.buf.find(b"\x68")
            if i < 0:
                self.buf = b""
                return
            self.buf = self.buf[i:]
            if len(self.buf) < 12:
                return
            if self.buf[7] != 0x68:
                self.buf = self.buf[1:]
                continue
            total = 12 + self.buf[9]
            if len(self.buf) < total:
                return
            f, self.buf = self.buf[:total], self.buf[total:]
            if f[-1] != 0x16 or sum(f[:-2]) & 0xFF != f[-2]:
                self.event(event="bad_request", hex=f.hex())
                continue
            yield f

    def run(self):
        ppid = os.getppid()
        while True:
            if os.getppid() != ppid:
                return
            r, _, _ = select.select([self.master], [], [], 0.2)
            if not r:
                continue
            try:
                self.buf += os.read(self.master, 4096)
            except OSError:
                time.sleep(0.05)
                continue
            for f in list(self.frames()):
                self.handle(f)

    def handle(self, f):
        addr, ctrl = f[1:7], f[8]
        data = bytes((b - 0x33) & 0xFF for b in f[10:-2])
        func = ctrl & 0x1F
        self.event(event="request", addr=addr_text(addr), ctrl="%02X" % ctrl, data=data.hex())
        if ctrl & 0x80:
            return  # a reply (another slave): not for us
        if func == 0x08:
            self.time_sync(data)
            return
        if all(b == 0x99 for b in addr):
            return
        if func == 0x13:
            if all(b == WILD for b in addr) and self.meters:
                m = self.meters[0]
                self.send(frame(m.addr, 0x93, m.addr), f)
            return
        for m in self.meters:
            if m.matches(addr):
                self.answer(m, func, data, f)
                return

    def time_sync(self, data):
        if len(data) != 6:
            return
        s, mi, h, d, mo, y = (unbcd2(b) for b in data)
        t = datetime.datetime(2000 + y, mo, d, h, mi, s)
        for m in self.meters:
            m.clock_base = (t, time.monotonic())
        self.event(event="timesync", time=t.strftime("%Y-%m-%d %H:%M:%S"))

    def exception(self, m, func, err, req):
        self.send(frame(m.addr, 0xC0 | func, bytes([err])), req)

    def answer(self, m, func, data, req):
        is97 = m.proto == "1997"
        read, more = (0x01, 0x02) if is97 else (0x11, 0x12)
        dilen = 2 if is97 else 4
        if func == 0x1C and not is97:
            self.control(m, data, req)
            return
        if func not in (read, more) or len(data) < dilen:
            self.exception(m, func, OTHER, req)
            return
        di = int.from_bytes(data[:dilen], "little")
        fault = m.spec.get("faults", {}).get(("%04X" if is97 else "%08X") % di)
        if fault == "silent":
            return
        if fault == "garbage":
            self.send(b"\x68\x00\x01\x02\x03", req)
            return
        if func == more:
            self.follow_up(m, di, data, req)
            return
        value = m.value(di)
        if value is None:
            self.exception(m, func, NO_DATA, req)
            return
        dib = data[:dilen]
        if fault == "stale":
            # A late answer to some other request comes first.
            other = (di ^ 0x01).to_bytes(dilen, "little")
            self.send(frame(m.addr, 0x80 | func, other + value))
        if m.spec.get("follow_up") and len(value) > 8 and not is97:
            m.pending[di] = value[8:]
            reply = frame(m.addr, 0x80 | 0x20 | func, dib + value[:8])
        else:
            reply = frame(m.addr, 0x80 | func, dib + value)
        if fault == "checksum":
            reply = reply[:-2] + bytes([(reply[-2] + 1) & 0xFF, 0x16])
        if fault == "address":
            other = bytes([(m.addr[0] + 1) & 0xFF]) + m.addr[1:]
            reply = frame(other, 0x80 | func, dib + value)
        self.send(reply, req)

    def follow_up(self, m, di, data, req):
        rest = m.pending.get(di)
        if rest is None or len(data) != 5:
            self.exception(m, 0x12, NO_DATA, req)
            return
        seq = data[4]
        part, rest = rest[:8], rest[8:]
        ctrl = 0x92 | (0x20 if rest else 0)
        if rest:
            m.pending[di] = rest
        else:
            del m.pending[di]
        self.send(frame(m.addr, ctrl, data[:4] + part + bytes([seq])), req)

    def control(self, m, data, req):
        if len(data) != 16:
            self.exception(m, 0x1C, OTHER, req)
            return
        pw = "%02X%02X%02X%02X" % (data[0], data[3], data[2], data[1])
        operator = "%02X%02X%02X%02X" % (data[7], data[6], data[5], data[4])
        cmd = data[8]
        s, mi, h, d, mo, y = (unbcd2(b) for b in data[10:16])
        ev = dict(event="control", addr=addr_text(m.addr), cmd="%02X" % cmd, operator=operator,
                  password=pw)
        try:
            until = datetime.datetime(2000 + y, mo, d, h, mi, s)
        except ValueError:
            until = None
        now = utc_naive(time.time() + m.offset)
        if pw != m.spec.get("password", "02000000").upper():
            err = PASSWORD
        elif until is None or until < now:
            err = OTHER
        else:
            err = self.command(m, cmd)
        ev.update(ok=err == 0, relay=m.relay, protect=m.protect, alarm=m.alarm,
                  valid_s=int((until - now).total_seconds()) if until else None)
        self.event(**ev)
        if err:
            self.exception(m, 0x1C, err, req)
        else:
            self.send(frame(m.addr, 0x9C, b""), req)

    def command(self, m, cmd):
        if cmd == 0x1A:
            if m.protect:
                return OTHER
            m.relay = "open"
        elif cmd == 0x1B:
            if m.relay != "closed":
                m.relay = "armed"
        elif cmd == 0x1C:
            if not m.spec.get("direct_close", False):
                return OTHER
            m.relay = "closed"
        elif cmd in (0x2A, 0x2B):
            m.alarm = cmd == 0x2A
        elif cmd in (0x3A, 0x3B):
            m.protect = cmd == 0x3A
        else:
            return OTHER
        return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--meters", required=True, help="JSON file: list of meters")
    p.add_argument("--path-file", help="write the pty slave path here")
    p.add_argument("--log", help="append JSON events here")
    p.add_argument("--preamble", default="0", help="FE bytes before replies: 0-4 or cycle")
    p.add_argument("--noise", action="store_true")
    p.add_argument("--split", action="store_true")
    p.add_argument("--echo", action="store_true")
    p.add_argument("--utc-offset-min", type=int, default=480)
    args = p.parse_args()
    with open(args.meters) as f:
        specs = json.load(f)
    meters = []
    for s in specs:
        s["missing_int"] = {int(d, 16) for d in s.get("missing", [])}
        meters.append(Meter(s, args.utc_offset_min * 60))
    sim = Sim(args, meters)

    def stop(signum, frame_):
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.path_file:
        tmp = args.path_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(sim.path + "\n")
        os.rename(tmp, args.path_file)
    print("PTY " + sim.path, flush=True)
    try:
        sim.run()
    finally:
        os.close(sim.master)
        os.close(sim.slave)


if __name__ == "__main__":
    main()
