#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A write the database refuses in the middle of a month close: one account's
# bill row, another's balance update (triggers that raise).  The close's
# chunk is rolled back whole and settled again one account per transaction,
# so the two accounts fail with nothing of theirs written (no bill, no
# ledger entry, the balance as it was) and their neighbours settle.  Once
# the database accepts the writes, the next close settles the two.  On
# PostgreSQL both writes are sent without waiting for them
# (srv_db_exec_later): the refusal comes back with a later statement.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"

api POST /api/v1/gateways '{"name":"gw-1","region":"110105"}'; expect 201
GW=$(j '["token"]')
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
M0=$(at "2025-03-01 00:00"); M1=$(at "2025-04-01 00:00")
rs=()
for n in 1 2 3 4 5 6; do
  mode=monthly; [ $((n % 2)) = 1 ] && mode=prepaid
  api POST /api/v1/accounts "{\"number\":\"230000000$n\",\"mode\":\"$mode\"}"; expect 201
  api PUT /api/v1/accounts/230000000$n/tariff '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'
  expect 200
  api PUT /api/v1/meters/00000000003$n "{\"gateway\":\"gw-1\",\"account\":\"230000000$n\"}"; expect 200
  rs+=("{\"meter\":\"00000000003$n\",\"seq\":1,\"ts\":$M0,\"import_wh\":100000,\"kind\":\"boundary\"}")
  rs+=("{\"meter\":\"00000000003$n\",\"seq\":2,\"ts\":$M1,\"import_wh\":$((100000 + n * 10000)),\"kind\":\"boundary\"}")
done
api POST /api/v1/readings "{\"gateway\":\"gw-1\",\"sent_at\":$((M1 + 60)),\"readings\":[$(IFS=,; echo "${rs[*]}")]}" "$GW"
expect 200

id3=$(sqlv "SELECT id FROM accounts WHERE number = '2300000003'")
if [ "${MB_DB_BACKEND:-sqlite}" = pg ]; then
  sqlv "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
          \$\$ BEGIN RAISE EXCEPTION 'this test refuses the write to %', TG_TABLE_NAME; END \$\$;
        CREATE TRIGGER refuse_bill BEFORE INSERT ON bills FOR EACH ROW
          WHEN (NEW.account_id = $id3) EXECUTE FUNCTION refuse();
        CREATE TRIGGER refuse_balance BEFORE UPDATE OF balance_fen ON accounts FOR EACH ROW
          WHEN (NEW.number = '2300000004') EXECUTE FUNCTION refuse();" >/dev/null
  unrefuse="DROP TRIGGER refuse_bill ON bills; DROP TRIGGER refuse_balance ON accounts;"
else
  sqlv "CREATE TRIGGER refuse_bill BEFORE INSERT ON bills WHEN NEW.account_id = $id3
          BEGIN SELECT RAISE(ABORT, 'this test refuses the write to bills'); END;
        CREATE TRIGGER refuse_balance BEFORE UPDATE OF balance_fen ON accounts
          WHEN NEW.number = '2300000004'
          BEGIN SELECT RAISE(ABORT, 'this test refuses the write to accounts'); END;" >/dev/null
  unrefuse="DROP TRIGGER refuse_bill; DROP TRIGGER refuse_balance;"
fi

# prepaid accounts already carry the month's continuous charges (their close
# entry is 0 and leaves the balance unwritten: the refused balance is a
# monthly account's)
before() { sqlv "SELECT balance_fen FROM accounts WHERE number = '$1'"; }
declare -A was=([2300000003]=$(before 2300000003) [2300000004]=$(before 2300000004))
close_month 2025-03 # some failed: the job says how many
[ "$(j '["state"]')" = failed ] && [ "$(j '["error"]')" = "2 accounts failed" ] || fail "close: $(cat "$T/resp")"
[ "$(j '["settled"]')" = 4 ] && [ "$(j '["failed"]')" = 2 ] || fail "close: $(cat "$T/resp")"
grep -q "one by one" "$T/server.log" || fail "no chunk fallback logged: $(tail -5 "$T/server.log")"
grep -q "refuses the write to bills" "$T/server.log" && grep -q "refuses the write to accounts" "$T/server.log" ||
  fail "the refusals are not in the log: $(grep -i refuse "$T/server.log" | head -3)"
pass "a refused bill row and a refused balance update fail their two accounts; the other 4 settle"

# written: bills, 'bill'/'settle' ledger entries for 2025-03, and balances
state() {
  sqlv "SELECT a.number, a.balance_fen,
          (SELECT count(*) FROM bills b WHERE b.account_id = a.id AND b.month = '2025-03'),
          (SELECT count(*) FROM ledger l WHERE l.account_id = a.id AND l.month = '2025-03'
             AND l.kind IN ('bill', 'settle')),
          coalesce((SELECT l.balance_after_fen FROM ledger l WHERE l.account_id = a.id
             ORDER BY l.id DESC LIMIT 1), 0)
        FROM accounts a WHERE a.number LIKE '23%' ORDER BY a.number"
}
while IFS='|' read -r num bal nbills nentries after; do
  case $num in
  2300000003 | 2300000004)
    [ "$nbills|$nentries" = "0|0" ] && [ "$bal" = "${was[$num]}" ] && [ "$bal" = "$after" ] ||
      fail "$num half written: balance $bal (was ${was[$num]}, ledger $after), $nbills bills, $nentries entries" ;;
  *)
    [ "$nbills|$nentries" = "1|1" ] && [ "$bal" = "$after" ] && [ "$bal" -lt 0 ] ||
      fail "$num: balance $bal (ledger says $after), $nbills bills, $nentries entries" ;;
  esac
done < <(state)
pass "nothing of the two failed accounts was written; each settled one has its bill, entry and balance"

sqlv "$unrefuse" >/dev/null
close_month 2025-03
[ "$(j '["settled"]')" = 2 ] && [ "$(j '["already_settled"]')" = 4 ] && [ "$(j '["failed"]')" = 0 ] ||
  fail "close again: $(cat "$T/resp")"
while IFS='|' read -r num bal nbills nentries after; do
  [ "$nbills|$nentries" = "1|1" ] && [ "$bal" = "$after" ] && [ "$bal" -lt 0 ] ||
    fail "$num after the second close: balance $bal (ledger says $after), $nbills bills, $nentries entries"
done < <(state)
pass "once the database takes the writes, the next close settles the two, each account billed once"
