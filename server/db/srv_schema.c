/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Schema of server.db.  DDL is the one place the SQL dialect shows: the
 * PostgreSQL backend will carry its own copy of these migrations (BIGINT for
 * INTEGER, BIGSERIAL for INTEGER PRIMARY KEY); the DML of the business
 * modules is shared.
 *
 * Money columns are fen, energy Wh, times UTC seconds, months "YYYY-MM".
 */
#include "srv_schema.h"

#include <stdio.h>
#include <string.h>

#include "srv_schema_pg.h"

static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE tokens ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " role TEXT NOT NULL CHECK (role IN ('admin','operator','gateway')),"
    " hash TEXT NOT NULL,"
    " gateway_id INTEGER REFERENCES gateways(id),"
    " created_at INTEGER NOT NULL,"
    " revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE gateways ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " region TEXT NOT NULL DEFAULT '',"
    " created_at INTEGER NOT NULL,"
    " last_seen INTEGER,"
    " events_upto INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE accounts ("
    " id INTEGER PRIMARY KEY,"
    " number TEXT NOT NULL UNIQUE,"
    " holder TEXT NOT NULL DEFAULT '',"
    " address TEXT NOT NULL DEFAULT '',"
    " region TEXT NOT NULL DEFAULT '',"
    " mode TEXT NOT NULL CHECK (mode IN ('prepaid','monthly')),"
    " state TEXT NOT NULL CHECK (state IN ('active','suspended','closed')),"
    " protected INTEGER NOT NULL DEFAULT 0,"
    " balance_fen INTEGER NOT NULL DEFAULT 0,"
    " alarm1_fen INTEGER NOT NULL, alarm2_fen INTEGER NOT NULL,"
    " credit_limit_fen INTEGER NOT NULL, reconnect_fen INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX accounts_region ON accounts(region, state);"
    "CREATE TABLE meters ("
    " id INTEGER PRIMARY KEY,"
    " address TEXT NOT NULL UNIQUE,"
    " gateway_id INTEGER NOT NULL REFERENCES gateways(id),"
    " account_id INTEGER UNIQUE REFERENCES accounts(id),"
    " high_seq INTEGER NOT NULL DEFAULT 0,"
    " last_ts INTEGER, last_import_wh INTEGER,"
    " bound_at INTEGER NOT NULL);"
    "CREATE INDEX meters_gateway ON meters(gateway_id);"
    "CREATE TABLE readings ("
    " meter_id INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " ts INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " quality INTEGER NOT NULL,"
    " import_wh INTEGER,"
    " rates TEXT,"
    " frozen_import_wh INTEGER, frozen_time INTEGER,"
    " body TEXT NOT NULL,"
    " stored_at INTEGER NOT NULL,"
    " PRIMARY KEY (meter_id, seq)) WITHOUT ROWID;"
    "CREATE INDEX readings_boundary ON readings(meter_id, ts) WHERE kind = 'boundary';"
    "CREATE INDEX readings_frozen ON readings(meter_id, frozen_time)"
    " WHERE frozen_time IS NOT NULL;"
    "CREATE TABLE events ("
    " gateway_id INTEGER NOT NULL,"
    " id INTEGER NOT NULL,"
    " meter_id INTEGER,"
    " ts INTEGER NOT NULL,"
    " type TEXT NOT NULL,"
    " reason TEXT,"
    " body TEXT NOT NULL,"
    " stored_at INTEGER NOT NULL,"
    " PRIMARY KEY (gateway_id, id));"
    "CREATE INDEX events_meter ON events(meter_id, ts);"
    "CREATE TABLE tariffs ("
    " id INTEGER PRIMARY KEY,"
    " tariff_id TEXT NOT NULL,"
    " hash TEXT NOT NULL,"
    " name TEXT NOT NULL, currency TEXT NOT NULL,"
    " text TEXT NOT NULL,"
    " loaded_at INTEGER NOT NULL, loaded_by TEXT NOT NULL,"
    " UNIQUE (tariff_id, hash));"
    "CREATE TABLE account_tariffs ("
    " account_id INTEGER NOT NULL REFERENCES accounts(id),"
    " effective_from INTEGER NOT NULL,"
    " effective_date TEXT NOT NULL,"
    " tariff_id TEXT NOT NULL,"
    " assigned_at INTEGER NOT NULL, assigned_by TEXT NOT NULL,"
    " PRIMARY KEY (account_id, effective_from));"
    "CREATE TABLE ledger ("
    " id INTEGER PRIMARY KEY,"
    " account_id INTEGER NOT NULL REFERENCES accounts(id),"
    " ts INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " amount_fen INTEGER NOT NULL,"
    " balance_after_fen INTEGER NOT NULL,"
    " month TEXT,"
    " reference TEXT,"
    " reason TEXT,"
    " by_name TEXT NOT NULL);"
    "CREATE INDEX ledger_account ON ledger(account_id, id);"
    "CREATE INDEX ledger_month ON ledger(account_id, month, kind);"
    "CREATE TABLE payments ("
    " reference TEXT PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " account_id INTEGER NOT NULL,"
    " amount_fen INTEGER NOT NULL,"
    " ledger_id INTEGER NOT NULL);"
    "CREATE TABLE charge_state ("
    " account_id INTEGER PRIMARY KEY REFERENCES accounts(id),"
    " meter_id INTEGER NOT NULL,"
    " month TEXT NOT NULL,"
    " acc TEXT NOT NULL,"
    " charged_fen INTEGER NOT NULL,"
    " tier_start INTEGER NOT NULL, tier_used_wh INTEGER NOT NULL,"
    " ref_seq INTEGER NOT NULL, ref_ts INTEGER NOT NULL, ref_import_wh INTEGER NOT NULL,"
    " ref_rates TEXT);"
    "CREATE TABLE bills ("
    " account_id INTEGER NOT NULL REFERENCES accounts(id),"
    " month TEXT NOT NULL,"
    " meter_id INTEGER,"
    " state TEXT NOT NULL CHECK (state IN ('held','settled')),"
    " mode TEXT NOT NULL,"
    " tariff_id TEXT, tariff_hash TEXT,"
    " from_ts INTEGER, to_ts INTEGER,"
    " from_import_wh INTEGER, to_import_wh INTEGER,"
    " energy_wh INTEGER, total_fen INTEGER,"
    " lines TEXT,"
    " flags TEXT NOT NULL,"
    " prev_wh INTEGER, prev_fen INTEGER, last_year_wh INTEGER, last_year_fen INTEGER,"
    " charged_fen INTEGER, posted_fen INTEGER, ledger_id INTEGER,"
    " created_at INTEGER NOT NULL, settled_at INTEGER,"
    " PRIMARY KEY (account_id, month));"
    "CREATE INDEX bills_state ON bills(state, month);"
    "CREATE TABLE commands ("
    " id INTEGER PRIMARY KEY,"
    " meter_id INTEGER NOT NULL REFERENCES meters(id),"
    " op TEXT NOT NULL CHECK (op IN ('trip','close','protect','unprotect')),"
    " reason TEXT NOT NULL,"
    " by_name TEXT NOT NULL,"
    " issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('pending','delivered','done','failed')),"
    " relay TEXT,"
    " updated_at INTEGER NOT NULL);"
    "CREATE INDEX commands_meter ON commands(meter_id, state);"
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY,"
    " ts INTEGER NOT NULL,"
    " token TEXT NOT NULL,"
    " method TEXT NOT NULL,"
    " path TEXT NOT NULL,"
    " status INTEGER NOT NULL,"
    " body TEXT);",
    /* 1 -> 2: the monitoring wall (latest events, energy and revenue by
     * time, the month's ledger export) and the webhook queue */
    "CREATE INDEX events_ts ON events(ts);"
    "CREATE INDEX readings_ts ON readings(ts);"
    "CREATE INDEX ledger_ts ON ledger(ts);"
    "CREATE TABLE webhook_queue ("
    " id INTEGER PRIMARY KEY,"
    " target TEXT NOT NULL,"
    " event_key TEXT NOT NULL,"
    " event TEXT NOT NULL,"
    " body TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('pending','sent','dead')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_at INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " sent_at INTEGER,"
    " last_status INTEGER,"
    " last_error TEXT,"
    " UNIQUE (target, event_key));"
    "CREATE INDEX webhook_queue_due ON webhook_queue(state, next_at);",
    /* 2 -> 3: the wall's kiosk screens (tokens of role 'display': SQLite
     * changes a CHECK only by rebuilding the table) and each token's own
     * dashboard settings (language; a display's layout and last contact) */
    "CREATE TABLE tokens_new ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " role TEXT NOT NULL CHECK (role IN ('admin','operator','gateway','display')),"
    " hash TEXT NOT NULL,"
    " gateway_id INTEGER REFERENCES gateways(id),"
    " created_at INTEGER NOT NULL,"
    " revoked INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO tokens_new (id, name, role, hash, gateway_id, created_at, revoked)"
    " SELECT id, name, role, hash, gateway_id, created_at, revoked FROM tokens;"
    "DROP TABLE tokens;"
    "ALTER TABLE tokens_new RENAME TO tokens;"
    "CREATE TABLE dash_prefs ("
    " token_id INTEGER PRIMARY KEY REFERENCES tokens(id),"
    " lang TEXT,"
    " layout TEXT,"
    " last_seen INTEGER,"
    " updated_at INTEGER NOT NULL);",
    /* 3 -> 4: dashboard sessions ended by sign-out (srv_session.c): the
     * cookie's MAC until the cookie would have expired anyway */
    "CREATE TABLE session_revocations ("
    " mac TEXT PRIMARY KEY,"
    " expires_at INTEGER NOT NULL);",
    /* 4 -> 5: readings in typed columns, every field a meter gives (ingest
     * writes them without serialising JSON per reading; srv_reading_row.h);
     * the old rows' JSON body and rates text become those columns (a value
     * of the wrong type becomes NULL; a row is never lost). */
    "CREATE TABLE readings_typed ("
    " meter_id INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,"
    " kind TEXT NOT NULL, quality INTEGER NOT NULL,"
    " import_wh INTEGER, export_wh INTEGER,"
    " rate1_wh INTEGER, rate2_wh INTEGER, rate3_wh INTEGER, rate4_wh INTEGER,"
    " power_mw INTEGER,"
    " voltage1_mv INTEGER, voltage2_mv INTEGER, voltage3_mv INTEGER,"
    " current1_ma INTEGER, current2_ma INTEGER, current3_ma INTEGER,"
    " pf_milli INTEGER, freq_mhz INTEGER, relay TEXT, address TEXT, meter_time INTEGER,"
    " frozen_import_wh INTEGER, frozen_time INTEGER, remain_fen INTEGER, overdraft_fen INTEGER,"
    " stored_at INTEGER NOT NULL,"
    " PRIMARY KEY (meter_id, seq)) WITHOUT ROWID;"
    "INSERT INTO readings_typed SELECT meter_id, seq, ts, kind, quality, import_wh, CASE"
    " json_type(b, '$.export_wh') WHEN 'integer' THEN json_extract(b, '$.export_wh') END,"
    " CASE json_type(q, '$[0]') WHEN 'integer' THEN json_extract(q, '$[0]') END, CASE"
    " json_type(q, '$[1]') WHEN 'integer' THEN json_extract(q, '$[1]') END, CASE"
    " json_type(q, '$[2]') WHEN 'integer' THEN json_extract(q, '$[2]') END, CASE"
    " json_type(q, '$[3]') WHEN 'integer' THEN json_extract(q, '$[3]') END, CASE"
    " json_type(b, '$.power_mw') WHEN 'integer' THEN json_extract(b, '$.power_mw') END,"
    " CASE json_type(b, '$.voltage_mv[0]') WHEN 'integer' THEN json_extract(b,"
    " '$.voltage_mv[0]') END, CASE json_type(b, '$.voltage_mv[1]') WHEN 'integer' THEN"
    " json_extract(b, '$.voltage_mv[1]') END, CASE json_type(b, '$.voltage_mv[2]') WHEN"
    " 'integer' THEN json_extract(b, '$.voltage_mv[2]') END, CASE json_type(b,"
    " '$.current_ma[0]') WHEN 'integer' THEN json_extract(b, '$.current_ma[0]') END, CASE"
    " json_type(b, '$.current_ma[1]') WHEN 'integer' THEN json_extract(b,"
    " '$.current_ma[1]') END, CASE json_type(b, '$.current_ma[2]') WHEN 'integer' THEN"
    " json_extract(b, '$.current_ma[2]') END, CASE json_type(b, '$.pf_milli') WHEN"
    " 'integer' THEN json_extract(b, '$.pf_milli') END, CASE json_type(b, '$.freq_mhz')"
    " WHEN 'integer' THEN json_extract(b, '$.freq_mhz') END, CASE json_type(b, '$.relay')"
    " WHEN 'text' THEN json_extract(b, '$.relay') END, CASE json_type(b, '$.address') WHEN"
    " 'text' THEN json_extract(b, '$.address') END, CASE json_type(b, '$.meter_time') WHEN"
    " 'integer' THEN json_extract(b, '$.meter_time') END, frozen_import_wh, frozen_time,"
    " CASE json_type(b, '$.remain_fen') WHEN 'integer' THEN json_extract(b, '$.remain_fen')"
    " END, CASE json_type(b, '$.overdraft_fen') WHEN 'integer' THEN json_extract(b,"
    " '$.overdraft_fen') END, stored_at FROM (SELECT *, CASE WHEN json_valid(body) THEN"
    " body ELSE '{}' END AS b, CASE WHEN json_valid(rates) THEN rates ELSE '[]' END AS q"
    " FROM readings);"
    "DROP TABLE readings;"
    "ALTER TABLE readings_typed RENAME TO readings;"
    "CREATE INDEX readings_boundary ON readings(meter_id, ts) WHERE kind = 'boundary';"
    "CREATE INDEX readings_frozen ON readings(meter_id, frozen_time)"
    " WHERE frozen_time IS NOT NULL;"
    "CREATE INDEX readings_ts ON readings(ts);",
    /* 5 -> 6: the seams of a month (docs/tariffs.md).  supplies: which
     * meter measured which account from which reading to which (move-in,
     * move-out, change of holder, meter exchange); an opening without a
     * register is the first reading after from_seq, filled in when it
     * comes.  register_fixes: an operator's word on a register that went
     * backwards.  tariff_plans: an account's dated tariffs spliced into one
     * tariff (mb_tariff_splice), served to agents like any tariff.  Bills
     * keep where they ended (the next month starts there) and why they are
     * held; the charge state where its month started. */
    "ALTER TABLE meters ADD COLUMN rollover_wh INTEGER;"
    "CREATE TABLE supplies ("
    " id INTEGER PRIMARY KEY,"
    " account_id INTEGER NOT NULL REFERENCES accounts(id),"
    " meter_id INTEGER NOT NULL REFERENCES meters(id),"
    " opened_how TEXT NOT NULL CHECK (opened_how IN ('bind','move_in','transfer','exchange')),"
    " from_seq INTEGER NOT NULL,"
    " from_ts INTEGER, from_import_wh INTEGER, from_rates TEXT,"
    " tier_start INTEGER NOT NULL DEFAULT 0, tier_used_wh INTEGER NOT NULL DEFAULT 0,"
    " closed_how TEXT CHECK (closed_how IN ('move_out','transfer','exchange')),"
    " to_seq INTEGER, to_ts INTEGER, to_import_wh INTEGER, to_rates TEXT,"
    " opened_at INTEGER NOT NULL, opened_by TEXT NOT NULL,"
    " closed_at INTEGER, closed_by TEXT);"
    "CREATE INDEX supplies_account ON supplies(account_id, id);"
    "CREATE INDEX supplies_meter ON supplies(meter_id, id);"
    "INSERT INTO supplies (account_id, meter_id, opened_how, from_seq, opened_at, opened_by)"
    " SELECT account_id, id, 'bind', 0, bound_at, 'schema 4' FROM meters"
    " WHERE account_id IS NOT NULL;"
    "UPDATE supplies SET"
    " from_seq = (SELECT r.seq FROM readings r WHERE r.meter_id = supplies.meter_id"
    "  AND r.import_wh IS NOT NULL ORDER BY r.seq LIMIT 1),"
    " from_ts = (SELECT r.ts FROM readings r WHERE r.meter_id = supplies.meter_id"
    "  AND r.import_wh IS NOT NULL ORDER BY r.seq LIMIT 1),"
    " from_import_wh = (SELECT r.import_wh FROM readings r WHERE r.meter_id = supplies.meter_id"
    "  AND r.import_wh IS NOT NULL ORDER BY r.seq LIMIT 1),"
    " from_rates = (SELECT CASE WHEN r.rate1_wh IS NOT NULL AND r.rate2_wh IS NOT NULL"
    "  AND r.rate3_wh IS NOT NULL AND r.rate4_wh IS NOT NULL THEN '[' || r.rate1_wh || ','"
    "  || r.rate2_wh || ',' || r.rate3_wh || ',' || r.rate4_wh || ']' END FROM readings r"
    "  WHERE r.meter_id = supplies.meter_id AND r.import_wh IS NOT NULL ORDER BY r.seq LIMIT 1)"
    " WHERE EXISTS (SELECT 1 FROM readings r WHERE r.meter_id = supplies.meter_id"
    "  AND r.import_wh IS NOT NULL);"
    "CREATE TABLE register_fixes ("
    " meter_id INTEGER NOT NULL REFERENCES meters(id),"
    " seq INTEGER NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('rollover','exchange','exclude')),"
    " shift_wh INTEGER NOT NULL DEFAULT 0,"
    " reason TEXT NOT NULL, by_name TEXT NOT NULL, created_at INTEGER NOT NULL,"
    " PRIMARY KEY (meter_id, seq));"
    "CREATE TABLE tariff_plans ("
    " id TEXT PRIMARY KEY,"
    " hash TEXT NOT NULL,"
    " text TEXT NOT NULL,"
    " made_at INTEGER NOT NULL);"
    "ALTER TABLE bills ADD COLUMN reason TEXT;"
    "ALTER TABLE bills ADD COLUMN to_supply_id INTEGER;"
    "ALTER TABLE bills ADD COLUMN to_meter_id INTEGER;"
    "ALTER TABLE bills ADD COLUMN to_seq INTEGER;"
    "ALTER TABLE bills ADD COLUMN to_rates TEXT;"
    "ALTER TABLE bills ADD COLUMN tier_start INTEGER;"
    "ALTER TABLE bills ADD COLUMN tier_used_wh INTEGER;"
    "ALTER TABLE bills ADD COLUMN pieces TEXT;"
    "ALTER TABLE bills ADD COLUMN plan TEXT;"
    "ALTER TABLE charge_state ADD COLUMN supply_id INTEGER;"
    "ALTER TABLE charge_state ADD COLUMN month_supply_id INTEGER;"
    "ALTER TABLE charge_state ADD COLUMN month_meter_id INTEGER;"
    "ALTER TABLE charge_state ADD COLUMN month_seq INTEGER;"
    "ALTER TABLE charge_state ADD COLUMN month_ts INTEGER;"
    "ALTER TABLE charge_state ADD COLUMN month_import_wh INTEGER;"
    "ALTER TABLE charge_state ADD COLUMN month_rates TEXT;"
    "ALTER TABLE charge_state ADD COLUMN month_tier_start INTEGER;"
    "ALTER TABLE charge_state ADD COLUMN month_tier_used_wh INTEGER;",
    /* 6 -> 7: the month close as a job (srv_close_job.c): its progress, so a
     * close survives a kill; one scheduled close per month */
    "CREATE TABLE close_jobs ("
    " id INTEGER PRIMARY KEY,"
    " month TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('running','done','failed')),"
    " scheduled INTEGER NOT NULL,"
    " by_name TEXT NOT NULL,"
    " owner TEXT,"
    " total INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0,"
    " next_account INTEGER NOT NULL DEFAULT 0,"
    " settled INTEGER NOT NULL DEFAULT 0, held INTEGER NOT NULL DEFAULT 0,"
    " already INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " error TEXT,"
    " created_at INTEGER NOT NULL, started_at INTEGER, updated_at INTEGER NOT NULL,"
    " finished_at INTEGER, retry_at INTEGER);"
    "CREATE INDEX close_jobs_state ON close_jobs(state, id);"
    "CREATE UNIQUE INDEX close_jobs_scheduled ON close_jobs(month) WHERE scheduled = 1;",
    /* 7 -> 8: postpaid dunning (srv_dunning.c): a monthly bill's due date,
     * grace and dunning state; per-account terms (NULL: server.conf); a
     * queued trip can be cancelled (a payment, a top-up above the
     * reconnect threshold), which SQLite changes in a CHECK only by
     * rebuilding the table. */
    "ALTER TABLE accounts ADD COLUMN due_days INTEGER;"
    "ALTER TABLE accounts ADD COLUMN grace_days INTEGER;"
    "ALTER TABLE accounts ADD COLUMN overdue_trip_days INTEGER;"
    "ALTER TABLE bills ADD COLUMN due_at INTEGER;"
    "ALTER TABLE bills ADD COLUMN grace_until INTEGER;"
    "ALTER TABLE bills ADD COLUMN dunning TEXT"
    " CHECK (dunning IN ('open','paid','alarmed','tripped'));"
    "CREATE INDEX bills_dunning ON bills(dunning, grace_until)"
    " WHERE dunning IN ('open','alarmed','tripped');"
    "CREATE TABLE commands_new ("
    " id INTEGER PRIMARY KEY,"
    " meter_id INTEGER NOT NULL REFERENCES meters(id),"
    " op TEXT NOT NULL CHECK (op IN ('trip','close','protect','unprotect')),"
    " reason TEXT NOT NULL,"
    " by_name TEXT NOT NULL,"
    " issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('pending','delivered','done','failed','cancelled')),"
    " relay TEXT,"
    " updated_at INTEGER NOT NULL);"
    "INSERT INTO commands_new SELECT id, meter_id, op, reason, by_name, issued_at, expires_at,"
    " state, relay, updated_at FROM commands;"
    "DROP TABLE commands;"
    "ALTER TABLE commands_new RENAME TO commands;"
    "CREATE INDEX commands_meter ON commands(meter_id, state);",
    /* 8 -> 9: transformer areas (台区, docs/operations.md): an area, and
     * where each meter stands from a date on (area_meters: the latest row
     * at or before a day is in force; area NULL: in no area), as an area's
     * main meter (总表) or a member. */
    "CREATE TABLE areas ("
    " id INTEGER PRIMARY KEY,"
    " code TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL DEFAULT '',"
    " region TEXT NOT NULL DEFAULT '',"
    " loss_min_bp INTEGER NOT NULL, loss_max_bp INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE area_meters ("
    " meter_id INTEGER NOT NULL REFERENCES meters(id),"
    " effective_from INTEGER NOT NULL,"
    " effective_date TEXT NOT NULL,"
    " area_id INTEGER REFERENCES areas(id),"
    " role TEXT NOT NULL CHECK (role IN ('member','main')),"
    " assigned_at INTEGER NOT NULL, assigned_by TEXT NOT NULL,"
    " PRIMARY KEY (meter_id, effective_from));"
    "CREATE INDEX area_meters_area ON area_meters(area_id, meter_id);",
    /* 9 -> 10: where each month of continuous deduction started, so that a
     * reading arriving late for a month already left can walk that month
     * again (srv_charge.c); and */
    "CREATE TABLE charge_months ("
    " account_id INTEGER NOT NULL REFERENCES accounts(id),"
    " month TEXT NOT NULL,"
    " supply_id INTEGER NOT NULL, meter_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " ts INTEGER NOT NULL, import_wh INTEGER NOT NULL, rates TEXT,"
    " tier_start INTEGER NOT NULL, tier_used_wh INTEGER NOT NULL,"
    " PRIMARY KEY (account_id, month));"
    /* the reading a supply's opening was taken from (its first, for a
     * binding without an opening register): a reading of that supply
     * arriving later with a lower seq becomes the opening instead */
    "ALTER TABLE supplies ADD COLUMN open_seq INTEGER;",
    /* 10 -> 11: multipliers (综合倍率, docs/tariffs.md "Multipliers").  A
     * meter's CT and PT ratios from a register on (meter_multipliers: readings
     * after after_seq are under it, from the register at_wh read at at_ts);
     * each supply carries the multiplier it is charged with, and a change
     * of multiplier closes a supply and opens one on the same meter
     * ('multiplier'), which SQLite allows in a CHECK only by rebuilding
     * the table. */
    "CREATE TABLE meter_multipliers ("
    " id INTEGER PRIMARY KEY,"
    " meter_id INTEGER NOT NULL REFERENCES meters(id),"
    " after_seq INTEGER NOT NULL,"
    " at_ts INTEGER, at_wh INTEGER,"
    " ct TEXT NOT NULL, pt TEXT NOT NULL, ct_ratio INTEGER NOT NULL, pt_ratio INTEGER NOT NULL,"
    " multiplier INTEGER NOT NULL,"
    " set_at INTEGER NOT NULL, set_by TEXT NOT NULL);"
    "CREATE INDEX meter_multipliers_meter ON meter_multipliers(meter_id, id);"
    "CREATE TABLE supplies_new ("
    " id INTEGER PRIMARY KEY,"
    " account_id INTEGER NOT NULL REFERENCES accounts(id),"
    " meter_id INTEGER NOT NULL REFERENCES meters(id),"
    " opened_how TEXT NOT NULL"
    "  CHECK (opened_how IN ('bind','move_in','transfer','exchange','multiplier')),"
    " from_seq INTEGER NOT NULL,"
    " from_ts INTEGER, from_import_wh INTEGER, from_rates TEXT,"
    " tier_start INTEGER NOT NULL DEFAULT 0, tier_used_wh INTEGER NOT NULL DEFAULT 0,"
    " closed_how TEXT CHECK (closed_how IN ('move_out','transfer','exchange','multiplier')),"
    " to_seq INTEGER, to_ts INTEGER, to_import_wh INTEGER, to_rates TEXT,"
    " opened_at INTEGER NOT NULL, opened_by TEXT NOT NULL,"
    " closed_at INTEGER, closed_by TEXT, open_seq INTEGER,"
    " multiplier INTEGER NOT NULL DEFAULT 1);"
    "INSERT INTO supplies_new (id, account_id, meter_id, opened_how, from_seq, from_ts,"
    " from_import_wh, from_rates, tier_start, tier_used_wh, closed_how, to_seq, to_ts,"
    " to_import_wh, to_rates, opened_at, opened_by, closed_at, closed_by, open_seq)"
    " SELECT id, account_id, meter_id, opened_how, from_seq, from_ts, from_import_wh,"
    " from_rates, tier_start, tier_used_wh, closed_how, to_seq, to_ts, to_import_wh, to_rates,"
    " opened_at, opened_by, closed_at, closed_by, open_seq FROM supplies;"
    "DROP TABLE supplies;"
    "ALTER TABLE supplies_new RENAME TO supplies;"
    "CREATE INDEX supplies_account ON supplies(account_id, id);"
    "CREATE INDEX supplies_meter ON supplies(meter_id, id);",
    /* 11 -> 12: the maximum demand a meter registers (最大需量), for the
     * demand charge of the month close (docs/tariffs.md, "Monthly
     * charges"): this month's so far and when it occurred, and last month's
     * frozen at the settlement day with when it froze, in mW */
    "ALTER TABLE readings ADD COLUMN demand_mw INTEGER;"
    "ALTER TABLE readings ADD COLUMN demand_time INTEGER;"
    "ALTER TABLE readings ADD COLUMN frozen_demand_mw INTEGER;"
    "ALTER TABLE readings ADD COLUMN frozen_demand_time INTEGER;",
    /* 12 -> 13: each gateway's uplink as its last upload reported it
     * (docs/wire.md "uplink", srv_uplink.h): the interface the route to the
     * server takes and, over a cellular modem, its signal, operator and
     * state; health is 'ok', 'weak' or 'failing', decided when stored */
    "CREATE TABLE gateway_uplinks ("
    " gateway_id INTEGER PRIMARY KEY REFERENCES gateways(id),"
    " reported_at INTEGER NOT NULL,"
    " iface TEXT, kind TEXT, source TEXT,"
    " signal_pct INTEGER, rssi_dbm INTEGER,"
    " technology TEXT, operator_name TEXT, operator_code TEXT,"
    " state TEXT, registration TEXT,"
    " retries INTEGER NOT NULL DEFAULT 0,"
    " health TEXT NOT NULL CHECK (health IN ('ok','weak','failing')));",
    /* 13 -> 14: PostgreSQL leaves room in the accounts table's pages for
     * balance updates (srv_schema_pg.c); SQLite updates rows in place */
    "SELECT 1;",
    /* 14 -> 15: the same for charge_state on PostgreSQL */
    "SELECT 1;",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int srv_schema_latest(void)
{
        return N_MIGRATIONS;
}

static int current_version(srv_db *db, int64_t *v)
{
        int rc = srv_db_exec_script(
            db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");

        if (rc < 0)
                return rc;
        *v = 0;
        rc = srv_db_query_i64(db, v, "SELECT max(version) FROM schema_version", "");
        return rc < 0 ? rc : MB_OK;
}

int srv_schema_migrate(srv_db *db, char *err, size_t errlen)
{
        int64_t v;
        int rc;

        if (strcmp(srv_db_backend(db), "postgresql") == 0)
                return srv_schema_pg_migrate(db, err, errlen);
        rc = srv_db_begin(db);

        if (rc == MB_OK)
                rc = current_version(db, &v);
        if (rc == MB_OK && v > N_MIGRATIONS) {
                snprintf(err, errlen, "database schema version %lld is newer than this server (%d)",
                         (long long)v, N_MIGRATIONS);
                srv_db_rollback(db);
                return MB_ESTATE;
        }
        for (; rc == MB_OK && v < N_MIGRATIONS; v++) {
                rc = srv_db_exec_script(db, migrations[v]);
                if (rc == MB_OK)
                        rc = srv_db_exec_args(db, "DELETE FROM schema_version", "");
                if (rc >= 0)
                        rc = srv_db_exec_args(
                            db, "INSERT INTO schema_version (version) VALUES ($1)", "i", v + 1);
                rc = rc < 0 ? rc : MB_OK;
        }
        if (rc == MB_OK)
                rc = srv_db_commit(db);
        if (rc < 0) {
                snprintf(err, errlen, "schema migration: %s", srv_db_errmsg(db));
                srv_db_rollback(db);
        }
        return rc;
}
