#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's main job, run for a minute: the demo must tell its whole story
# (alarms, a cut-off, a top-up, the relay closing again) and stop cleanly.
. "$(dirname "$0")/lib.sh"

DEMO_SECONDS=${DEMO_SECONDS:-70} "$MB_SRC/scripts/demo-run.sh" "$MB_BUILD" >"$T/out" 2>&1 ||
  fail "demo failed: $(tail -20 "$T/out")"
for want in "alarm1" "alarm2" "trip: balance" "relay_confirmed: open" "topping up" \
            "close: balance" "relay_confirmed: closed" "demo: stopped"; do
  grep -q "$want" "$T/out" || fail "the demo never showed '$want': $(tail -30 "$T/out")"
done
pass "the demo showed alarms, a cut-off, a top-up and the reconnect, and stopped cleanly"
