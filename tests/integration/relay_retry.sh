#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A failed policy trip (issue 16) is a relay_fault event and is tried again
# with backoff: the simulated meter "flaky" refuses its first two relay
# moves; the trip is retried after 1 s, then 2 s, and confirmed.  The meter
# "norelay" has no relay and nothing to cut it: one relay_fault saying so,
# no retries.  No network: the snapshots come with --apply.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
TARIFF="$MB_SRC/etc/tariffs/beijing-residential.conf"

cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-retry"; };
timezone = "Asia/Shanghai";
store = { path = "$T/agent.db"; };
buses = ( { name = "b"; type = "none"; } );
meters = (
  { name = "flaky"; plugin = "sim"; bus = "b"; address = "000000000001"; account = "1";
    poll_interval = 0.2; options = { fault_relay_fail = 2; }; },
  { name = "norelay"; plugin = "sim"; bus = "b"; address = "000000000002"; account = "2";
    poll_interval = 0.2; options = { relay = false; }; }
);
CONF
start_agent "$T/agent.conf" "$T/agent.log"
db() { sql "$T/agent.db" "$1" 2>/dev/null; }
readings() { [ "$(db 'SELECT count(DISTINCT meter_id) FROM readings')" = 2 ] 2>/dev/null; }
wait_for 20 readings || fail "no readings: $(cat "$T/agent.log")"

# An answer with a zero balance for both meters: the policy trips at once.
$PY - "$TARIFF" "$T/agent.db" >"$T/answer.json" <<'PY'
import json, sqlite3, sys, time
tariff, dbpath = sys.argv[1:]
db = sqlite3.connect(dbpath)
meters = []
for addr, acct in (("000000000001", "1"), ("000000000002", "2")):
    seq, ts, wh = db.execute("SELECT r.seq, r.ts, r.import_wh FROM readings r JOIN meters m"
                             " ON m.id = r.meter_id WHERE m.address = ? ORDER BY r.seq DESC"
                             " LIMIT 1", (addr,)).fetchone()
    lt = time.localtime(ts)
    meters.append({"meter": addr, "account": acct, "mode": "prepaid", "protected": False,
                   "balance_fen": 0, "ref": {"seq": seq, "t": ts, "import_wh": wh},
                   "tier": {"period_start": 0, "used_wh": 0},
                   "acc": {"month": "%04d-%02d" % (lt.tm_year, lt.tm_mon), "lines": []},
                   "tariff": {"id": "cn-bj-residential", "hash": "h1", "text": open(tariff).read()},
                   "thresholds": {"alarm1_fen": 700, "alarm2_fen": 400, "credit_limit_fen": 0,
                                  "reconnect_fen": 200}})
print(json.dumps({"server_time": int(time.time()), "meters": meters}))
PY
"$MB_AGENT" -c "$T/agent.conf" --apply "$T/answer.json" >/dev/null || fail "--apply failed"

ev() { db "SELECT group_concat(type || ':' || coalesce(json_extract(data, '\$.attempt'), '') || ':' ||
                   coalesce(json_extract(data, '\$.retry_in_ms'), ''), ' ')
           FROM (SELECT * FROM events WHERE meter_id = (SELECT id FROM meters WHERE name = '$1')
                 AND type IN ('relay_fault', 'relay_confirmed') ORDER BY id)"; }
confirmed() { ev flaky | grep -q relay_confirmed; }
wait_for 30 confirmed || fail "flaky never confirmed: $(ev flaky); $(tail -5 "$T/agent.log")"
[ "$(ev flaky)" = "relay_fault:1:1000 relay_fault:2:2000 relay_confirmed::" ] ||
  fail "flaky: $(ev flaky)"
db "SELECT reason FROM events WHERE type = 'relay_fault' AND meter_id =
    (SELECT id FROM meters WHERE name = 'flaky') ORDER BY id LIMIT 1" |
  grep -q "trip, attempt 1: relay driver did not respond" || fail "no reason in the relay_fault"
pass "a failed policy trip is a relay_fault, retried after 1 s and 2 s, then confirmed"

sleep 3
[ "$(ev norelay)" = "relay_fault::" ] || fail "norelay: $(ev norelay)"
db "SELECT reason FROM events WHERE type = 'relay_fault' AND meter_id = (SELECT id FROM meters WHERE name = 'norelay')" |
  grep -q "meter norelay cannot trip (plugin sim, not this meter) and has no relay device: set relay or relay_fallback" ||
  fail "norelay reason: $(db "SELECT reason FROM events WHERE type = 'relay_fault'")"
pass "a meter nothing can cut: one relay_fault with the reason, no retries"
