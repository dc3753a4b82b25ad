#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The dashboard in headless Chromium: the small scenario of dashboard_lib.sh
# goes in through the API, a 50,000-account utility (dashboard_utility.sh)
# straight into the store, then tests/browser/*.test.mjs drive Debian's
# chromium with playwright-core.  Screenshots land in $MB_ARTIFACTS
# (build/tests/artifacts from ctest).  Skipped (77) only when chromium or
# node is not installed (scripts/debian-packages.txt lists both); Chinese
# text needs a CJK font (fonts-noto-cjk, also listed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
. "$(dirname "$0")/dashboard_lib.sh"
. "$(dirname "$0")/dashboard_utility.sh"

BROWSER=$MB_SRC/tests/browser
[ -x /usr/bin/chromium ] || { echo "SKIP: /usr/bin/chromium is not installed"; exit 77; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: node/npm not installed"; exit 77; }
fc-list :lang=zh family | grep -q . || fail "no CJK font: install fonts-noto-cjk (scripts/debian-packages.txt)"
if [ ! -d "$BROWSER/node_modules/playwright-core" ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$BROWSER" --no-audit --no-fund >"$T/npm.log" 2>&1 \
    || fail "npm ci --prefix tests/browser: $(cat "$T/npm.log")"
fi

server_conf "$T/server.conf"
cat >>"$T/server.conf" <<CONF
dashboard = { www = "$MB_SRC/server/dash/www"; meter_stale_after = 3600;
  regions_file = "$MB_SRC/server/dash/regions-cn.txt"; };
CONF
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
OPER=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
start_server "$T/server.conf" "$T/server.log"
fill_scenario
pass "scenario filled through the API"
NOW=$(date +%s)
seed_utility "$T"
[ "$(sqlv "SELECT count(*) FROM accounts")" = 50010 ] || fail "the utility is not seeded"
pass "50,000 accounts with Chinese names seeded into the store"

ART=${MB_ARTIFACTS:-$T/artifacts}
mkdir -p "$ART"
# The PostgreSQL run checks the geometries in Chinese only: the same pages,
# half the time (the SQLite run does both languages).
[ "${MB_DB_BACKEND:-sqlite}" = pg ] && export MB_LANGS=zh-CN
for t in ${MB_BROWSER_TESTS:-dashboard desk}; do
  MB_URL=$URL MB_ADMIN=$ADMIN MB_OPER=$OPER MB_GW=${GWTOK[gw-1]} MB_ARTIFACTS=$ART \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 node "$BROWSER/$t.test.mjs" || fail "browser test $t (screenshots in $ART)"
done
ls "$ART"/*.png | wc -l
stop_server
pass "clean shutdown; screenshots in $ART"
