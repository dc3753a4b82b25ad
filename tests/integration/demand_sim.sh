#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The maximum demand end to end: the sim plugin registers it (option
# demand: the largest average power of a block, here of 1 s, flat 4.8 kW),
# the agent stores it in agent.db and uploads it (docs/wire.md), the server
# keeps it in typed columns and answers it in a meter's readings; --once
# prints it.  The close's arithmetic on it is seam_demand.sh's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_with_gateway gw-dem
api PUT /api/v1/meters/000000000041 '{"gateway":"gw-dem"}'; expect 200

cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-dem"; };
timezone = "Asia/Shanghai";
store = { path = "$T/agent.db"; };
server = { url = "$URL"; token = "$GW"; interval = 1; backoff_max = 2; timeout = 5; };
buses = ( { name = "b"; type = "none"; } );
meters = (
  { name = "ent"; plugin = "sim"; bus = "b"; address = "000000000041"; poll_interval = 0.5;
    options = { profile = "flat"; base_w = 4800; peak_w = 4800; noise_pct = 0;
                demand = true; demand_interval_s = 1; }; }
);
CONF
"$MB_AGENT" -t -c "$T/agent.conf" >/dev/null || fail "agent config rejected"
"$MB_AGENT" --once -c "$T/agent.conf" >"$T/once.json" 2>"$T/once.err" || fail "--once: $(cat "$T/once.err")"
grep -q '"demand_mw":' "$T/once.json" || fail "--once shows no demand: $(cat "$T/once.json")"
pass "--once prints the meter's maximum demand"

start_agent "$T/agent.conf" "$T/agent.log"
# a whole 1 s block of 4.8 kW seen by a reading the server stored
arrived() {
  api GET /api/v1/meters/000000000041/readings
  /usr/bin/python3 - "$T/resp" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["readings"]
sys.exit(0 if any(r.get("demand_mw") == 4800000 and r.get("demand_time", 0) > 1700000000 for r in rs) else 1)
PY
}
wait_for 60 arrived || fail "no demand on the server: $(cat "$T/resp"); $(tail -5 "$T/agent.log")"
pass "the sim's maximum demand (4.8 kW, with its time) reached the server's readings through agent.db"
