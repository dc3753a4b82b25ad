/* SPDX-License-Identifier: Apache-2.0 */
/* agent.db: connection, transactions (with batching), meters. */
#define MB_LOG_MODULE "store"
#include <stdlib.h>
#include <string.h>

#include <meterbox/errors.h>

#include "agent_store_priv.h"
#include "mb_log.h"
#include "mb_time.h"

int agent_store_rc(agent_store *st, int rc, const char *what)
{
        mb_err_log("%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
        return rc == SQLITE_FULL ? MB_ENOSPC : MB_ESTORE;
}

/* Memory for what may wait (agent_store_priv.h): the readings not yet on
 * flash, and snapshots that only move the reference forward. */
static const char temp_schema[] =
    "CREATE TEMP TABLE pending (meter_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " ts INTEGER NOT NULL, kind INTEGER NOT NULL, fields INTEGER NOT NULL, quality INTEGER,"
    " import_wh, power_mw, relay, data, balance_fen);"
    "CREATE TEMP TABLE snapshots (meter_id INTEGER PRIMARY KEY, json TEXT NOT NULL,"
    " received_at INTEGER NOT NULL, after_seq INTEGER NOT NULL);"
    "CREATE TEMP TABLE refused (tbl TEXT NOT NULL, id INTEGER NOT NULL);";

static int64_t meta(agent_store *st, const char *key)
{
        sqlite3_stmt *s;
        int64_t v = 0;

        if (sqlite3_prepare_v2(st->db, "SELECT value FROM store_meta WHERE key = ?", -1, &s,
                               NULL) == SQLITE_OK) {
                sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
                if (sqlite3_step(s) == SQLITE_ROW)
                        v = sqlite3_column_int64(s, 0);
                sqlite3_finalize(s);
        }
        return v;
}

static int setup(agent_store *st, char *err, size_t errlen)
{
        /* A page cache of 512 KiB, not SQLite's 2 MiB: the agent appends and
         * reads back what is not yet acknowledged, a small working set, while
         * a store of weeks of readings would otherwise grow the cache, and the
         * agent's private memory, to the full 2 MiB on a 128 MB router.
         * synchronous=FULL: every commit is on flash before anything acts on
         * it (docs/durability.md); grouping is what spares the flash.
         * secure_delete=FAST: builds that default to secure_delete (Debian's)
         * write every freed page full of zeros, a third of a group commit's
         * pages once acknowledged readings are deleted; FAST still clears
         * what is written anyway. */
        static const char sql[] =
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            " PRAGMA cache_size=-512; PRAGMA temp_store=MEMORY; PRAGMA secure_delete=FAST;";

        sqlite3_busy_timeout(st->db, 5000);
        if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK ||
            agent_store_data_function(st->db) != SQLITE_OK ||
            agent_store_migrate(st->db, st->path, err, errlen) < 0 ||
            sqlite3_exec(st->db, temp_schema, NULL, NULL, NULL) != SQLITE_OK) {
                if (!*err)
                        snprintf(err, errlen, "%s: %s", st->path, sqlite3_errmsg(st->db));
                return -1;
        }
        st->acked = st->acked_saved = meta(st, "readings_acked");
        st->ev_acked = st->ev_acked_saved = meta(st, "events_acked");
        agent_store_rescan(st); /* `resend` while the agent was stopped */
        return 0;
}

int agent_store_open(const struct agent_store_opts *opts, agent_store **out, char *err,
                     size_t errlen)
{
        agent_store *st = calloc(1, sizeof(*st));

        *err = 0;
        if (!st || !(st->path = strdup(opts->path))) {
                free(st);
                snprintf(err, errlen, "out of memory");
                return MB_ENOMEM;
        }
        st->opts = *opts;
        st->opts.path = st->path;
        if (st->opts.commit_every < 1)
                st->opts.commit_every = 1;
        {
                /* Recursive: readers such as agent_store_meter_by_address are
                 * also called inside a begin/end group. */
                pthread_mutexattr_t attr;
                pthread_mutexattr_init(&attr);
                pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
                pthread_mutex_init(&st->lock, &attr);
                pthread_mutexattr_destroy(&attr);
        }
        if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK) {
                snprintf(err, errlen, "%s: cannot open: %s", st->path,
                         st->db ? sqlite3_errmsg(st->db) : "out of memory");
                agent_store_close(st);
                return MB_ESTORE;
        }
        if (setup(st, err, errlen) < 0) {
                agent_store_close(st);
                return MB_ESTORE;
        }
        *out = st;
        return MB_OK;
}

void agent_store_close(agent_store *st)
{
        if (!st)
                return;
        if (st->db) {
                /* What waited in memory goes to flash now. */
                pthread_mutex_lock(&st->lock);
                if (st->n_pending || st->dirty_since) {
                        agent_store_write(st);
                        agent_store_commit(st);
                }
                pthread_mutex_unlock(&st->lock);
                sqlite3_finalize(st->ins_reading);
                sqlite3_finalize(st->ins_event);
                sqlite3_finalize(st->set_balance);
                sqlite3_finalize(st->data_version_stmt);
                sqlite3_close(st->db);
        }
        pthread_mutex_destroy(&st->lock);
        free(st->seqs);
        free(st->uplink_json);
        free(st->path);
        free(st);
}

int agent_store_schema_version(agent_store *st)
{
        sqlite3_stmt *s;
        int v = -1;

        pthread_mutex_lock(&st->lock);
        if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK) {
                if (sqlite3_step(s) == SQLITE_ROW)
                        v = sqlite3_column_int(s, 0);
                sqlite3_finalize(s);
        }
        pthread_mutex_unlock(&st->lock);
        return v;
}

static int meter_upsert(agent_store *st, const char *name, const char *address, const char *account)
{
        static const char sql[] =
            "INSERT INTO meters(name, address, account) VALUES (?1, ?2, ?3) "
            "ON CONFLICT(name) DO UPDATE SET address = coalesce(?2, address), account = ?3 "
            "WHERE address IS NOT coalesce(?2, address) OR account IS NOT ?3";
        sqlite3_stmt *s;
        int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

        if (rc != SQLITE_OK)
                return rc;
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, address, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, account, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
        return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int meter_id(agent_store *st, const char *name, int64_t *id)
{
        sqlite3_stmt *s;
        int rc = sqlite3_prepare_v2(st->db, "SELECT id FROM meters WHERE name = ?", -1, &s, NULL);

        if (rc != SQLITE_OK)
                return rc;
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
                *id = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        return rc == SQLITE_ROW ? SQLITE_OK : SQLITE_NOTFOUND;
}

int agent_store_meter(agent_store *st, const char *name, const char *address, const char *account,
                      int64_t *id)
{
        int rc;

        pthread_mutex_lock(&st->lock);
        rc = meter_upsert(st, name, address, account);
        if (rc == SQLITE_OK)
                rc = meter_id(st, name, id);
        if (rc != SQLITE_OK)
                rc = agent_store_rc(st, rc, "meter");
        pthread_mutex_unlock(&st->lock);
        return rc;
}

int agent_store_meter_address(agent_store *st, int64_t meter_id, char *out, size_t cap)
{
        sqlite3_stmt *s;
        int rc;

        pthread_mutex_lock(&st->lock);
        rc = sqlite3_prepare_v2(st->db, "SELECT address FROM meters WHERE id = ?", -1, &s, NULL);
        if (rc == SQLITE_OK) {
                sqlite3_bind_int64(s, 1, meter_id);
                rc = sqlite3_step(s);
                if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
                        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
                else if (rc == SQLITE_ROW)
                        rc = SQLITE_DONE;
                sqlite3_finalize(s);
        }
        pthread_mutex_unlock(&st->lock);
        return rc == SQLITE_ROW ? MB_OK : rc == SQLITE_DONE ? MB_ENOENT : MB_ESTORE;
}

int agent_store_set_meter_address(agent_store *st, int64_t meter_id, const char *address)
{
        sqlite3_stmt *s;
        int rc;

        pthread_mutex_lock(&st->lock);
        rc = sqlite3_prepare_v2(st->db, "UPDATE meters SET address = ?2 WHERE id = ?1", -1, &s,
                                NULL);
        if (rc == SQLITE_OK) {
                sqlite3_bind_int64(s, 1, meter_id);
                sqlite3_bind_text(s, 2, address, -1, SQLITE_STATIC);
                rc = sqlite3_step(s);
                sqlite3_finalize(s);
        }
        if (rc != SQLITE_DONE)
                rc = agent_store_rc(st, rc, "meter address");
        else
                rc = MB_OK;
        pthread_mutex_unlock(&st->lock);
        return rc;
}
