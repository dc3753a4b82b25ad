#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# meterbox-agent --once prints one JSON reading per simulated meter, and a
# failing meter makes it exit 1 without hiding the others.
. "$(dirname "$0")/lib.sh"

out=$("$MB_AGENT" --once -c "$MB_SRC/etc/agent.conf" 2>"$T/err") || fail "--once failed: $(cat "$T/err")"
n=$(grep -c '"import_wh"' <<<"$out" || true)
[ "$n" -eq 3 ] || fail "want 3 readings, got $n: $out"
for m in box1-m1 box1-m2 box1-m3; do
  grep -q "\"meter\":\"$m\"" <<<"$out" || fail "no reading for $m"
done
python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <<<"$out" || fail "not JSON lines"
grep -q '"account":"1100000001"' <<<"$out" || fail "account missing"
pass "one JSON reading per meter"

cat >"$T/mixed.conf" <<CONF
gateway = { id = "gw-test"; };
plugins = ( "$MB_TEST_PLUGIN_DIR/testmeter.so" );
buses = ( { name = "a"; type = "none"; }, { name = "b"; type = "none"; } );
meters = (
  { name = "good"; plugin = "sim"; bus = "a"; },
  { name = "bad"; plugin = "testmeter"; bus = "b"; options = { mode = "error"; }; }
);
CONF
set +e
out=$("$MB_AGENT" --once -c "$T/mixed.conf" 2>"$T/err")
rc=$?
set -e
[ $rc -eq 1 ] || fail "want exit 1 with a failing meter, got $rc"
grep -q '"meter":"good"' <<<"$out" || fail "good meter not printed: $out"
grep -q 'meter bad.*checksum mismatch' "$T/err" || fail "failure not named: $(cat "$T/err")"
pass "a failing meter exits 1 and names the meter"
