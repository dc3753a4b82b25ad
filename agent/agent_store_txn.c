/* SPDX-License-Identifier: Apache-2.0 */
/* agent.db: groups of writes, and when what waits in memory goes to flash
 * (docs/durability.md). */
#define MB_LOG_MODULE "store"
#include <stdlib.h>

#include <meterbox/errors.h>

#include "agent_store_priv.h"
#include "mb_log.h"
#include "mb_time.h"

#define PRUNE_EVERY_S 600

static int exec(agent_store *st, const char *sql, const char *what)
{
        int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

        if (rc == SQLITE_OK)
                return MB_OK;
        st->failed = 1;
        return agent_store_rc(st, rc, what);
}

/* The pending readings into agent.db, in the order they were taken, so that
 * readings.id follows each meter's sequence. */
static int move_pending(agent_store *st)
{
        int rc;

        if (st->n_pending == 0)
                return MB_OK;
        rc = exec(st,
                  "INSERT INTO main.readings(" READING_COLS ", balance_fen) SELECT " READING_COLS
                  ", balance_fen FROM temp.pending ORDER BY rowid;"
                  "DELETE FROM temp.pending;",
                  "readings to flash");
        return rc;
}

/* Mark (from, to] of table acknowledged in agent.db; a reading the server
 * refused stays set aside (temp.refused: `meterbox-agent resend` may have
 * put it back in the queue meanwhile). */
static int save_mark(agent_store *st, const char *table, const char *key, int64_t from, int64_t to)
{
        char sql[400];

        if (to == from)
                return MB_OK;
        /* Lower only after `resend` put readings back (agent_store_rescan). */
        snprintf(sql, sizeof(sql),
                 "UPDATE %s SET acked = 1 WHERE id > %lld AND id <= %lld AND acked = 0"
                 " AND id NOT IN (SELECT id FROM temp.refused WHERE tbl = '%s');"
                 "INSERT OR REPLACE INTO store_meta(key, value) VALUES ('%s', %lld);",
                 table, (long long)from, (long long)to, table, key, (long long)to);
        return exec(st, sql, "acknowledgements");
}

/* keep_acked_days 0: the readings the server has go at once, without being
 * marked first (a page that is only freed is never written again).  Each
 * meter's newest and the boundary readings stay (agent_store_prune.c). */
static int drop_acked(agent_store *st)
{
        char sql[400];

        if (st->acked <= st->acked_saved)
                return MB_OK;
        snprintf(sql, sizeof(sql),
                 "DELETE FROM main.readings WHERE id > %lld AND id <= %lld AND acked = 0"
                 " AND kind = 0 AND id NOT IN (SELECT id FROM temp.refused WHERE tbl = 'readings')"
                 " AND id NOT IN " AGENT_STORE_NEWEST,
                 (long long)st->acked_saved, (long long)st->acked);
        return exec(st, sql, "acknowledged readings");
}

int agent_store_write(agent_store *st)
{
        int rc;

        if (st->in_txn)
                return st->failed ? MB_ESTORE : MB_OK;
        rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
                st->failed = 1;
                return agent_store_rc(st, rc, "begin");
        }
        st->in_txn = 1;
        /* What the server has goes first: deleting rows from the front of
         * the table after appending made SQLite rebalance the appended
         * pages too, rewriting them half full (twice the pages per commit). */
        if (st->opts.prune && st->opts.keep_acked_days == 0 && (rc = drop_acked(st)) != MB_OK)
                return rc;
        /* Then before anything else this group writes: a meter's rows stay
         * in sequence order in agent.db. */
        return move_pending(st);
}

int agent_store_flush(agent_store *st)
{
        int64_t now = mb_realtime_s();
        int rc = move_pending(st);

        if (rc == MB_OK && st->dirty_since)
                rc = exec(st,
                          "INSERT INTO main.snapshots(meter_id, json, received_at, after_seq)"
                          " SELECT meter_id, json, received_at, after_seq FROM temp.snapshots"
                          " WHERE true ON CONFLICT(meter_id) DO UPDATE SET json = excluded.json,"
                          " received_at = excluded.received_at, after_seq = excluded.after_seq;"
                          "DELETE FROM temp.snapshots;",
                          "snapshots to flash");
        if (rc == MB_OK)
                rc = save_mark(st, "readings", "readings_acked", st->acked_saved, st->acked);
        if (rc == MB_OK)
                rc = save_mark(st, "events", "events_acked", st->ev_acked_saved, st->ev_acked);
        if (rc == MB_OK)
                rc = exec(st, "DELETE FROM temp.refused", "acknowledgements");
        if (rc == MB_OK)
                rc = agent_store_save_sync(st);
        if (rc == MB_OK)
                rc = agent_store_save_uplink(st);
        /* keep_acked_days 0: what the server has goes with this commit, its
         * pages freed before they are ever written again. */
        if (rc == MB_OK && st->opts.prune &&
            (now - st->last_prune >= PRUNE_EVERY_S || st->opts.max_bytes ||
             st->opts.keep_acked_days == 0)) {
                st->last_prune = now;
                agent_store_prune_now(st, now);
        }
        return rc == MB_OK && st->failed ? MB_ESTORE : rc;
}

int agent_store_commit(agent_store *st)
{
        int rc = st->failed ? MB_ESTORE : MB_OK;

        if (!st->in_txn) {
                /* BEGIN failed (busy, or no space): what waits stays for the
                 * next try. */
                st->failed = 0;
                return rc;
        }
        if (rc == MB_OK)
                rc = agent_store_flush(st);
        if (rc == MB_OK && (rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
                rc = agent_store_rc(st, rc, "commit");
        if (rc == MB_OK) {
                st->in_txn = 0;
                st->n_pending = 0;
                st->dirty_since = 0;
                st->acked_saved = st->acked;
                st->ev_acked_saved = st->ev_acked;
                st->sync_ok_at = 0;
                free(st->uplink_json);
                st->uplink_json = NULL;
                return MB_OK;
        }
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        st->in_txn = 0;
        st->failed = 0;
        /* The readings that were not on flash are given up, and the sequence
         * numbers they took are given out again: nothing outside the agent
         * saw them (only agent.db is uploaded or acted on). */
        sqlite3_exec(st->db, "DELETE FROM temp.pending", NULL, NULL, NULL);
        st->n_pending = 0;
        agent_store_forget_seqs(st);
        return rc;
}

/* What waits in memory has waited long enough. */
static int due(const agent_store *st)
{
        int64_t now = mb_monotonic_ms(), wait = st->opts.commit_interval_ms;

        if (st->n_pending >= st->opts.commit_every)
                return 1;
        if (st->n_pending && wait > 0 && now - st->pending_since >= wait)
                return 1;
        return st->dirty_since && now - st->dirty_since >= wait;
}

int agent_store_begin(agent_store *st)
{
        pthread_mutex_lock(&st->lock);
        return MB_OK;
}

/* Open (if need be) and commit: the first error of the two. */
static int write_commit(agent_store *st)
{
        int rc = agent_store_write(st), c = agent_store_commit(st);

        return rc == MB_OK ? c : rc;
}

int agent_store_end(agent_store *st)
{
        int rc = st->in_txn || st->failed || due(st) ? write_commit(st) : MB_OK;

        pthread_mutex_unlock(&st->lock);
        return rc;
}

void agent_store_abort(agent_store *st)
{
        st->failed = 1;
        agent_store_commit(st);
        pthread_mutex_unlock(&st->lock);
}

int agent_store_tick(agent_store *st)
{
        int rc;

        pthread_mutex_lock(&st->lock);
        rc = due(st) ? write_commit(st) : MB_OK;
        pthread_mutex_unlock(&st->lock);
        return rc;
}

void agent_store_defer(agent_store *st)
{
        if (!st->dirty_since)
                st->dirty_since = mb_monotonic_ms();
}
