/* SPDX-License-Identifier: Apache-2.0 */
/* agent.db: readings with their sequence numbers, and events. */
#define MB_LOG_MODULE "store"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <meterbox/errors.h>

#include "agent_store_priv.h"
#include "mb_log.h"
#include "mb_time.h"

void agent_store_forget_seqs(agent_store *st)
{
        st->n_seqs = 0;
}

/* A meter's rows follow its sequence in readings.id order, so its newest is
 * found scanning back from the end: as far as its last poll, not the whole
 * table.  A new store's meter starts after the server's mark (seq_floor). */
static int load_last_seq(agent_store *st, int64_t meter_id, int64_t *last)
{
        static const char sql[] =
            "SELECT max(coalesce((SELECT seq FROM main.readings WHERE meter_id = ?1"
            " ORDER BY id DESC LIMIT 1), 0),"
            " coalesce((SELECT max(seq) FROM temp.pending WHERE meter_id = ?1), 0),"
            " coalesce((SELECT seq_floor FROM main.meters WHERE id = ?1), 0))";
        sqlite3_stmt *s;
        int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

        if (rc != SQLITE_OK)
                return rc;
        sqlite3_bind_int64(s, 1, meter_id);
        rc = sqlite3_step(s);
        *last = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
        sqlite3_finalize(s);
        return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

int agent_store_last_seq(agent_store *st, int64_t meter_id, int64_t *last)
{
        int rc;

        pthread_mutex_lock(&st->lock);
        rc = load_last_seq(st, meter_id, last);
        pthread_mutex_unlock(&st->lock);
        return rc == SQLITE_OK ? MB_OK : MB_ESTORE;
}

/* The cache entry of meter_id, loaded from the database on first use. */
static struct seq_cache *seq_entry(agent_store *st, int64_t meter_id)
{
        struct seq_cache *e;
        int64_t last;

        for (int i = 0; i < st->n_seqs; i++)
                if (st->seqs[i].meter_id == meter_id)
                        return &st->seqs[i];
        if (load_last_seq(st, meter_id, &last) != SQLITE_OK)
                return NULL;
        if (st->n_seqs == st->cap_seqs) {
                int cap = st->cap_seqs ? 2 * st->cap_seqs : 16;
                struct seq_cache *n = realloc(st->seqs, (size_t)cap * sizeof(*n));
                if (!n)
                        return NULL;
                st->seqs = n;
                st->cap_seqs = cap;
        }
        e = &st->seqs[st->n_seqs++];
        e->meter_id = meter_id;
        e->last_seq = last;
        return e;
}

static void bind_opt(sqlite3_stmt *s, int col, int have, int64_t v)
{
        if (have)
                sqlite3_bind_int64(s, col, v);
        else
                sqlite3_bind_null(s, col);
}

/* The address of meter_id as agent.db knows it, into out ("" when none). */
static void meter_address(agent_store *st, int64_t meter_id, char *out, size_t len)
{
        sqlite3_stmt *s;

        *out = 0;
        if (sqlite3_prepare_v2(st->db, "SELECT address FROM main.meters WHERE id = ?", -1, &s,
                               NULL) != SQLITE_OK)
                return;
        sqlite3_bind_int64(s, 1, meter_id);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
                snprintf(out, len, "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
}

static void bind_reading(agent_store *st, sqlite3_stmt *s, int64_t meter_id, int64_t ts,
                         const mb_reading *r)
{
        uint32_t f = r->fields;
        char own[MB_ADDR_LEN];

        sqlite3_bind_int64(s, 5, f);
        sqlite3_bind_int64(s, 6, r->quality);
        bind_opt(s, 7, f & MB_F_IMPORT, r->import_wh);
        bind_opt(s, 8, f & MB_F_POWER, r->power_mw);
        bind_opt(s, 9, f & MB_F_RELAY, r->relay);
        if (f & MB_F_ADDRESS)
                meter_address(st, meter_id, own, sizeof(own));
        agent_store_bind_data(
            s, 10, r, ts, (f & MB_F_ADDRESS) && strcmp(own, r->address) != 0 ? r->address : NULL);
}

static int prepare(agent_store *st, sqlite3_stmt **s, const char *sql)
{
        if (*s)
                return SQLITE_OK;
        return sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL);
}

int agent_store_add_reading(agent_store *st, int64_t meter_id, int64_t ts, int kind,
                            const mb_reading *r, int64_t *seq)
{
        struct seq_cache *e = seq_entry(st, meter_id);
        sqlite3_stmt *s;
        int rc;

        if (!e) {
                st->failed = 1;
                return agent_store_rc(st, sqlite3_errcode(st->db), "sequence of meter");
        }
        /* Into memory; to flash with its group (agent_store_txn.c).  A
         * boundary reading goes at once. */
        rc = prepare(st, &st->ins_reading,
                     "INSERT INTO temp.pending(" READING_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?)");
        if (rc != SQLITE_OK)
                return agent_store_rc(st, rc, "prepare reading insert");
        s = st->ins_reading;
        sqlite3_bind_int64(s, 1, meter_id);
        sqlite3_bind_int64(s, 2, e->last_seq + 1);
        sqlite3_bind_int64(s, 3, ts);
        sqlite3_bind_int(s, 4, kind);
        bind_reading(st, s, meter_id, ts, r);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_DONE) {
                st->failed = 1;
                return agent_store_rc(st, rc, "insert reading");
        }
        *seq = ++e->last_seq;
        if (st->n_pending++ == 0)
                st->pending_since = mb_monotonic_ms();
        return kind == AGENT_READING_BOUNDARY ? agent_store_write(st) : MB_OK;
}

int agent_store_add_event(agent_store *st, int64_t meter_id, int64_t ts, const char *type,
                          const char *reason, int64_t balance_fen, const char *data)
{
        sqlite3_stmt *s;
        int rc = agent_store_write(st); /* events are synced before anyone acts on them */

        if (rc != MB_OK)
                return rc;
        rc = prepare(st, &st->ins_event,
                     "INSERT INTO events(meter_id, ts, type, reason, balance_fen, data) "
                     "VALUES (?,?,?,?,?,?)");
        if (rc != SQLITE_OK)
                return agent_store_rc(st, rc, "prepare event insert");
        s = st->ins_event;
        sqlite3_bind_int64(s, 1, meter_id);
        sqlite3_bind_int64(s, 2, ts);
        sqlite3_bind_text(s, 3, type, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 4, reason, -1, SQLITE_TRANSIENT);
        bind_opt(s, 5, balance_fen != INT64_MIN, balance_fen);
        sqlite3_bind_text(s, 6, data, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_DONE) {
                st->failed = 1;
                return agent_store_rc(st, rc, "insert event");
        }
        return MB_OK;
}

static void col_opt(sqlite3_stmt *s, int col, int have, int64_t *dst)
{
        if (have && sqlite3_column_type(s, col) != SQLITE_NULL)
                *dst = sqlite3_column_int64(s, col);
}

static void col_opt32(sqlite3_stmt *s, int col, int have, int32_t *dst)
{
        int64_t v = 0;

        col_opt(s, col, have, &v);
        *dst = (int32_t)v;
}

void agent_store_column_reading(sqlite3_stmt *s, int c, mb_reading *r)
{
        const unsigned char *own = sqlite3_column_text(s, c + 6);
        uint32_t f;

        memset(r, 0, sizeof(*r));
        r->size = sizeof(*r);
        r->fields = f = (uint32_t)sqlite3_column_int64(s, c) & MB_F_KNOWN;
        r->quality = (uint32_t)sqlite3_column_int64(s, c + 1);
        col_opt(s, c + 2, f & MB_F_IMPORT, &r->import_wh);
        col_opt(s, c + 3, f & MB_F_POWER, &r->power_mw);
        col_opt32(s, c + 4, f & MB_F_RELAY, &r->relay);
        if ((f & MB_F_ADDRESS) && own)
                snprintf(r->address, sizeof(r->address), "%s", (const char *)own);
        agent_store_column_data(s, c + 5, sqlite3_column_int64(s, c - 2), r);
        if (!(f & MB_F_METER_TIME))
                r->meter_time = 0;
        if (!(f & MB_F_ADDRESS))
                r->address[0] = 0;
}

int agent_store_readings_after(agent_store *st, int64_t meter_id, int64_t after,
                               void (*fn)(void *arg, int64_t seq, int64_t ts, int kind,
                                          const mb_reading *r),
                               void *arg)
{
        /* On flash from just after the meter's reading `after` (found
         * scanning back from the end), then what waits in memory. */
        static const char sql[] =
            "SELECT " READING_SELECT " FROM main.readings WHERE meter_id = ?1 AND seq > ?2"
            " AND id > coalesce((SELECT id FROM main.readings WHERE meter_id = ?1 AND seq <= ?2"
            " ORDER BY id DESC LIMIT 1), 0)"
            " UNION ALL SELECT " READING_SELECT
            " FROM temp.pending WHERE meter_id = ?1 AND seq > ?2"
            " ORDER BY 2";
        sqlite3_stmt *s;
        mb_reading r;
        int rc, n = 0;

        pthread_mutex_lock(&st->lock);
        rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
        if (rc == SQLITE_OK) {
                sqlite3_bind_int64(s, 1, meter_id);
                sqlite3_bind_int64(s, 2, after);
                while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                        agent_store_column_reading(s, 4, &r);
                        fn(arg, sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
                           sqlite3_column_int(s, 3), &r);
                        n++;
                }
                sqlite3_finalize(s);
        }
        pthread_mutex_unlock(&st->lock);
        return rc == SQLITE_DONE ? n : MB_ESTORE;
}

int agent_store_last_reading(agent_store *st, int64_t meter_id, mb_reading *r, int64_t *seq,
                             int64_t *ts)
{
        static const char sql[] =
            "SELECT * FROM (SELECT " READING_SELECT " FROM temp.pending WHERE meter_id = ?1"
            " UNION ALL SELECT * FROM (SELECT " READING_SELECT " FROM main.readings"
            " WHERE meter_id = ?1 ORDER BY id DESC LIMIT 1)) ORDER BY seq DESC LIMIT 1";
        sqlite3_stmt *s;
        int rc;

        pthread_mutex_lock(&st->lock);
        rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
        if (rc == SQLITE_OK) {
                sqlite3_bind_int64(s, 1, meter_id);
                rc = sqlite3_step(s);
                if (rc == SQLITE_ROW) {
                        *seq = sqlite3_column_int64(s, 1);
                        *ts = sqlite3_column_int64(s, 2);
                        agent_store_column_reading(s, 4, r);
                }
                sqlite3_finalize(s);
        }
        pthread_mutex_unlock(&st->lock);
        if (rc == SQLITE_ROW)
                return MB_OK;
        if (rc == SQLITE_DONE)
                return MB_ENOENT;
        return MB_ESTORE;
}

/* Run the balance update s for (meter_id, seq); the rows it changed, or a
 * negative MB_ code. */
static int balance_step(agent_store *st, sqlite3_stmt *s, int64_t meter_id, int64_t seq,
                        int64_t balance_fen)
{
        int rc;

        sqlite3_bind_int64(s, 1, meter_id);
        sqlite3_bind_int64(s, 2, seq);
        sqlite3_bind_int64(s, 3, balance_fen);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) {
                st->failed = 1;
                return agent_store_rc(st, rc, "balance");
        }
        return sqlite3_changes(st->db);
}

int agent_store_set_balance(agent_store *st, int64_t meter_id, int64_t seq, int64_t balance_fen)
{
        sqlite3_stmt *s;
        int rc =
            prepare(st, &st->set_balance,
                    "UPDATE temp.pending SET balance_fen = ?3 WHERE meter_id = ?1 AND seq = ?2");

        if (rc != SQLITE_OK)
                return agent_store_rc(st, rc, "prepare balance");
        if ((rc = balance_step(st, st->set_balance, meter_id, seq, balance_fen)) != 0)
                return rc < 0 ? rc : MB_OK;
        /* Already moved to flash by a write of the same group. */
        if ((rc = agent_store_write(st)) != MB_OK)
                return rc;
        if (sqlite3_prepare_v2(st->db,
                               "UPDATE main.readings SET balance_fen = ?3 WHERE id = (SELECT id"
                               " FROM main.readings WHERE meter_id = ?1 AND seq = ?2"
                               " ORDER BY id DESC LIMIT 1)",
                               -1, &s, NULL) != SQLITE_OK)
                return agent_store_rc(st, sqlite3_errcode(st->db), "balance");
        rc = balance_step(st, s, meter_id, seq, balance_fen);
        sqlite3_finalize(s);
        return rc < 0 ? rc : MB_OK;
}
