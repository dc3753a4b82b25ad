# SPDX-License-Identifier: Apache-2.0
# Helpers for the DL/T 645 integration tests (sourced after lib.sh): the meter
# simulator on a pty (dlt645_sim.py) and a checker of `--once` JSON lines.
SIM_PY="$MB_SRC/tests/integration/dlt645_sim.py"

# start_sim METERS_JSON [sim options...]: start the simulator; sets SIM_PID
# and PTY (the slave path the agent's bus points at).
start_sim() {
  local meters=$1; shift
  rm -f "$T/pty"
  /usr/bin/python3 "$SIM_PY" --meters "$meters" --path-file "$T/pty" --log "$T/sim.log" "$@" \
    >/dev/null 2>"$T/sim.err" &
  SIM_PID=$!
  PIDS+=("$SIM_PID")
  wait_for 20 test -s "$T/pty" || fail "simulator did not start: $(cat "$T/sim.err")"
  PTY=$(cat "$T/pty")
}

stop_sim() {
  kill "$SIM_PID" 2>/dev/null || true
  wait "$SIM_PID" 2>/dev/null || true
}

# check_json EXPECTED_JSON < once-output: every meter in EXPECTED has exactly
# the listed fields (besides meter, plugin, bus, account, ts) with these values.
CHECK_JSON_PY=$(cat <<'PY'
import json, sys
want = json.loads(open(sys.argv[1]).read())
got = {}
for line in sys.stdin:
    line = line.strip()
    if line:
        o = json.loads(line)
        got[o["meter"]] = {k: v for k, v in o.items() if k not in ("meter", "plugin", "bus", "account", "ts")}
bad = []
for name, fields in want.items():
    if name not in got:
        bad.append("%s: no reading" % name)
    elif got[name] != fields:
        keys = sorted(set(got[name]) | set(fields))
        diff = ["%s: got %r want %r" % (k, got[name].get(k), fields.get(k)) for k in keys
                if got[name].get(k) != fields.get(k)]
        bad.append("%s: %s" % (name, "; ".join(diff)))
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
)
check_json() {
  /usr/bin/python3 -c "$CHECK_JSON_PY" "$1"
}
