/* SPDX-License-Identifier: Apache-2.0 */
/* agent.db schema and its migrations, applied in order by PRAGMA user_version. */
#include <stdio.h>

#include "agent_store_priv.h"

/* Each entry moves the schema from version i to i + 1.  Never edit a shipped
 * entry: add a new one. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE meters ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " address TEXT,"
    " account TEXT);"
    "CREATE TABLE readings ("
    " meter_id INTEGER NOT NULL REFERENCES meters(id),"
    " seq INTEGER NOT NULL,"
    " ts INTEGER NOT NULL,"
    " kind INTEGER NOT NULL DEFAULT 0,"
    " fields INTEGER NOT NULL,"
    " quality INTEGER NOT NULL DEFAULT 0,"
    " import_wh INTEGER, export_wh INTEGER,"
    " rate1_wh INTEGER, rate2_wh INTEGER, rate3_wh INTEGER, rate4_wh INTEGER,"
    " power_mw INTEGER, phases INTEGER,"
    " voltage1_mv INTEGER, voltage2_mv INTEGER, voltage3_mv INTEGER,"
    " current1_ma INTEGER, current2_ma INTEGER, current3_ma INTEGER,"
    " pf_milli INTEGER, freq_mhz INTEGER, relay INTEGER, address TEXT,"
    " meter_time INTEGER, frozen_import_wh INTEGER, frozen_time INTEGER,"
    " remain_fen INTEGER, overdraft_fen INTEGER,"
    " acked INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (meter_id, seq)) WITHOUT ROWID;"
    "CREATE INDEX readings_unacked ON readings(meter_id, seq) WHERE acked = 0;"
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " meter_id INTEGER NOT NULL DEFAULT 0,"
    " ts INTEGER NOT NULL,"
    " type TEXT NOT NULL,"
    " reason TEXT,"
    " balance_fen INTEGER,"
    " data TEXT,"
    " acked INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX events_unacked ON events(id) WHERE acked = 0;",
    /* 1 -> 2: what the server sends, and the policy's state */
    "CREATE TABLE snapshots ("
    " meter_id INTEGER PRIMARY KEY REFERENCES meters(id),"
    " json TEXT NOT NULL,"
    " received_at INTEGER NOT NULL);"
    "CREATE TABLE tariffs ("
    " hash TEXT PRIMARY KEY,"
    " id TEXT NOT NULL,"
    " text TEXT NOT NULL);"
    "CREATE TABLE commands ("
    " id INTEGER PRIMARY KEY,"
    " meter_id INTEGER NOT NULL REFERENCES meters(id),"
    " op TEXT NOT NULL,"
    " reason TEXT,"
    " issued_by TEXT,"
    " issued_at INTEGER,"
    " expires_at INTEGER,"
    " state TEXT NOT NULL DEFAULT 'new',"
    " received_at INTEGER NOT NULL,"
    " done_at INTEGER);"
    "CREATE TABLE policy_state ("
    " meter_id INTEGER PRIMARY KEY REFERENCES meters(id),"
    " level INTEGER NOT NULL,"
    " alarm2_at INTEGER NOT NULL,"
    " trip_deferred INTEGER NOT NULL,"
    " cut_import_wh INTEGER NOT NULL,"
    " tamper_reported INTEGER NOT NULL);",
    /* 2 -> 3: the local balance computed with each reading, to compare with
     * the server's for the same readings */
    "ALTER TABLE readings ADD COLUMN balance_fen INTEGER;",
    /* 3 -> 4: the meter's newest seq when a snapshot with no reference (the
     * server has not seen the meter) was stored: the agent charges from the
     * first reading after it */
    "ALTER TABLE snapshots ADD COLUMN after_seq INTEGER NOT NULL DEFAULT 0;",
    /* 4 -> 5: when the server last answered an upload, for `meterbox-agent
     * status` on site */
    "CREATE TABLE sync_state ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " ok_at INTEGER NOT NULL);",
    /* 5 -> 6: readings in the order they are taken (docs/durability.md).
     * Keyed by (meter, seq), each group commit wrote a page at the end of
     * every meter's run and of its index, and every acknowledgement rewrote
     * the rows again: about 60 times the bytes of the readings themselves
     * on flash.  In arrival order a commit appends, acknowledgements are a
     * mark (store_meta) applied with the next commit, and a meter's newest
     * rows are found scanning back from the end.  Each meter's rows keep
     * its sequence order in id: nothing else ties a seq to one row now,
     * the store hands them out in order (agent_store_readings.c).  Every
     * byte of a row reaches flash twice (WAL, checkpoint), so the measured
     * values other than import, power and relay are packed into one column
     * (data, agent_store_extra.c: no header byte per value, the meter's
     * clock as its offset from ts, no address when it is the meter's own;
     * mb_data() is registered on the connection before migrating). */
    "CREATE TABLE readings5 ("
    " id INTEGER PRIMARY KEY,"
    " meter_id INTEGER NOT NULL REFERENCES meters(id),"
    " seq INTEGER NOT NULL,"
    " ts INTEGER NOT NULL,"
    " kind INTEGER NOT NULL DEFAULT 0,"
    " fields INTEGER NOT NULL,"
    " quality INTEGER NOT NULL DEFAULT 0,"
    " import_wh INTEGER, power_mw INTEGER, relay INTEGER,"
    " data BLOB,"
    " acked INTEGER NOT NULL DEFAULT 0,"
    " balance_fen INTEGER);"
    "INSERT INTO readings5 (meter_id, seq, ts, kind, fields, quality, import_wh, power_mw, relay,"
    " data, acked, balance_fen)"
    " SELECT meter_id, seq, ts, kind, fields, quality, import_wh, power_mw, relay,"
    " mb_data(export_wh, rate1_wh, rate2_wh, rate3_wh, rate4_wh, voltage1_mv, voltage2_mv,"
    " voltage3_mv, current1_ma, current2_ma, current3_ma, pf_milli, freq_mhz, meter_time - ts,"
    " frozen_import_wh, frozen_time, remain_fen, overdraft_fen,"
    " CASE WHEN address = (SELECT m.address FROM meters m WHERE m.id = meter_id) THEN NULL"
    " ELSE address END), acked, balance_fen"
    " FROM readings ORDER BY meter_id, seq;"
    "DROP TABLE readings;"
    "ALTER TABLE readings5 RENAME TO readings;"
    "CREATE INDEX readings_boundary ON readings(meter_id, ts) WHERE kind = 1;"
    "CREATE TABLE store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    /* where a new store's meter continues: the server's high-water seq
     * (agent_store_resume.c) */
    "ALTER TABLE meters ADD COLUMN seq_floor INTEGER NOT NULL DEFAULT 0;",
    /* 6 -> 7: what the uploader last saw of the uplink (agent_uplink.h),
     * for `meterbox-agent status` on site; written with the commit after a
     * look, at most every server.uplink_every seconds */
    "CREATE TABLE uplink_state ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " looked_at INTEGER NOT NULL,"
    " json TEXT NOT NULL);",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int user_version(sqlite3 *db)
{
        sqlite3_stmt *st;
        int v = -1;

        if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
                return -1;
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return v;
}

static int apply(sqlite3 *db, int from, const char *path, char *err, size_t errlen)
{
        char sql[64];
        char *msg = NULL;

        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", from + 1);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) == SQLITE_OK &&
            sqlite3_exec(db, migrations[from], NULL, NULL, &msg) == SQLITE_OK &&
            sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK &&
            sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) == SQLITE_OK)
                return 0;
        snprintf(err, errlen, "%s: migrating schema %d -> %d: %s", path, from, from + 1,
                 msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
}

int agent_store_migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
        return agent_store_migrate_upto(db, path, N_MIGRATIONS, err, errlen);
}

int agent_store_migrate_upto(sqlite3 *db, const char *path, int upto, char *err, size_t errlen)
{
        int v = user_version(db), created = 0;

        if (v < 0) {
                snprintf(err, errlen, "%s: cannot read schema version: %s", path,
                         sqlite3_errmsg(db));
                return -1;
        }
        if (v > N_MIGRATIONS) {
                snprintf(err, errlen,
                         "%s: schema version %d is newer than this agent (%d): "
                         "refusing to touch it",
                         path, v, N_MIGRATIONS);
                return -1;
        }
        if (v == 0 && upto == N_MIGRATIONS)
                created = 1;
        for (; v < upto && v < N_MIGRATIONS; v++)
                if (apply(db, v, path, err, errlen) < 0)
                        return -1;
        /* A new file: this gateway's readings and events may already be on
         * the server from a store that was lost.  The uploader asks where to
         * resume before it sends anything (agent_store_resume.c). */
        if (created &&
            sqlite3_exec(db, "INSERT OR REPLACE INTO store_meta(key, value) VALUES ('resume', 1)",
                         NULL, NULL, NULL) != SQLITE_OK) {
                snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
                return -1;
        }
        return 0;
}
