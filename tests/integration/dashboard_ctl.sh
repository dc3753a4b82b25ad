#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# meterboxctl as an operator meets it: global options before or after the
# command, tables whose columns line up under Chinese names (display width,
# not bytes), errors that say what to do (no HTTP status), did-you-mean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
OPER=$("$MB_SERVER" -c "$T/server.conf" --create-token viewer --role operator)
start_server "$T/server.conf" "$T/server.log"
unset METERBOX_URL METERBOX_TOKEN
ctl() { "$MB_CTL" "$@"; }

# global options before the command, and the --name=value form
ctl --server "$URL" --token "$ADMIN" account create 1100000001 --holder 张三 --region 110105 >/dev/null ||
  fail "global options before the command"
ctl --json --server="$URL" account create 1100000002 --holder "Zhang Sanfeng" --token="$ADMIN" >"$T/j" ||
  fail "--json first, --token=... last"
[ "$(j '["holder"]' "$T/j")" = "Zhang Sanfeng" ] || fail "--json before the command: $(cat "$T/j")"
ctl account create 1100000003 --holder 欧阳娜娜 --server "$URL" --token "$ADMIN" >/dev/null || fail "options after"
pass "--server, --token and --json before the command, after it, and as --name=value"

ctl --help >"$T/help" || fail "--help"
for o in --server --token --json METERBOX_URL METERBOX_TOKEN; do
  grep -q -- "$o" "$T/help" || fail "--help does not show $o: $(cat "$T/help")"
done
ctl --help account | grep -q "account create" || fail "--help COMMAND"
pass "--help shows the global options"

# the table: every row's BALANCE column ends at the same display column
ctl --server "$URL" --token "$OPER" account list >"$T/list" || fail "account list"
cat "$T/list"
/usr/bin/python3 - "$T/list" <<'PY' || fail "columns do not line up by display width"
import sys, unicodedata
def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
head = lines[0]
col = head.index("MODE")              # ASCII header: its index is its display column
for l in lines[1:]:
    # the MODE column starts at the same display column in every row
    for i in range(len(l)):
        if width(l[:i]) == col:
            assert l[i - 2:i] == "  " and l[i] != " ", (l, i)
            break
    else:
        raise AssertionError(l)
PY
pass "tables are padded by display width (张三 and 欧阳娜娜 line up with Zhang Sanfeng)"

# errors in the operator's terms
if ctl --server "$URL" --token "$OPER" topup 1100000001 10.00 --reference P1 2>"$T/err"; then fail "operator topped up"; fi
grep -q "admin token" "$T/err" && ! grep -q "403\|/api/" "$T/err" || fail "forbidden: $(cat "$T/err")"
if ctl --server "$URL" --token "$ADMIN" topup 1100000099 10.00 --reference P1 2>"$T/err"; then fail "unknown account"; fi
grep -q "no account '1100000099'" "$T/err" && ! grep -q "404" "$T/err" || fail "not found: $(cat "$T/err")"
if ctl --server "$URL" --token "mbt_1_$(printf '0%.0s' $(seq 64))" account list 2>"$T/err"; then fail "bad token"; fi
grep -q -- "--token or METERBOX_TOKEN" "$T/err" && ! grep -q "401" "$T/err" || fail "unauthorized: $(cat "$T/err")"
if ctl --server "http://127.0.0.1:1" --token "$OPER" account list 2>"$T/err"; then fail "no server"; fi
grep -q "cannot reach the server" "$T/err" || fail "no server: $(cat "$T/err")"
if ctl account list 2>"$T/err"; then fail "no server given"; fi
grep -q -- "--server URL and --token TOKEN" "$T/err" || fail "nothing given: $(cat "$T/err")"
pass "errors say what to do, never the HTTP status"

if ctl acount list 2>"$T/err"; then fail "typo ran"; fi
grep -q "did you mean 'account'" "$T/err" || fail "did-you-mean command: $(cat "$T/err")"
if ctl account lst 2>"$T/err"; then fail "typo ran"; fi
grep -q "did you mean 'meterboxctl account list'" "$T/err" || fail "did-you-mean subcommand: $(cat "$T/err")"
if ctl topup 1100000001 1 --refrence X --server "$URL" --token "$ADMIN" 2>"$T/err"; then fail "typo ran"; fi
grep -q "did you mean --reference" "$T/err" || fail "did-you-mean option: $(cat "$T/err")"
pass "did you mean: commands, subcommands, options"

# the wall's kiosk screens
export METERBOX_URL=$URL METERBOX_TOKEN=$ADMIN
ctl display add wall-p1 --layout "grid=2x2&panel=1" >"$T/out" || fail "display add"
DTOK=$(awk '$1 == "token" {print $2}' "$T/out")
case "$DTOK" in mbt_*) ;; *) fail "display add prints the token: $(cat "$T/out")" ;; esac
api GET /api/v1/stats/overview "" "$DTOK"; expect 200
ctl display update wall-p1 --lang en >/dev/null || fail "display update"
ctl display list | grep -q "wall-p1.*grid=2x2&panel=1.*en" || fail "display list: $(ctl display list)"
ctl display revoke wall-p1 >/dev/null || fail "display revoke"
api GET /api/v1/stats/overview "" "$DTOK"; expect 401
pass "meterboxctl display add, update, list, revoke"

stop_server
