#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CSV exports for finance: a month's bills and ledger entries over the API
# and with `meterboxctl export`, RFC 4180 (CRLF, quoting of commas and
# quotes), amounts as yuan strings that equal the integer fen columns.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
. "$(dirname "$0")/dashboard_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
OPER=$("$MB_SERVER" -c "$T/server.conf" --create-token finance --role operator)
start_server "$T/server.conf" "$T/server.log"
fill_scenario
# a holder whose name would run as a spreadsheet formula
api PATCH /api/v1/accounts/1100000008 '{"holder":"=HYPERLINK(\"x\")"}'; expect 200
MONTH=$(date +%Y-%m)

curl -s -D "$T/h" -o "$T/bills.csv" -H "Authorization: Bearer $OPER" "$URL/api/v1/exports/bills.csv?month=2025-03"
grep -qi '^content-type: text/csv; charset=utf-8' "$T/h" || fail "type: $(cat "$T/h")"
grep -qi '^content-disposition: attachment; filename="meterbox-bills-2025-03.csv"' "$T/h" || fail "disposition"
/usr/bin/python3 - "$T/bills.csv" <<'PY' || fail "bills.csv"
import csv, sys
from decimal import Decimal
raw = open(sys.argv[1], "rb").read()
assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b""), "CRLF records"
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
assert [r["account"] for r in rows] == ["1100000001", "1100000002", "1100000003"], rows
a = {r["account"]: r for r in rows}
assert a["1100000001"]["total_yuan"] == "282.15" and a["1100000001"]["total_fen"] == "28215"
assert a["1100000001"]["energy_kwh"] == "500.000" and a["1100000001"]["energy_wh"] == "500000"
assert a["1100000001"]["posted_yuan"] == "0.00" and a["1100000001"]["charged_yuan"] == "282.15"
assert a["1100000001"]["from_time"] == "2025-03-01 00:00:00", a["1100000001"]["from_time"]
assert a["1100000002"]["flags"] == "zero_use"
assert a["1100000003"]["holder"] == 'Wang, "Wu"' and a["1100000003"]["state"] == "held"
assert a["1100000003"]["total_yuan"] == "" and a["1100000003"]["flags"] == "missing_boundary"
assert b'"Wang, ""Wu"""' in raw, "RFC 4180 quoting"
PY
pass "bills.csv: RFC 4180, yuan strings beside fen, held bills with empty amounts"

curl -s -o "$T/ledger.csv" -H "Authorization: Bearer $OPER" "$URL/api/v1/exports/ledger.csv?month=$MONTH"
/usr/bin/python3 - "$T/ledger.csv" "$(sqlv "SELECT count(*) FROM ledger")" \
  "$(sqlv "SELECT sum(balance_fen) FROM accounts")" <<'PY' || fail "ledger.csv"
import csv, sys
from decimal import Decimal
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
assert len(rows) == int(sys.argv[2]), len(rows)
for r in rows:
    for k in ("amount", "balance_after"):
        assert Decimal(r[k + "_yuan"]) * 100 == int(r[k + "_fen"]), r
        assert "." in r[k + "_yuan"] and len(r[k + "_yuan"].split(".")[1]) == 2, r
assert sum(int(r["amount_fen"]) for r in rows) == int(sys.argv[3])
formula = [r for r in rows if r["account"] == "1100000008"]
assert formula and all(r["holder"] == "'=HYPERLINK(\"x\")" for r in formula), formula
assert any(r["kind"] == "charge" and r["amount_yuan"].startswith("-") for r in rows)
PY
pass "ledger.csv: every entry of the month; yuan == fen/100 exactly; formula text defused"

"$MB_CTL" export bills --month 2025-03 --server "$URL" --token "$OPER" >"$T/ctl.csv" || fail "meterboxctl export"
cmp -s "$T/ctl.csv" "$T/bills.csv" || fail "meterboxctl export differs from the API"
"$MB_CTL" export ledger --month "$MONTH" --output "$T/ctl-ledger.csv" --bom yes --server "$URL" --token "$OPER" || fail "export ledger"
head -c 3 "$T/ctl-ledger.csv" | od -An -tx1 | grep -q 'ef bb bf' || fail "no BOM"
cmp -s <(tail -c +4 "$T/ctl-ledger.csv") "$T/ledger.csv" || fail "ledger with BOM differs"
"$MB_CTL" export bills --server "$URL" --token "$OPER" 2>/dev/null && fail "export without --month"
"$MB_CTL" export bills --month 2025-3 --server "$URL" --token "$OPER" 2>/dev/null && fail "bad month accepted"
"$MB_CTL" export --help | grep -q 'bills|ledger' || fail "help"
api GET "/api/v1/exports/bills.csv" "" "$OPER"; expect 400
api GET "/api/v1/exports/ledger.csv?month=2025-13" "" "$OPER"; expect 400
api GET "/api/v1/exports/ledger.csv?month=2025-03" "" "${GWTOK[gw-1]}"; expect 403
pass "meterboxctl export bills|ledger --month writes the same CSV (--bom yes adds a BOM)"
stop_server
