# SPDX-License-Identifier: Apache-2.0
# The transformer-area scenario of areas_loss.sh and areas_browser.sh
# (sourced after server_lib.sh, with a server started and ADMIN set):
#
#   TQ-1: main meter Z1, members H1 H2 H3 (from 10-01); H3 moves to TQ-2 on
#   10-16 and back on 11-01; TQ-2 has no main meter.  H4 (gateway gw-2,
#   region 110108) stands in no area.  Each meter is read at 00:00:30 every
#   day of 11-01..11-15 (the day's boundary: the reading nearest midnight)
#   and at noon; October has its two boundaries (and H3's on 10-16).
#     Z1 +6400 Wh a day, H1 +1000, H2 +2000, H3 +3000: loss 400 / 6400 =
#     6.25 % (625), in the band 0..15 %.  Z1 is behind a CT: 200/5 (x40),
#     its register moves 160 Wh a day; the CT is replaced by a 400/5 (x80)
#     at noon on 11-08 (register +80 by then, +40 the rest of the day),
#     +80 Wh a day after: 6400 Wh every day all the same.
#     11-12: H3's meter stops (bypass): sales 3000, loss 3400 / 6400 =
#     53.125 % -> 5313, out of band by 38.125 % (3812); H3's change against
#     its own week is -3000 Wh, the biggest.
#     11-14: H2 is not read around midnight (first reading at 03:00, outside
#     the hour's window): 11-13 and 11-14 are not computable, naming H2.
#     11-05: H1 is read at 08:00 only, but that reading carries its register
#     frozen at midnight: the day's boundary all the same.
#   October (monthly): Z1 150000 Wh; H1 30000, H2 60000, and H3 45000 up to
#   10-16 (then in TQ-2): sales 135000, loss 15000 = 10.00 % (1000).
#   Collection at the end of 11-13: TQ-1 3 of 4 (75.00 %), region 110105
#   3 of 4, region 110108 1 of 1; fleet 4 of 5.
areas_scenario() {
  api POST /api/v1/gateways '{"name":"gw-1","region":"110105"}'; expect 201; GW1=$(j '["token"]')
  api POST /api/v1/gateways '{"name":"gw-2","region":"110108"}'; expect 201; GW2=$(j '["token"]')
  api PUT /api/v1/meters/Z1 '{"gateway":"gw-1"}'; expect 200
  for n in 1 2 3 4; do
    api POST /api/v1/accounts "{\"number\":\"A$n\",\"holder\":\"户$n\"}"; expect 201
    gw=gw-1; [ $n = 4 ] && gw=gw-2
    api PUT /api/v1/meters/H$n "{\"gateway\":\"$gw\",\"account\":\"A$n\"}"; expect 200
  done
  # the meters were installed before the period (expected by collection from then)
  sqlv "UPDATE meters SET bound_at = $(at 2026-09-01)" >/dev/null
  api POST /api/v1/areas '{"code":"TQ-1","name":"朝阳1号台区","region":"110105"}'; expect 201
  api POST /api/v1/areas '{"code":"TQ-2","name":"朝阳2号台区","region":"110105"}'; expect 201
  place() { api PUT "/api/v1/meters/$1/area" "{\"area\":\"$2\",\"role\":\"${4:-member}\",\"effective\":\"$3\"}"; expect 200; }
  place Z1 TQ-1 2026-10-01 main
  for m in H1 H2 H3; do place $m TQ-1 2026-10-01; done
  place H3 TQ-2 2026-10-16
  place H3 TQ-1 2026-11-01
  api POST /api/v1/meters/Z1/multiplier '{"ct":"200/5"}'; expect 201

  # Readings: meter day-increments; days 10-01 .. 11-15.
  /usr/bin/python3 - "$T" <<'PY'
import json, os, subprocess, sys, time
T = sys.argv[1]
os.environ["TZ"] = "Asia/Shanghai"; time.tzset()
def at(s): return int(time.mktime(time.strptime(s, "%Y-%m-%d %H:%M:%S")))
daily = {"Z1": 6400, "H1": 1000, "H2": 2000, "H3": 3000, "H4": 500}
reg = {m: 1000000 * (i + 1) for i, m in enumerate(daily)}
seq = {m: 0 for m in daily}
batches = {"gw-1": [], "gw-2": []}
def read(m, ts, wh, frozen=None):
    seq[m] += 1
    r = {"meter": m, "seq": seq[m], "ts": ts, "import_wh": wh}
    if frozen:
        r["frozen_import_wh"], r["frozen_time"] = frozen
    batches["gw-2" if m == "H4" else "gw-1"].append(r)
# October: two boundaries (and H3's at 10-16), by the monthly figures
oct_e = {"Z1": 150000 // 40, "H1": 30000, "H2": 60000, "H3": 90000, "H4": 15500}
daily["Z1"] = 160                           # on the register, behind CT 200/5
for m in daily:
    read(m, at("2026-10-01 00:00:30"), reg[m])
    if m == "H3":
        read(m, at("2026-10-16 00:00:30"), reg[m] + 45000)
    reg[m] += oct_e[m]
# November: every day at 00:00:30 and at noon
day = at("2026-11-01 00:00:00")
for k in range(15):
    d = time.strftime("%Y-%m-%d", time.localtime(day + k * 86400 + 3600))
    for m in daily:
        inc = daily[m]
        if m == "H3" and d == "2026-11-12":
            inc = 0                         # the meter stops for the day
        if m == "H2" and d == "2026-11-14":
            read(m, at(d + " 03:00:00"), reg[m] + 250)   # no reading near midnight
        elif m == "H1" and d == "2026-11-05":             # read at 08:00 with its midnight freeze
            read(m, at(d + " 08:00:00"), reg[m] + 333, (reg[m], at(d + " 00:00:00")))
        else:
            read(m, at(d + " 00:00:30"), reg[m])
        read(m, at(d + " 12:00:00"), reg[m] + inc // 2)
        if m == "Z1" and d == "2026-11-08":     # CT 400/5 from noon: half the rest
            inc, daily["Z1"] = inc // 2 + inc // 4, 80
        reg[m] += inc
for gw, rows in batches.items():
    json.dump({"gateway": gw, "readings": rows}, open("%s/%s.json" % (T, gw), "w"))
PY
  api POST /api/v1/readings "@$T/gw-1.json" "$GW1"; expect 200
  api POST /api/v1/readings "@$T/gw-2.json" "$GW2"; expect 200
  # the CT replaced at noon on 11-08, told after its readings came
  api POST /api/v1/meters/Z1/multiplier "{\"ct\":\"400/5\",\"register_wh\":$(sqlv "SELECT import_wh FROM readings
    r JOIN meters m ON m.id = r.meter_id WHERE m.address = 'Z1' AND r.ts = $(date -d '2026-11-08 12:00' +%s)"),\"at\":$(date -d '2026-11-08 12:00' +%s)}"
  expect 201
}

# need_browser [MUST]: Debian's chromium and node, and playwright-core from
# tests/browser/package-lock.json (installed once, never a browser
# download); exits 77 (skip) when chromium or node is missing, or fails
# with MUST (a test whose other checks ran).
need_browser() {
  BROWSER=$MB_SRC/tests/browser
  if [ ! -x /usr/bin/chromium ] || ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    [ -n "${1:-}" ] && fail "the wall check needs chromium and node (scripts/debian-packages.txt)"
    echo "SKIP: chromium or node is not installed"; exit 77
  fi
  if [ ! -d "$BROWSER/node_modules/playwright-core" ]; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$BROWSER" --no-audit --no-fund >"$T/npm.log" 2>&1 \
      || fail "npm ci --prefix tests/browser: $(cat "$T/npm.log")"
  fi
}
