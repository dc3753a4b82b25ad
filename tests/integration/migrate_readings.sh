#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Migration 5 turns readings stored as JSON text (schema 4) into typed
# columns: every field of an old row's body and rates lands in its column,
# an odd body (not JSON, a value that is no integer) costs that field, never
# the row, and nothing else changes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

server_conf "$T/server.conf"
old_body='{"meter":"000000000001","seq":2,"ts":1790000000,"import_wh":1500,"export_wh":3,"rate_wh":[1,2,3,4],"power_mw":-7,"voltage_mv":[220001,220002,220003],"current_ma":[10,11],"pf_milli":990,"freq_mhz":50001,"relay":"closed","address":"A1","meter_time":1790000005,"remain_fen":-4,"overdraft_fen":6}'
if [ -n "${PGDIR:-}" ]; then
  table="CREATE TABLE readings (meter_id BIGINT NOT NULL, seq BIGINT NOT NULL, ts BIGINT NOT NULL,
    kind TEXT NOT NULL, quality BIGINT NOT NULL, import_wh BIGINT, rates TEXT,
    frozen_import_wh BIGINT, frozen_time BIGINT, body TEXT NOT NULL, stored_at BIGINT NOT NULL,
    PRIMARY KEY (meter_id, seq, ts)) PARTITION BY RANGE (ts);
    CREATE TABLE readings_default PARTITION OF readings DEFAULT;
    CREATE INDEX readings_ts ON readings(ts);
    CREATE TABLE schema_version (version BIGINT NOT NULL);"
  # what later migrations alter or reference (6: meters, bills,
  # charge_state; 7: accounts, bills, commands; gateway_uplink: gateways)
  table="$table
    CREATE TABLE accounts (id BIGINT PRIMARY KEY);
    CREATE TABLE gateways (id BIGINT PRIMARY KEY);
    CREATE TABLE meters (id BIGINT PRIMARY KEY, account_id BIGINT, bound_at BIGINT);
    CREATE TABLE bills (account_id BIGINT); CREATE TABLE charge_state (account_id BIGINT);
    CREATE TABLE commands (id BIGINT PRIMARY KEY, meter_id BIGINT, op TEXT, reason TEXT,
      by_name TEXT, issued_at BIGINT, expires_at BIGINT,
      state TEXT CHECK (state IN ('pending')), relay TEXT, updated_at BIGINT);"
else
  table="CREATE TABLE readings (meter_id INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,
    kind TEXT NOT NULL, quality INTEGER NOT NULL, import_wh INTEGER, rates TEXT,
    frozen_import_wh INTEGER, frozen_time INTEGER, body TEXT NOT NULL, stored_at INTEGER NOT NULL,
    PRIMARY KEY (meter_id, seq)) WITHOUT ROWID;
    CREATE INDEX readings_ts ON readings(ts);
    CREATE TABLE schema_version (version INTEGER NOT NULL);
    CREATE TABLE accounts (id INTEGER PRIMARY KEY);
    CREATE TABLE gateways (id INTEGER PRIMARY KEY);
    CREATE TABLE meters (id INTEGER PRIMARY KEY, account_id INTEGER, bound_at INTEGER);
    CREATE TABLE bills (account_id INTEGER); CREATE TABLE charge_state (account_id INTEGER);
    CREATE TABLE commands (id INTEGER PRIMARY KEY, meter_id INTEGER, op TEXT, reason TEXT,
      by_name TEXT, issued_at INTEGER, expires_at INTEGER, state TEXT, relay TEXT,
      updated_at INTEGER);"
fi
sqlv "$table
  INSERT INTO schema_version VALUES (4);
  INSERT INTO readings VALUES (1, 1, 1789999100, 'boundary', 0, 1000, NULL, 900, 1789990000, '{}', 5);
  INSERT INTO readings VALUES (1, 2, 1790000000, 'routine', 4, 1500, '[1,2,3,4]', NULL, NULL, '$old_body', 6);
  INSERT INTO readings VALUES (1, 3, 1790000900, 'routine', 0, 1600, 'junk', NULL, NULL, 'not json', 7);
  INSERT INTO readings VALUES (1, 4, 1790001800, 'routine', 0, 1700, NULL, NULL, NULL, '{\"power_mw\":1.5,\"relay\":\"open\"}', 8);"
# the server migrates at start (as --create-token does before it uses the
# tables this sketch of schema 4 lacks)
"$MB_SERVER" -c "$T/server.conf" --create-token root >/dev/null 2>"$T/migrate.err" || cat "$T/migrate.err" >&2
[ "$(sqlv "SELECT max(version) FROM schema_version")" -ge 5 ] || fail "not migrated"
[ "$(sqlv "SELECT count(*) FROM readings")" = 4 ] || fail "rows lost"
row=$(sqlv "SELECT import_wh, export_wh, rate1_wh, rate2_wh, rate3_wh, rate4_wh, power_mw,
  voltage1_mv, voltage2_mv, voltage3_mv, current1_ma, current2_ma, coalesce(current3_ma, -1),
  pf_milli, freq_mhz, relay, address, meter_time, remain_fen, overdraft_fen, quality, stored_at
  FROM readings WHERE seq = 2")
[ "$row" = "1500|3|1|2|3|4|-7|220001|220002|220003|10|11|-1|990|50001|closed|A1|1790000005|-4|6|4|6" ] ||
  fail "typed columns of the old body: $row"
[ "$(sqlv "SELECT kind, import_wh, frozen_import_wh, frozen_time, coalesce(rate1_wh, -1) FROM readings WHERE seq = 1")" = "boundary|1000|900|1789990000|-1" ] ||
  fail "boundary row: $(sqlv "SELECT * FROM readings WHERE seq = 1")"
[ "$(sqlv "SELECT import_wh, coalesce(rate1_wh, -1), coalesce(relay, '-') FROM readings WHERE seq = 3")" = "1600|-1|-" ] ||
  fail "a row with a body that is not JSON: $(sqlv "SELECT * FROM readings WHERE seq = 3")"
[ "$(sqlv "SELECT relay FROM readings WHERE seq = 4")" = open ] || fail "relay of row 4"
if [ -n "${PGDIR:-}" ]; then
  [ "$(sqlv "SELECT count(*) FROM information_schema.columns WHERE table_name = 'readings' AND column_name IN ('body', 'rates')")" = 0 ] || fail "body and rates remain"
else
  [ "$(sqlv "SELECT count(*) FROM pragma_table_info('readings') WHERE name IN ('body', 'rates')")" = 0 ] || fail "body and rates remain"
fi
pass "schema 4 readings (JSON body) migrate into typed columns, odd bodies costing only their fields"
