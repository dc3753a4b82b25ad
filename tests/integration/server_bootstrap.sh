#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The documented bootstrap on a fresh host: `meterbox-server --create-token`
# runs before the service ever started, when the SQLite store's directory
# does not exist yet.
#   1. it makes the directory (mode 0750), prints the token, and a server
#      started on that store takes the token;
#   2. where the directory cannot be made, it says which one and what to
#      run first, and exits 2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
state="$T/fresh/var/lib/meterbox"
cat >"$T/server.conf" <<CONF
listen = { address = "127.0.0.1"; port = 0; };
database = { path = "$state/server.db"; };
timezone = "Asia/Shanghai";
CONF
[ ! -e "$T/fresh" ] || fail "the state directory exists before the test"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin 2>"$T/err") ||
  fail "--create-token on a fresh host: $(cat "$T/err")"
[ -n "$ADMIN" ] || fail "no token printed"
[ "$(stat -c %a "$state")" = 750 ] || fail "$state is not mode 0750: $(stat -c %a "$state")"
[ -f "$state/server.db" ] || fail "no store in $state"
start_server "$T/server.conf" "$T/server.log"
api GET /api/v1/gateways; expect 200
stop_server
pass "--create-token on a fresh host: made $state (0750) and the store; the server takes the token"

touch "$T/notadir"
sed -i "s|$T/fresh|$T/notadir|" "$T/server.conf"
rc=0
"$MB_SERVER" -c "$T/server.conf" --create-token root >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 2 ] || fail "--create-token where no directory can be made: exit $rc"
[ ! -s "$T/out" ] || fail "a token printed although nothing was stored: $(cat "$T/out")"
grep -q "cannot create $T/notadir/var: .*mkdir -p $T/notadir/var" "$T/err" ||
  fail "the message does not say what to run first: $(cat "$T/err")"
pass "where the directory cannot be made: exit 2, naming it and what to run first"
