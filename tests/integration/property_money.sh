#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The money property test (property_money.py): random lifecycles against a
# real server, every bill against an oracle written from first principles,
# the agent's balance (its own code) against the server's at every shared
# reading, a second close changing nothing, ledger sums equal to balances.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"
api POST /api/v1/gateways '{"name":"gw-prop"}'; expect 201
GWTOK=$(j '["token"]')
api POST /api/v1/tariffs "@$MB_SRC/etc/tariffs/beijing-residential.conf"; expect 201
URL=$URL ADMIN=$ADMIN GW=$GWTOK AGENT_BALANCE=$MB_AGENT_BALANCE SEEDS=${MB_SEEDS:-1,2,3} \
  /usr/bin/python3 "$(dirname "$0")/property_money.py" || fail "see above ($(grep -c . "$T/server.log") server log lines)"
