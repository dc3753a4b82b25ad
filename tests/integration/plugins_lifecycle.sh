#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Plugin lifecycle (issue 16).  Ten plugins, more than the registry's first
# allocation holds: `-t` and `--once` load them all and read every meter
# (loading the 9th used to move the registry under the meters pointing into
# it; the ASan build of this test catches any such use-after-free).  A plugin
# that calls host->cfg_* from meter_read gets MB_EINVAL, not a write into
# the freed configuration diagnostics.  A plugin built against the SDK 1.0
# headers loads and reads beside them.
. "$(dirname "$0")/lib.sh"

# The plugins are found by name in the search path (-P) as the meters are
# created, so the registry grows while earlier meters already point into it.
P="$MB_TEST_PLUGIN_DIR:$MB_PLUGIN_DIR"
{
  echo 'gateway = { id = "gw-many"; };'
  echo 'buses = ( { name = "a"; type = "none"; }, { name = "b"; type = "none"; } );'
  echo 'meters = ('
  echo '  { name = "t0"; plugin = "testmeter"; bus = "a"; address = "100"; options = { mode = "late_cfg"; }; },'
  for i in 1 2 3 4 5 6 7 8 9; do
    echo "  { name = \"t$i\"; plugin = \"many$i\"; bus = \"$([ $((i % 2)) = 0 ] && echo a || echo b)\"; address = \"10$i\"; },"
  done
  echo '  { name = "old"; plugin = "old_sdk"; bus = "a"; address = "200"; }'
  echo ');'
} >"$T/agent.conf"

"$MB_AGENT" -t -P "$P" -c "$T/agent.conf" >"$T/out" 2>"$T/err" || fail "-t failed: $(cat "$T/err")"
grep -q "ok (2 buses, 11 meters)" "$T/out" || fail "-t: $(cat "$T/out")"
pass "-t loads eleven plugins and checks every meter"

"$MB_AGENT" --once -P "$P" -c "$T/agent.conf" >"$T/out" 2>"$T/err" || fail "--once failed: $(cat "$T/err")"
n=$(grep -c '"import_wh"' "$T/out" || true)
[ "$n" -eq 11 ] || fail "want 11 readings, got $n: $(cat "$T/out") $(cat "$T/err")"
pass "--once reads a meter on each of eleven plugins"

grep -q '"meter":"t0".*"import_wh":10' "$T/out" || fail "late_cfg meter: $(cat "$T/out")"
grep -q 'cfg_int("hang_ms") outside meter_new/link_open: refused' "$T/err" ||
  fail "a late cfg_* call is not reported: $(cat "$T/err")"
pass "cfg_* from meter_read is refused with MB_EINVAL and reported once"

grep -q '"meter":"old".*"import_wh":1005' "$T/out" || fail "old SDK plugin: $(cat "$T/out")"
pass "a plugin built against the SDK 1.0 headers loads and reads"
