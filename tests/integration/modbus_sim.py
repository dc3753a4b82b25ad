#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Modbus meter simulator for the modbus plugin's integration tests.

Runs with Debian's python3-pymodbus (3.0.x): call it with /usr/bin/python3.

  modbus_sim.py serve (--tcp HOST:PORT | --rtu DEVICE [--baud N])
                --meter SPEC [--meter SPEC ...]
                [--port-file F] [--ready-file F] [--expect F] [--log F] [--state F]
                [--count F]
  modbus_sim.py check --expect F [--meters NAME,...] [--requests]  < meterbox-agent --once output
  modbus_sim.py plan --meter SPEC     (print the map the simulator uses, for debugging)

A SPEC is comma-separated key=value pairs:
  name=NAME        the meter's name in the agent's config (default u<unit>)
  unit=N           Modbus unit id
  profile=P        a built-in profile (ddsu666 dtsu666 sdm120 sdm630 abb_b21 abb_b23)
  map=TEXT         a register map in the plugin's syntax (see docs/plugins/modbus.md);
                   may amend a profile
  word_order=O     applied to the profile's entries, as the plugin's option does
  QUANTITY=VALUE   the value the meter holds, in the reading's units: import_wh,
                   export_wh, rate1_wh..rate4_wh (Wh), power (mW), voltage[_l1..3]
                   (mV), current[_l1..3] (mA), pf (thousandths), freq (mHz)
  coil=ADDR        a relay coil, initially ON
  relay_register=ADDR  a relay holding register, initially 1
  fault=F          silent (never answers), crc (RTU: corrupts the CRC),
                   unit:N (answers as unit N)
  max_gap=N        the plugin's max_gap option (default 24, as the plugin's):
                   the expected number of requests follows it
  gaps=refuse      registers between the mapped ones do not exist (a read across
                   them gets exception 2); by default they read 0, as on a meter
                   whose table has no holes there
  na=Q1+Q2         these quantities hold their "not available" marker: NaN for a
                   float, the type's largest value for an integer (ABB); the
                   plugin must leave them out (and name them in "missing"), not
                   print the marker as a value

The map is parsed and encoded here independently of the plugin's C code.
`serve` writes, per meter, the values it holds and what the plugin must print
(--expect); `check` compares the agent's JSON lines with it: each value must
equal the exact decoding of the registers (rounded half away from zero, as
the plugin documents) and lie within the meter's resolution of the value the
simulator holds.
"""
import argparse
import asyncio
import json
import math
import os
import signal
import struct
import sys
from fractions import Fraction

PROFILES = {
    # Written from the vendors' register tables (see docs/plugins/modbus.md),
    # not copied from the plugin.
    "ddsu666": "voltage:0x2000:f32:3:ABCD:V; current:0x2002:f32:3:ABCD:A; "
    "power:0x2004:f32:3:ABCD:kW; pf:0x200A:f32:3:ABCD:1; freq:0x200E:f32:3:ABCD:Hz; "
    "import_wh:0x4000:f32:3:ABCD:kWh",
    "dtsu666": "voltage_l1:0x2006:f32:3:ABCD:V:0.1; voltage_l2:0x2008:f32:3:ABCD:V:0.1; "
    "voltage_l3:0x200A:f32:3:ABCD:V:0.1; current_l1:0x200C:f32:3:ABCD:A:0.001; "
    "current_l2:0x200E:f32:3:ABCD:A:0.001; current_l3:0x2010:f32:3:ABCD:A:0.001; "
    "power:0x2012:f32:3:ABCD:W:0.1; pf:0x202A:f32:3:ABCD:1:0.001; "
    "freq:0x2044:f32:3:ABCD:Hz:0.01; import_wh:0x101E:f32:3:ABCD:kWh; "
    "export_wh:0x1028:f32:3:ABCD:kWh",
    "sdm120": "voltage:0:f32:4:ABCD:V; current:6:f32:4:ABCD:A; power:12:f32:4:ABCD:W; "
    "pf:30:f32:4:ABCD:1; freq:70:f32:4:ABCD:Hz; import_wh:72:f32:4:ABCD:kWh; "
    "export_wh:74:f32:4:ABCD:kWh",
    "sdm630": "voltage_l1:0:f32:4:ABCD:V; voltage_l2:2:f32:4:ABCD:V; voltage_l3:4:f32:4:ABCD:V; "
    "current_l1:6:f32:4:ABCD:A; current_l2:8:f32:4:ABCD:A; current_l3:10:f32:4:ABCD:A; "
    "power:52:f32:4:ABCD:W; pf:62:f32:4:ABCD:1; freq:70:f32:4:ABCD:Hz; "
    "import_wh:72:f32:4:ABCD:kWh; export_wh:74:f32:4:ABCD:kWh",
    "abb_b21": "import_wh:0x5000:u64:3:ABCD:kWh:0.01; export_wh:0x5004:u64:3:ABCD:kWh:0.01; "
    "voltage:0x5B00:u32:3:ABCD:V:0.1; current:0x5B0C:u32:3:ABCD:A:0.01; "
    "power:0x5B14:s32:3:ABCD:W:0.01; freq:0x5B2C:u16:3:ABCD:Hz:0.01; "
    "pf:0x5B3A:s16:3:ABCD:1:0.001",
    "abb_b23": "import_wh:0x5000:u64:3:ABCD:kWh:0.01; export_wh:0x5004:u64:3:ABCD:kWh:0.01; "
    "voltage_l1:0x5B00:u32:3:ABCD:V:0.1; voltage_l2:0x5B02:u32:3:ABCD:V:0.1; "
    "voltage_l3:0x5B04:u32:3:ABCD:V:0.1; current_l1:0x5B0C:u32:3:ABCD:A:0.01; "
    "current_l2:0x5B0E:u32:3:ABCD:A:0.01; current_l3:0x5B10:u32:3:ABCD:A:0.01; "
    "power:0x5B14:s32:3:ABCD:W:0.01; freq:0x5B2C:u16:3:ABCD:Hz:0.01; "
    "pf:0x5B3A:s16:3:ABCD:1:0.001",
}

QUANTITIES = ["import_wh", "export_wh", "power", "voltage_l1", "voltage_l2", "voltage_l3",
              "current_l1", "current_l2", "current_l3", "pf", "freq",
              "rate1_wh", "rate2_wh", "rate3_wh", "rate4_wh"]
ALIASES = {"voltage": "voltage_l1", "current": "current_l1"}
CLASS = {"import_wh": "energy", "export_wh": "energy", "power": "power", "pf": "pf",
         "freq": "freq"}
for _q in QUANTITIES:
    if _q.startswith("voltage"):
        CLASS[_q] = "voltage"
    elif _q.startswith("current"):
        CLASS[_q] = "current"
    elif _q.startswith("rate"):
        CLASS[_q] = "energy"
# factor from the register's unit to the reading's unit; first is the default
UNITS = {
    "energy": {"Wh": 1, "kWh": 1000, "MWh": 1000000},
    "power": {"W": 1000, "mW": 1, "kW": 1000000, "MW": 1000000000},
    "voltage": {"V": 1000, "mV": 1, "kV": 1000000},
    "current": {"A": 1000, "mA": 1, "kA": 1000000},
    "pf": {"1": 1000, "%": 10, "milli": 1},
    "freq": {"Hz": 1000, "mHz": 1},
}
TYPES = {"u16": (1, False, "int"), "s16": (1, True, "int"), "u32": (2, False, "int"),
         "s32": (2, True, "int"), "u64": (4, False, "int"), "s64": (4, True, "int"),
         "f32": (2, True, "float"), "f64": (4, True, "float")}
ORDERS = ("ABCD", "CDAB", "BADC", "DCBA")
# JSON field of the agent's --once output, and index for phase arrays
OUTPUT = {"import_wh": ("import_wh", None), "export_wh": ("export_wh", None),
          "power": ("power_mw", None), "pf": ("pf_milli", None), "freq": ("freq_mhz", None),
          "voltage_l1": ("voltage_mv", 0), "voltage_l2": ("voltage_mv", 1),
          "voltage_l3": ("voltage_mv", 2), "current_l1": ("current_ma", 0),
          "current_l2": ("current_ma", 1), "current_l3": ("current_ma", 2),
          "rate1_wh": ("rate_wh", 0), "rate2_wh": ("rate_wh", 1), "rate3_wh": ("rate_wh", 2),
          "rate4_wh": ("rate_wh", 3)}


def parse_map(text, order=None, entries=None):
    """Map text -> {quantity: entry}; entries may hold a profile to amend."""
    entries = dict(entries or {})
    for raw in text.split(";"):
        raw = raw.strip()
        if not raw:
            continue
        f = [x.strip() for x in raw.split(":")]
        f += [""] * (7 - len(f))
        q = ALIASES.get(f[0], f[0])
        if q not in QUANTITIES:
            raise ValueError(f"unknown quantity {f[0]!r}")
        cls = CLASS[q]
        unit = f[5] or next(iter(UNITS[cls]))
        scale = Fraction(f[6]) if f[6] else Fraction(1)
        entries[q] = {
            "reg": int(f[1], 0),
            "type": f[2].lower(),
            "fc": int(f[3] or "3"),
            "order": (f[4] or order or "ABCD").upper(),
            "factor": scale * UNITS[cls][unit],
        }
    return entries


def meter_map(spec):
    entries = {}
    if "profile" in spec:
        entries = parse_map(PROFILES[spec["profile"]])
        if "word_order" in spec:
            for e in entries.values():
                e["order"] = spec["word_order"]
    if "map" in spec:
        entries = parse_map(spec["map"], spec.get("word_order"), entries)
    return entries


def to_registers(e, value):
    """Encode the value (reading units) into the entry's registers and return
    (registers, the exact value they decode to in reading units, resolution)."""
    nregs, signed, kind = TYPES[e["type"]]
    raw = Fraction(value) / e["factor"]
    if kind == "float":
        fmt = ">f" if nregs == 2 else ">d"
        data = struct.pack(fmt, float(raw))
        held = Fraction(struct.unpack(fmt, data)[0])
        mant, exp = math.frexp(float(held) if held else 1.0)
        ulp = Fraction(2) ** (exp - (24 if nregs == 2 else 53))
        resolution = ulp * abs(e["factor"])
    else:
        bits = 16 * nregs
        iv = round_half_away(raw)
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        if not lo <= iv <= hi:
            raise ValueError(f"{value} does not fit {e['type']}")
        data = (iv & ((1 << bits) - 1)).to_bytes(2 * nregs, "big")
        held = Fraction(iv)
        resolution = abs(e["factor"])
    words = [data[i:i + 2] for i in range(0, len(data), 2)]  # most significant first
    if e["order"] in ("CDAB", "DCBA"):
        words.reverse()
    if e["order"] in ("BADC", "DCBA"):
        words = [w[::-1] for w in words]
    regs = [w[0] << 8 | w[1] for w in words]
    return regs, held * e["factor"], resolution


def round_half_away(x):
    x = Fraction(x)
    n = math.floor(abs(x) + Fraction(1, 2))
    return -n if x < 0 else n


def default_values(unit):
    """Plausible, distinct values per unit (reading units)."""
    return {
        "import_wh": 12345678 + 1111 * unit, "export_wh": 234567 + 77 * unit,
        "power": 1234567 + 1000 * unit, "voltage_l1": 230100 + 100 * unit,
        "voltage_l2": 229800 + 100 * unit, "voltage_l3": 231400 + 100 * unit,
        "current_l1": 5123 + unit, "current_l2": 4877 + unit, "current_l3": 6002 + unit,
        "pf": 985 - unit, "freq": 50010 - unit,
        "rate1_wh": 1000000 + unit, "rate2_wh": 2000000 + unit, "rate3_wh": 3000000 + unit,
        "rate4_wh": 4000000 + unit,
    }


def parse_spec(text):
    spec = {}
    for part in text.split(","):
        if not part:
            continue
        k, _, v = part.partition("=")
        spec[k.strip()] = v.strip()
    spec["unit"] = int(spec["unit"])
    spec.setdefault("name", f"u{spec['unit']}")
    return spec


DEFAULT_MAX_GAP = 24


def plan_spans(entries, max_gap=DEFAULT_MAX_GAP):
    """The requests the plugin should make, [fc, start, end): registers merged
    per function code while they touch, overlap or leave a gap of at most
    max_gap, at most 125 per request."""
    spans = sorted((e["fc"], e["reg"], e["reg"] + TYPES[e["type"]][0]) for e in entries.values())
    out = []
    for fc, start, end in spans:
        cur = out[-1] if out else None
        if cur and cur[0] == fc and start <= cur[2] + max_gap and end - cur[1] <= 125:
            cur[2] = max(cur[2], end)
        else:
            out.append([fc, start, end])
    return out


def plan_requests(entries, max_gap=DEFAULT_MAX_GAP):
    return len(plan_spans(entries, max_gap))


def marker(e):
    """The registers of entry e's "not available" marker."""
    nregs, signed, kind = TYPES[e["type"]]
    if kind == "float":
        data = struct.pack(">f" if nregs == 2 else ">d", float("nan"))
    else:
        bits = 16 * nregs
        data = ((1 << (bits - 1)) - 1 if signed else (1 << bits) - 1).to_bytes(2 * nregs, "big")
    words = [data[i:i + 2] for i in range(0, len(data), 2)]
    if e["order"] in ("CDAB", "DCBA"):
        words.reverse()
    if e["order"] in ("BADC", "DCBA"):
        words = [w[::-1] for w in words]
    return [w[0] << 8 | w[1] for w in words]


def build_meter(spec):
    entries = meter_map(spec)
    values = default_values(spec["unit"])
    for k, v in spec.items():
        q = ALIASES.get(k, k)
        if q in QUANTITIES:
            values[q] = int(v)
    na = [ALIASES.get(q, q) for q in spec.get("na", "").split("+") if q]
    hr, ir, expect = {}, {}, {}
    for q, e in entries.items():
        regs, held, res = to_registers(e, values[q])
        if q in na:
            regs = marker(e)
        store = hr if e["fc"] == 3 else ir
        for i, r in enumerate(regs):
            store[e["reg"] + i] = r
        if q not in na:
            expect[q] = {"holds": values[q], "decoded": str(held), "resolution": str(res)}
    if spec.get("gaps") != "refuse":
        for fc, start, end in plan_spans(entries, int(spec.get("max_gap", DEFAULT_MAX_GAP))):
            store = hr if fc == 3 else ir
            for a in range(start, end):
                store.setdefault(a, 0)
    return entries, hr, ir, expect


# ---- serve ------------------------------------------------------------------


def serve(args):
    from pymodbus.datastore import (ModbusServerContext, ModbusSlaveContext,
                                    ModbusSparseDataBlock)
    from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer
    from pymodbus.factory import ServerDecoder

    specs = [parse_spec(s) for s in args.meter]
    slaves, expect, faults, relays = {}, {}, {}, {}
    for spec in specs:
        entries, hr, ir, exp = build_meter(spec)
        co, watch = {}, []
        if "coil" in spec:
            co[int(spec["coil"], 0)] = 1
            watch.append((1, int(spec["coil"], 0), f"coil {int(spec['coil'], 0)}"))
        if "relay_register" in spec:
            hr[int(spec["relay_register"], 0)] = 1
            watch.append((3, int(spec["relay_register"], 0),
                          f"register {int(spec['relay_register'], 0)}"))
        relays[spec["unit"]] = watch
        slaves[spec["unit"]] = ModbusSlaveContext(
            di=ModbusSparseDataBlock({}), co=ModbusSparseDataBlock(co),
            hr=ModbusSparseDataBlock(hr), ir=ModbusSparseDataBlock(ir), zero_mode=True)
        if args.count and "import_wh" in entries:
            count_reads(slaves[spec["unit"]], spec["unit"], entries["import_wh"], args.count)
        faults[spec["unit"]] = spec.get("fault", "none")
        expect[spec["name"]] = {
            "unit": spec["unit"], "values": exp,
            "not_available": [ALIASES.get(q, q) for q in spec.get("na", "").split("+") if q],
            "requests": plan_requests(entries, int(spec.get("max_gap", DEFAULT_MAX_GAP)))}
    context = ModbusServerContext(slaves=slaves, single=False)
    if args.expect:
        write_atomic(args.expect, json.dumps(expect, indent=1, sort_keys=True))
    rtu_framer = ModbusRtuFramer(ServerDecoder())

    def dump_state():
        if not args.state:
            return
        state = {str(u): {name: int(slaves[u].getValues(fc, a, 1)[0]) for fc, a, name in watch}
                 for u, watch in relays.items()}
        write_atomic(args.state, json.dumps(state, sort_keys=True))

    def manipulate(response):
        unit = response.unit_id
        if args.log:
            with open(args.log, "a", encoding="ascii") as f:
                f.write(f"{unit} {response.function_code}\n")
        dump_state()
        fault = faults.get(unit, "none")
        if fault == "silent":
            return b"", True
        if fault == "crc" and args.rtu:
            pkt = bytearray(rtu_framer.buildPacket(response))
            pkt[-1] ^= 0x5A
            return bytes(pkt), True
        if fault.startswith("unit:"):
            response.unit_id = int(fault[5:])
        return response, False

    dump_state()
    asyncio.run(run_server(args, context, manipulate, ModbusRtuFramer, ModbusSocketFramer))


READS = {}


def count_reads(slave, unit, e, path):
    """Count the reads of the meter's energy register: one per reading,
    whoever reads and in however many requests (bench/bench_agent.sh)."""
    get = slave.getValues

    def counted(fc, address, count=1):
        if fc == e["fc"] and address <= e["reg"] < address + count:
            READS[unit] = READS.get(unit, 0) + 1
            write_atomic(path, "".join(f"{u} {n}\n" for u, n in sorted(READS.items())))
        return get(fc, address, count)
    slave.getValues = counted


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(text)
    os.replace(tmp, path)


async def run_server(args, context, manipulate, rtu_framer, tcp_framer):
    from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer

    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(True))
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        server = ModbusTcpServer(context, framer=tcp_framer, address=(host, int(port)),
                                 allow_reuse_address=True, response_manipulator=manipulate)
        task = asyncio.create_task(server.serve_forever())
        await server.serving
        port = server.server.sockets[0].getsockname()[1]
        if args.port_file:
            write_atomic(args.port_file, f"{port}\n")
    else:
        server = ModbusSerialServer(context, framer=rtu_framer, port=args.rtu,
                                    baudrate=args.baud, bytesize=8, parity="N", stopbits=1,
                                    timeout=0.005, response_manipulator=manipulate)
        await server.start()
        if server.transport is None:
            raise SystemExit(f"modbus_sim: cannot open {args.rtu}")
        task = asyncio.create_task(server.serve_forever())
    if args.ready_file:
        write_atomic(args.ready_file, "ready\n")
    await stop
    task.cancel()
    await server.shutdown()


# ---- check ------------------------------------------------------------------


def check(args):
    with open(args.expect, encoding="ascii") as f:
        expect = json.load(f)
    names = args.meters.split(",") if args.meters else list(expect)
    got = {}
    for line in sys.stdin:
        line = line.strip()
        if line:
            r = json.loads(line)
            got[r["meter"]] = r
    counts = {}
    if args.requests:
        with open(args.requests, encoding="ascii") as f:
            for line in f:
                unit = int(line.split()[0])
                counts[unit] = counts.get(unit, 0) + 1
    bad = 0
    for name in names:
        exp = expect[name]
        if name not in got:
            print(f"FAIL {name}: no reading printed")
            bad += 1
            continue
        r = got[name]
        for q, e in sorted(exp["values"].items()):
            field, idx = OUTPUT[q]
            v = r.get(field)
            if v is not None and idx is not None:
                v = v[idx] if idx < len(v) else None
            want = round_half_away(Fraction(e["decoded"]))
            tol = Fraction(e["resolution"]) / 2 + Fraction(1, 2)
            if v is None:
                print(f"FAIL {name}: {q} missing ({field})")
                bad += 1
            elif v != want:
                print(f"FAIL {name}: {q} = {v}, the registers decode to {want}")
                bad += 1
            elif abs(v - e["holds"]) > tol:
                print(f"FAIL {name}: {q} = {v}, the meter holds {e['holds']} "
                      f"(resolution {float(Fraction(e['resolution'])):g})")
                bad += 1
        for q in exp.get("not_available", []):
            field, idx = OUTPUT[q]
            if field in r:
                print(f"FAIL {name}: {q} holds its not-available marker but {field} = "
                      f"{r[field]} was printed")
                bad += 1
            elif q.split("_")[0] not in r.get("missing", ""):
                print(f"FAIL {name}: {q} left out without a reason: {r.get('missing')!r}")
                bad += 1
        if args.requests and counts.get(exp["unit"], 0) != exp["requests"]:
            print(f"FAIL {name}: {counts.get(exp['unit'], 0)} requests, "
                  f"expected {exp['requests']}")
            bad += 1
        if not bad:
            print(f"ok {name}: {len(exp['values'])} values")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--tcp", help="HOST:PORT to listen on (port 0: any free port)")
    g.add_argument("--rtu", help="serial device (one end of a pty pair)")
    s.add_argument("--baud", type=int, default=19200)
    s.add_argument("--meter", action="append", required=True)
    s.add_argument("--port-file")
    s.add_argument("--ready-file")
    s.add_argument("--expect")
    s.add_argument("--log", help="append one line 'unit fc' per answered request")
    s.add_argument("--state", help="JSON of the relay coils and registers, rewritten on each "
                   "request: {unit: {\"coil 16\": 1}}")
    s.add_argument("--count", help="lines 'unit reads' of each meter's energy register, "
                   "rewritten on each such read: readings taken, by any reader")
    c = sub.add_parser("check")
    c.add_argument("--expect", required=True)
    c.add_argument("--meters")
    c.add_argument("--requests", help="the --log file: check the number of requests")
    p = sub.add_parser("plan")
    p.add_argument("--meter", required=True)
    args = ap.parse_args()
    if args.cmd == "serve":
        serve(args)
        return 0
    if args.cmd == "check":
        return check(args)
    entries, hr, ir, exp = build_meter(parse_spec(args.meter))
    print(json.dumps({"entries": {q: {**e, "factor": str(e["factor"])}
                                  for q, e in entries.items()},
                      "hr": hr, "ir": ir, "expect": exp}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
