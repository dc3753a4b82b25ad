#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Transformer areas on the wall and at the desk, in headless Chromium
# (tests/browser/areas.test.mjs): the scenario of areas_lib.sh through the
# API, then the wall's area widgets and the desk's areas tab against the
# API's figures, their geometry in both languages, screenshots in
# $MB_ARTIFACTS.  Needs Debian's chromium and node, as dashboard_browser.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
. "$(dirname "$0")/areas_lib.sh"

need_browser

server_conf "$T/server.conf"
cat >>"$T/server.conf" <<CONF
dashboard = { www = "$MB_SRC/server/dash/www"; regions_file = "$MB_SRC/server/dash/regions-cn.txt"; };
CONF
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
OPER=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
start_server "$T/server.conf" "$T/server.log"
areas_scenario
pass "the areas scenario through the API"

ART=${MB_ARTIFACTS:-$T/artifacts}
MB_URL=$URL MB_ADMIN=$ADMIN MB_OPER=$OPER MB_ARTIFACTS=$ART MB_AREA_DAY=2026-11-12 \
  MB_COLLECT_DAY=2026-11-13 MB_AREA_FULL=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
  node "$BROWSER/areas.test.mjs" || fail "browser test areas (screenshots in $ART)"
stop_server
pass "the wall and the desk show the areas' figures; screenshots in $ART"
