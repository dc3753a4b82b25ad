#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""DL/T 698.45 meter simulator on a pseudo-terminal (stdlib only).

Creates a pty pair, prints "PTY <slave path>" on stdout (and writes the path
to --path-file, atomically), and answers frames written to the slave as the
meters described in --meters would on an RS-485 bus:

  GET-Request Normal, NormalList and Record (RSD selector 9, RCSD of OADs),
  ACTION-Request on 8000 (127 alarm, 128 alarm release, 129 trip, 130 close)
  and 8001 (127 protect, 128 release) with time-tag checks, SECURITY-Request
  (plaintext + RN; the reply is plaintext + MAC), the wildcard address
  AAAAAAAAAAAA (discovery), broadcast (no reply), and split replies: a reply
  APDU longer than the meter's max_apdu goes out in fragments, each sent
  after the gateway's confirmation of the one before.

With --tcp PORT the meters listen on 127.0.0.1:PORT instead (0: any free
port), one connection at a time, and "TCP <port>" is printed (and written to
--path-file) in place of the pty's path.

Disturbances, to test a reader: --preamble N|cycle (FE bytes before each
reply), --noise (bytes before each reply, including false 68H starts),
--split (each frame written in three pieces with pauses), --echo (the
request is echoed first, as a two-wire RS-485 adapter does).

--meters is a JSON list; one object per meter (all keys but address
optional; an object a meter lacks is answered with DAR 6, object does not
exist):

  address   "123456789012"
  forward   "12345.67" (kWh)      rates ["1000.01", ...] (kWh, 4)
  reverse   "12.34"
  voltage   ["220.1", ...] (V)    current ["-5.123", ...] (A)
  power     "-1234.5" (W, total; phases follow the total)   pf "-0.987"
  freq      "50.01" (Hz)
  date      "2024-03-15" | "system"   time "12:34:56"
  remain    "123.45" (yuan)       purchases 7      overdraft "0.00"
  account   "000012345678"        customer number 4003 (octet-string, BCD)
  relay     "closed" | "open" | "armed"   protect false
  frozen    [{"time": "2024-03-01 00:00:00", "forward": "12000.50",
              "rates": [...]}, ...]  (latest first)
  energy_scaler -4   the meter counts energy in 0.0001 kWh (attribute 3 says so)
  missing   ["200F0200"]           answered with DAR 6
  dar       {"80000300": 4}        answered with that DAR
  no_list   true                   NormalList answered with ERROR-Response 2
  max_apdu  60                     replies above 60 bytes are split
  control   "refuse"               every ACTION answered with DAR 15 (unauthorised)
  security  "required"             plain GETs of what a meter in security mode
                                   reads only with RN (all but energy, the
                                   wallet 202C, 4000-4002 and F0xx-F2xx/FFxx)
                                   answered with DAR 20

Every request and event is appended to --log as one JSON object per line.
The simulator exits on SIGTERM/SIGINT, or when its parent process goes away.
"""
import argparse
import datetime
import hashlib
import json
import os
import select
import signal
import socket
import sys
import time
import tty
from decimal import Decimal

NOISE = [b"\x00", b"\x11\x22", b"\x68\x01\x02", b"\x68\x22\x00\x43\x05\x01\x02\x03", b"\xfe\x00\xfe"]
# A-XDR type tags
NULL, ARRAY, STRUCT, BOOL, BITS, DLONG, DLONG_U, OCTETS = 0, 1, 2, 3, 4, 5, 6, 9
INTEGER, LONG, UNSIGNED, LONG_U, LONG64_U, ENUM, DT_S, OAD, SCALER = 15, 16, 17, 18, 21, 22, 28, 81, 89
UNITS = {"kWh": 33, "V": 38, "A": 36, "W": 27, "none": 255, "Hz": 47}
DAR_OK, DAR_UNDEFINED, DAR_NO_OBJECT, DAR_TYPE, DAR_AUTH, DAR_SECURITY, DAR_TIMETAG = 0, 4, 6, 7, 15, 20, 32


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def scaled(value, decimals):
    return int((Decimal(value) * (10 ** decimals)).to_integral_value())


def addr_bytes(text):
    text = text.rjust(12, "0")
    return bytes(int(text[i:i + 2], 16) for i in range(len(text) - 2, -2, -2))


def addr_text(a):
    return "".join("%02X" % b for b in reversed(a))


def frame(ctrl, sa, data, sa_type=0, frag=None):
    """A whole frame: 68 L C AF SA CA HCS [frag] data FCS 16 (client 00)."""
    if frag is not None:
        ctrl |= 0x20
        data = bytes([frag & 0xFF, frag >> 8]) + data
    length = 2 + 1 + 1 + len(sa) + 1 + 2 + len(data) + 2
    head = bytes([length & 0xFF, length >> 8, ctrl, sa_type << 6 | (len(sa) - 1)]) + sa + b"\x00"
    hcs = crc16(head)
    body = head + bytes([hcs & 0xFF, hcs >> 8]) + data
    fcs = crc16(body)
    return b"\x68" + body + bytes([fcs & 0xFF, fcs >> 8, 0x16])


def a_len(n):
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return bytes([0x81, n])
    return bytes([0x82, n >> 8, n & 0xFF])


def num(tag, v):
    size = {INTEGER: 1, UNSIGNED: 1, ENUM: 1, BOOL: 1, LONG: 2, LONG_U: 2, DLONG: 4, DLONG_U: 4,
            LONG64_U: 8}[tag]
    return bytes([tag]) + v.to_bytes(size, "big", signed=tag in (INTEGER, LONG, DLONG))


def array(items):
    return bytes([ARRAY]) + a_len(len(items)) + b"".join(items)


def struct(items):
    return bytes([STRUCT]) + a_len(len(items)) + b"".join(items)


def dt_s(t):
    return bytes([DT_S]) + t.year.to_bytes(2, "big") + bytes([t.month, t.day, t.hour, t.minute, t.second])


def plain_readable(oad):
    """What a meter in security mode answers to a plain GET (a vendor's
    firmware default): energy, the wallet, date-time to meter number, the
    interface objects."""
    oi = oad >> 16
    return oi < 0x1000 or oi == 0x202C or 0x4000 <= oi <= 0x4002 or (oi >> 8) in (0xF0, 0xF1, 0xF2, 0xFF)


class Reader:
    """A cursor on a request APDU."""

    def __init__(self, data):
        self.d, self.i = data, 0

    def u8(self):
        self.i += 1
        return self.d[self.i - 1]

    def take(self, n):
        self.i += n
        if self.i > len(self.d):
            raise ValueError("short")
        return self.d[self.i - n:self.i]

    def u32(self):
        return int.from_bytes(self.take(4), "big")

    def length(self):
        b = self.u8()
        return b if b < 0x80 else int.from_bytes(self.take(b & 0x7F), "big")

    def data(self):
        """Skip one Data; return its bytes."""
        start = self.i
        tag = self.u8()
        fixed = {NULL: 0, BOOL: 1, INTEGER: 1, UNSIGNED: 1, ENUM: 1, LONG: 2, LONG_U: 2, DLONG: 4,
                 DLONG_U: 4, OAD: 4, DT_S: 7, SCALER: 2, LONG64_U: 8}
        if tag in fixed:
            self.take(fixed[tag])
        elif tag in (ARRAY, STRUCT):
            for _ in range(self.length()):
                self.data()
        elif tag in (OCTETS, 10):
            self.take(self.length())
        else:
            raise ValueError("type %d" % tag)
        return self.d[start:self.i]

    def time_tag(self):
        if self.i >= len(self.d) or self.u8() == 0:
            return None
        raw = self.take(7)
        unit, interval = self.u8(), int.from_bytes(self.take(2), "big")
        t = datetime.datetime(int.from_bytes(raw[:2], "big"), raw[2], raw[3], raw[4], raw[5], raw[6])
        secs = interval * [1, 60, 3600, 86400, 86400 * 31, 86400 * 366][unit]
        return t, secs


class Meter:
    def __init__(self, spec, utc_offset_s):
        self.spec = spec
        self.addr = addr_bytes(spec["address"])
        self.relay = spec.get("relay", "closed")
        self.protect = bool(spec.get("protect", False))
        self.alarm = False
        self.offset = utc_offset_s
        self.missing = {int(o, 16) for o in spec.get("missing", [])}
        self.dars = {int(o, 16): d for o, d in spec.get("dar", {}).items()}

    def matches(self, sa, sa_type):
        if sa_type == 3:
            return True
        if len(sa) != len(self.addr):
            return False
        for w, g in zip(sa, self.addr):
            for shift in (4, 0):
                wn, gn = (w >> shift) & 0xF, (g >> shift) & 0xF
                if not (sa_type == 1 and wn == 0xA) and wn != gn:
                    return False
        return True

    def now_local(self):
        date = self.spec.get("date")
        if date == "system" or date is None:
            return datetime.datetime.fromtimestamp(int(time.time() + self.offset), datetime.timezone.utc).replace(tzinfo=None)
        return datetime.datetime.strptime(date + " " + self.spec.get("time", "00:00:00"), "%Y-%m-%d %H:%M:%S")

    def energy(self, total, rates):
        k = -self.spec.get("energy_scaler", -2)
        vals = [total] + list(rates or [])
        return array([num(LONG64_U if k > 2 else DLONG_U, scaled(v, k)) for v in vals])

    def relay_bits(self, attr):
        if attr == 3:
            bit = self.relay != "closed"
        else:
            bit = self.relay == "open"
        return bytes([BITS, 8, 0x80 if bit else 0x00])

    def value(self, oad):
        """Data for an OAD, or a DAR (int)."""
        if oad in self.dars:
            return self.dars[oad]
        if oad in self.missing:
            return DAR_NO_OBJECT
        s = self.spec
        oi, attr = oad >> 16, (oad >> 8) & 0xFF
        scalers = {0x0010: (s.get("energy_scaler", -2), "kWh"), 0x0020: (s.get("energy_scaler", -2), "kWh"),
                   0x2000: (-1, "V"), 0x2001: (-3, "A"), 0x2004: (-1, "W"), 0x200A: (-3, "none"),
                   0x200F: (-2, "Hz")}
        if attr == 3 and oi in scalers:
            sc, unit = scalers[oi]
            return bytes([SCALER, sc & 0xFF, UNITS[unit]])
        if oad == 0x00100200 and "forward" in s:
            return self.energy(s["forward"], s.get("rates"))
        if oad == 0x00200200 and "reverse" in s:
            return self.energy(s["reverse"], [])
        if oad == 0x20000200 and "voltage" in s:
            return array([num(LONG_U, scaled(v, 1)) for v in s["voltage"]])
        if oad == 0x20010200 and "current" in s:
            return array([num(DLONG, scaled(v, 3)) for v in s["current"]])
        if oad == 0x20040200 and "power" in s:
            n = len(s.get("voltage", ["x"]))
            return array([num(DLONG, scaled(s["power"], 1))] * (1 + n))
        if oad == 0x200A0200 and "pf" in s:
            return array([num(LONG, scaled(s["pf"], 3))] * 2)
        if oad == 0x200F0200 and "freq" in s:
            return num(LONG_U, scaled(s["freq"], 2))
        if oad == 0x40000200 and "date" in s:
            return dt_s(self.now_local())
        if oad == 0x40010200:
            return bytes([OCTETS, 6]) + bytes(reversed(self.addr))
        if oad == 0x202C0200 and "remain" in s:
            return struct([num(DLONG_U, scaled(s["remain"], 2)), num(DLONG_U, s.get("purchases", 0))])
        if oad == 0x40030200 and "account" in s:
            return bytes([OCTETS, len(s["account"]) // 2]) + bytes.fromhex(s["account"])
        if oad == 0x202D0200 and "overdraft" in s:
            return num(DLONG_U, scaled(s["overdraft"], 2))
        if oad in (0x80000300, 0x80000500):
            return self.relay_bits(attr)
        if oad == 0x80010200:
            return num(ENUM, 1 if self.protect else 0)
        return DAR_NO_OBJECT

    def record(self, oad, nth, cols):
        """The rows of a record read, or a DAR."""
        if oad != 0x50060200 or "frozen" not in self.spec or oad in self.missing:
            return DAR_NO_OBJECT
        recs = self.spec["frozen"]
        if nth < 1 or nth > len(recs):
            return []
        rec = recs[nth - 1]
        row = []
        for col in cols:
            if col == 0x20210200:
                row.append(dt_s(datetime.datetime.strptime(rec["time"], "%Y-%m-%d %H:%M:%S")))
            elif col == 0x00100200:
                row.append(self.energy(rec["forward"], rec.get("rates")))
            else:
                row.append(bytes([NULL]))
        return [row]


class Sim:
    def __init__(self, args, meters):
        self.args = args
        self.meters = meters
        self.n_replies = 0
        self.buf = b""
        self.log = open(args.log, "a") if args.log else None
        self.pending = None  # (meter, fragments, next index) of a split reply
        self.listener = self.conn = None
        if args.tcp is not None:
            self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.listener.bind(("127.0.0.1", args.tcp))
            self.listener.listen(1)
            self.path = "TCP %d" % self.listener.getsockname()[1]
            self.master = self.slave = None
        else:
            self.master, self.slave = os.openpty()
            tty.setraw(self.slave)
            self.path = os.ttyname(self.slave)

    def out_fd(self):
        return self.conn.fileno() if self.conn else self.master

    def event(self, **kw):
        if self.log:
            self.log.write(json.dumps(kw, sort_keys=True) + "\n")
            self.log.flush()

    def write(self, data, request=None):
        if self.listener and not self.conn:
            return
        if self.args.echo and request:
            os.write(self.out_fd(), request)
        pre = self.args.preamble
        pre = self.n_replies % 5 if pre == "cycle" else int(pre)
        out = b"\xfe" * pre + data
        if self.args.noise:
            out = NOISE[self.n_replies // 5 % len(NOISE)] + out
        self.n_replies += 1
        if self.args.split and len(out) > 3:
            cuts = [len(out) // 3, 2 * len(out) // 3]
            for part in (out[:cuts[0]], out[cuts[0]:cuts[1]], out[cuts[1]:]):
                os.write(self.out_fd(), part)
                time.sleep(0.02)
        else:
            os.write(self.out_fd(), out)

    def frames(self):
        """Complete, checked request frames from the input buffer."""
        while True:
            i = self.buf.find(b"\x68")
            if i < 0:
                self.buf = b""
                return
            self.buf = self.buf[i:]
            if len(self.buf) < 5:
                return
            length = self.buf[1] | (self.buf[2] & 0x3F) << 8
            alen = (self.buf[4] & 0x0F) + 1
            hlen = alen + 8
            if len(self.buf) < hlen:
                return
            if crc16(self.buf[1:hlen - 2]) != self.buf[hlen - 2] | self.buf[hlen - 1] << 8:
                self.buf = self.buf[1:]
                continue
            if len(self.buf) < length + 2:
                return
            f, self.buf = self.buf[:length + 2], self.buf[length + 2:]
            if f[-1] != 0x16 or crc16(f[1:-3]) != f[-3] | f[-2] << 8:
                self.event(event="bad_request", hex=f.hex())
                continue
            yield f, hlen

    def run(self):
        ppid = os.getppid()
        while True:
            if os.getppid() != ppid:
                return
            fds = [self.master] if self.master is not None else [self.listener] + ([self.conn] if self.conn else [])
            r, _, _ = select.select(fds, [], [], 0.2)
            if self.listener in r:
                if self.conn:
                    self.conn.close()
                self.conn, _ = self.listener.accept()
                self.buf = b""
                self.event(event="connect")
                continue
            if not r:
                continue
            try:
                data = os.read(self.out_fd(), 4096)
            except OSError:
                time.sleep(0.05)
                continue
            if not data and self.conn:
                self.conn.close()
                self.conn = None
                continue
            self.buf += data
            for f, hlen in list(self.frames()):
                self.handle(f, hlen)

    def handle(self, f, hlen):
        ctrl, af = f[3], f[4]
        sa, sa_type = f[5:hlen - 3], af >> 6
        user = f[hlen:-3]
        if ctrl & 0x80:
            return  # from a server: not for us
        if ctrl & 0x20:
            self.confirmed(sa, user, f)
            return
        self.event(event="request", addr=addr_text(sa), sa_type=sa_type, apdu=user.hex())
        if sa_type == 3:
            return  # broadcast: no reply
        for m in self.meters:
            if m.matches(sa, sa_type):
                apdu = self.service(m, user)
                if apdu is not None:
                    self.reply(m, apdu, f)
                return

    def reply(self, m, apdu, req):
        limit = m.spec.get("max_apdu", self.args.max_apdu)
        if len(apdu) <= limit:
            self.write(frame(0xC3, m.addr, apdu), req)
            return
        parts = [apdu[i:i + limit] for i in range(0, len(apdu), limit)]
        self.pending = (m, parts, 0)
        self.event(event="split", addr=addr_text(m.addr), fragments=len(parts))
        self.fragment(req)

    def fragment(self, req=None):
        m, parts, i = self.pending
        kind = 0 if i == 0 else (1 if i == len(parts) - 1 else 3)
        self.write(frame(0xC3, m.addr, parts[i], frag=(kind << 14) | i), req)
        self.pending = None if kind == 1 else (m, parts, i + 1)

    def confirmed(self, sa, user, req):
        if len(user) != 2 or (user[1] >> 6) != 2:
            return
        seq = user[0] | (user[1] & 0x0F) << 8
        self.event(event="confirm", addr=addr_text(sa), seq=seq)
        if self.pending and self.pending[2] == seq + 1:
            self.fragment(req)

    def service(self, m, apdu, secured=False):
        try:
            r = Reader(apdu)
            tag = r.u8()
            if tag == 0x10:
                return self.secure(m, r)
            if tag == 0x05 and m.spec.get("security") == "required" and not secured:
                return self.get(m, r, refuse=DAR_SECURITY)
            if tag == 0x05:
                return self.get(m, r)
            if tag == 0x07:
                return self.action(m, r)
        except (ValueError, IndexError) as e:
            self.event(event="bad_apdu", error=str(e), apdu=apdu.hex())
            return bytes([0xEE, 0, 1])
        return bytes([0xEE, apdu[2] if len(apdu) > 2 else 0, 2])

    def secure(self, m, r):
        if r.u8() != 0:
            return bytes([0x90, 2, DAR_SECURITY, 0])
        inner = r.take(r.length())
        if r.u8() != 1:
            return bytes([0x90, 2, DAR_SECURITY, 0])
        rn = r.take(r.length())
        self.event(event="secure", addr=addr_text(m.addr), rn=rn.hex())
        out = self.service(m, inner, secured=True) if inner[:1] != b"\x10" else None
        if out is None:
            return None
        mac = hashlib.sha256(rn + out).digest()[:4]
        return bytes([0x90, 0]) + a_len(len(out)) + out + bytes([1, 0, 4]) + mac

    def result(self, m, oad, refuse):
        v = refuse if refuse and not plain_readable(oad) else m.value(oad)
        if isinstance(v, int):
            return oad.to_bytes(4, "big") + bytes([0, v])
        return oad.to_bytes(4, "big") + b"\x01" + v

    def get(self, m, r, refuse=0):
        choice, piid = r.u8(), r.u8()
        if choice == 1:
            oad = r.u32()
            self.event(event="get", addr=addr_text(m.addr), oads=["%08X" % oad])
            return bytes([0x85, 1, piid]) + self.result(m, oad, refuse) + b"\x00\x00"
        if choice == 2:
            if m.spec.get("no_list"):
                return bytes([0xEE, piid, 2])
            oads = [r.u32() for _ in range(r.length())]
            self.event(event="get_list", addr=addr_text(m.addr), oads=["%08X" % o for o in oads])
            body = b"".join(self.result(m, o, refuse) for o in oads)
            return bytes([0x85, 2, piid]) + a_len(len(oads)) + body + b"\x00\x00"
        if choice == 3:
            oad = r.u32()
            sel = r.u8()
            nth = r.u8() if sel == 9 else 0
            cols = []
            for _ in range(r.u8()):
                if r.u8() != 0:
                    raise ValueError("ROAD column")
                cols.append(r.u32())
            self.event(event="record", addr=addr_text(m.addr), oad="%08X" % oad, nth=nth,
                       cols=["%08X" % c for c in cols])
            head = bytes([0x85, 3, piid]) + oad.to_bytes(4, "big") + bytes([len(cols)])
            head += b"".join(b"\x00" + c.to_bytes(4, "big") for c in cols)
            rows = refuse or (m.record(oad, nth, cols) if sel == 9 else DAR_TYPE)
            if isinstance(rows, int):
                return head + bytes([0, rows]) + b"\x00\x00"
            return head + b"\x01" + a_len(len(rows)) + b"".join(b"".join(row) for row in rows) + b"\x00\x00"
        return bytes([0xEE, piid, 2])

    def action(self, m, r):
        choice, piid = r.u8(), r.u8()
        if choice != 1:
            return bytes([0xEE, piid, 2])
        omd = r.u32()
        param = r.data()
        tt = r.time_tag()
        now = m.now_local() if m.spec.get("date") != "system" else \
            datetime.datetime.fromtimestamp(int(time.time() + m.offset), datetime.timezone.utc).replace(tzinfo=None)
        if m.spec.get("control") == "refuse":
            dar = DAR_AUTH
        elif tt is None or abs((now - tt[0]).total_seconds()) > tt[1]:
            dar = DAR_TIMETAG
        else:
            dar = self.command(m, omd, param)
        self.event(event="control", addr=addr_text(m.addr), omd="%08X" % omd, param=param.hex(),
                   dar=dar, relay=m.relay, protect=m.protect, alarm=m.alarm,
                   time_tag=tt[0].strftime("%Y-%m-%d %H:%M:%S") if tt else None,
                   valid_s=tt[1] if tt else None)
        return bytes([0x87, 1, piid]) + omd.to_bytes(4, "big") + bytes([dar, 0, 0, 0])

    def command(self, m, omd, param):
        if omd == 0x80008100:
            if m.protect:
                return 255
            m.relay = "open"
        elif omd == 0x80008200:
            direct = param[-1] == 1
            if m.relay != "closed":
                m.relay = "closed" if direct else "armed"
        elif omd in (0x80007F00, 0x80008000):
            m.alarm = omd == 0x80007F00
        elif omd in (0x80017F00, 0x80018000):
            m.protect = omd == 0x80017F00
        else:
            return DAR_UNDEFINED
        return DAR_OK


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--meters", required=True, help="JSON file: list of meters")
    p.add_argument("--path-file", help="write the pty slave path here")
    p.add_argument("--log", help="append JSON events here")
    p.add_argument("--preamble", default="0", help="FE bytes before replies: 0-4 or cycle")
    p.add_argument("--noise", action="store_true")
    p.add_argument("--split", action="store_true")
    p.add_argument("--echo", action="store_true")
    p.add_argument("--max-apdu", type=int, default=512, help="split replies above this")
    p.add_argument("--utc-offset-min", type=int, default=480)
    p.add_argument("--tcp", type=int, help="listen on 127.0.0.1:PORT instead of a pty")
    args = p.parse_args()
    with open(args.meters) as f:
        specs = json.load(f)
    sim = Sim(args, [Meter(s, args.utc_offset_min * 60) for s in specs])

    def stop(signum, frame_):
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.path_file:
        tmp = args.path_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(sim.path + "\n")
        os.rename(tmp, args.path_file)
    print(sim.path if sim.listener else "PTY " + sim.path, flush=True)
    try:
        sim.run()
    finally:
        if sim.master is not None:
            os.close(sim.master)
            os.close(sim.slave)


if __name__ == "__main__":
    main()
