#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's main job, run for a minute: the demo must tell its whole story
# (alarms, a cut-off, a top-up, the relay closing again), serve the wall and
# the operator desk at the addresses it prints with the token it prints, and
# stop cleanly.
. "$(dirname "$0")/lib.sh"

DEMO_SECONDS=${DEMO_SECONDS:-70} "$MB_SRC/scripts/demo-run.sh" "$MB_BUILD" >"$T/out" 2>&1 &
DEMO=$!
# a failure stops the demo the way Ctrl-C does (its server and agent too)
trap 'rc=$?; kill -TERM "$DEMO" 2>/dev/null || true; wait "$DEMO" 2>/dev/null || true; cleanup; exit $rc' EXIT
printed() { grep -q "^demo: sign in with the admin token" "$T/out"; }
wait_for 60 printed || fail "the demo printed no sign-in token: $(tail -20 "$T/out")"
WALL=$(sed -n 's/^demo: the monitoring wall *//p' "$T/out")
DESK=$(sed -n 's/^demo: the operator desk *//p' "$T/out")
TOKEN=$(sed -n 's/^demo: sign in with the admin token //p' "$T/out")
KIOSK=$(sed -n 's/^demo: a kiosk screen, signed in without typing: //p' "$T/out")
BASE=${WALL%/wall.html}
case "$WALL $DESK $TOKEN $KIOSK" in
  http://127.0.0.1:*/wall.html\ http://127.0.0.1:*/operator.html\ mbt_*\ http://*/signin.html\#enrol=mbt_*) ;;
  *) fail "addresses and token: '$WALL' '$DESK' '$TOKEN' '$KIOSK'" ;;
esac
code=$(curl -s -o "$T/page" -w '%{http_code}' "$WALL")
[ "$code" = 401 ] && grep -q 'id="signin"' "$T/page" || fail "the wall without signing in: $code"
curl -s -D "$T/h" -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/session"
COOKIE=$(grep -i '^set-cookie:' "$T/h" | sed 's/^[^=]*=\([^;]*\);.*/\1/')
for u in "$WALL" "$DESK"; do
  code=$(curl -s -o "$T/page" -w '%{http_code}' -b "mb_session=$COOKIE" "$u")
  [ "$code" = 200 ] && grep -q '\.js' "$T/page" || fail "$u after signing in: $code"
done
curl -s -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/regions" | grep -q '朝阳区' || fail "region names"
curl -s -H "Authorization: Bearer ${KIOSK#*enrol=}" "$BASE/api/v1/stats/overview" | grep -q '"accounts"' ||
  fail "the kiosk's display credential"
pass "the demo serves the wall and the desk at the addresses it prints, to the token it prints"

wait "$DEMO" || fail "demo failed: $(tail -20 "$T/out")"
for want in "alarm1" "alarm2" "trip: balance" "relay_confirmed: open" "topping up" \
            "close: balance" "relay_confirmed: closed" "demo: stopped"; do
  grep -q "$want" "$T/out" || fail "the demo never showed '$want': $(tail -30 "$T/out")"
done
pass "the demo showed alarms, a cut-off, a top-up and the reconnect, and stopped cleanly"
