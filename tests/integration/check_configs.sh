#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# meterbox-agent -t accepts every config in etc/ and rejects each broken one in
# tests/data/conf with the file, the line and the reason its "# expect:" names.
. "$(dirname "$0")/lib.sh"

for conf in "$MB_SRC"/etc/agent*.conf; do
  out=$("$MB_AGENT" -t -c "$conf" 2>&1) || fail "$conf rejected: $out"
  pass "accepts $(basename "$conf")"
done

for conf in "$MB_SRC"/tests/data/conf/bad-*.conf; do
  expect=$(sed -n 's/^# expect: //p' "$conf")
  line=${expect%%:*}
  reason=${expect#*: }
  set +e
  out=$("$MB_AGENT" -t -c "$conf" 2>&1)
  rc=$?
  set -e
  [ $rc -eq 1 ] || fail "$(basename "$conf"): exit $rc, want 1; output: $out"
  grep -qF "$conf:$line: " <<<"$out" || fail "$(basename "$conf"): no '$conf:$line:' in: $out"
  grep -qF "$reason" <<<"$out" || fail "$(basename "$conf"): no '$reason' in: $out"
  pass "rejects $(basename "$conf") at line $line"
done
