/* SPDX-License-Identifier: Apache-2.0 */
/* agent.db: snapshots, tariffs and commands from the server; policy state. */
#define MB_LOG_MODULE "store"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <meterbox/errors.h>

#include "agent_policy.h"
#include "agent_store_priv.h"

/* Run sql with text/int64 arguments described by fmt ('t' text, 'i' int64). */
static int exec_args(agent_store *st, const char *sql, const char *fmt, ...)
{
        sqlite3_stmt *s;
        va_list ap;
        int rc = agent_store_write(st); /* synced at the end of the group */

        if (rc != MB_OK)
                return rc;
        rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
        if (rc != SQLITE_OK)
                return agent_store_rc(st, rc, sql);
        va_start(ap, fmt);
        for (int i = 0; fmt[i]; i++) {
                if (fmt[i] == 't')
                        sqlite3_bind_text(s, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
                else
                        sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
        }
        va_end(ap);
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) {
                st->failed = 1;
                return agent_store_rc(st, rc, sql);
        }
        return MB_OK;
}

/* Write to memory (temp), no transaction on agent.db. */
static int exec_temp(agent_store *st, const char *sql, int64_t meter_id, const char *json,
                     int64_t now, int64_t after)
{
        sqlite3_stmt *s;
        int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

        if (rc != SQLITE_OK)
                return agent_store_rc(st, rc, sql);
        sqlite3_bind_int64(s, 1, meter_id);
        sqlite3_bind_text(s, 2, json, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, now);
        sqlite3_bind_int64(s, 4, after);
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
        return rc == SQLITE_DONE ? MB_OK : agent_store_rc(st, rc, sql);
}

static int is_null_ref(agent_store *st, const char *json)
{
        sqlite3_stmt *s;
        int v = 0;

        if (sqlite3_prepare_v2(st->db, "SELECT json_type(?, '$.ref') = 'null'", -1, &s, NULL) !=
            SQLITE_OK)
                return 0;
        sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
                v = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
        return v;
}

/* The snapshot in force for meter ?1: one waiting in memory, else agent.db. */
#define SNAPSHOT_NOW(cols)                                                                         \
        "SELECT " cols " FROM (SELECT 0 AS k, json, after_seq FROM temp.snapshots"                 \
        " WHERE meter_id = ?1 UNION ALL SELECT 1, json, after_seq FROM main.snapshots"             \
        " WHERE meter_id = ?1) ORDER BY k LIMIT 1"

/* Whether snapshot ?2 must be on flash before the agent acts on it, against
 * the one in force ?1: it adds money (a top-up: the agent may close a relay
 * on it, and must not cut again after a power cut), or changes the account,
 * its rules or the tariff, or is the first.  One that only moves the
 * reference forward (the server charged what it received) may wait for the
 * next group commit: after a power cut the one before it, with the readings
 * after its reference, gives the same balance. */
static const char must_sync[] =
    "SELECT coalesce(?1 IS NULL"
    " OR json_extract(?2, '$.balance_fen') > json_extract(?1, '$.balance_fen')"
    " OR json_extract(?2, '$.account') IS NOT json_extract(?1, '$.account')"
    " OR json_extract(?2, '$.mode') IS NOT json_extract(?1, '$.mode')"
    " OR json_extract(?2, '$.protected') IS NOT json_extract(?1, '$.protected')"
    " OR json_extract(?2, '$.hold') IS NOT json_extract(?1, '$.hold')"
    " OR json_extract(?2, '$.thresholds') IS NOT json_extract(?1, '$.thresholds')"
    " OR json_extract(?2, '$.tariff') IS NOT json_extract(?1, '$.tariff')"
    " OR json_type(?2, '$.ref') IS NOT json_type(?1, '$.ref'), 1)";

/* The snapshot in force (json malloc'd, or NULL) and its after_seq. */
static int snapshot_now(agent_store *st, int64_t meter_id, char **json, int64_t *after)
{
        sqlite3_stmt *s;
        int rc = sqlite3_prepare_v2(st->db, SNAPSHOT_NOW("json, after_seq"), -1, &s, NULL);

        *json = NULL;
        *after = 0;
        if (rc != SQLITE_OK)
                return agent_store_rc(st, rc, "snapshot");
        sqlite3_bind_int64(s, 1, meter_id);
        if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                *json = strdup((const char *)sqlite3_column_text(s, 0));
                *after = sqlite3_column_int64(s, 1);
        }
        sqlite3_finalize(s);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? MB_OK : agent_store_rc(st, rc, "snapshot");
}

static int urgent(agent_store *st, const char *cur, const char *json)
{
        sqlite3_stmt *s;
        int u = 1;

        if (sqlite3_prepare_v2(st->db, must_sync, -1, &s, NULL) != SQLITE_OK)
                return 1;
        sqlite3_bind_text(s, 1, cur, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, json, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
                u = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
        return u;
}

/* after_seq: the meter's newest seq now, unless the snapshot in force had no
 * reference either: then its stays, so energy used while the server still
 * has not seen the meter is charged from where it began. */
int agent_store_put_snapshot(agent_store *st, int64_t meter_id, const char *json, int64_t now)
{
        char *cur = NULL;
        int64_t after = 0;
        int rc = snapshot_now(st, meter_id, &cur, &after);

        if (rc == MB_OK && !(cur && is_null_ref(st, cur)))
                rc = agent_store_last_seq(st, meter_id, &after);
        if (rc == MB_OK && urgent(st, cur, json)) {
                rc = exec_args(st,
                               "INSERT INTO main.snapshots(meter_id, json, received_at, after_seq)"
                               " VALUES (?, ?, ?, ?) ON CONFLICT(meter_id) DO UPDATE SET"
                               " json = excluded.json, received_at = excluded.received_at,"
                               " after_seq = excluded.after_seq",
                               "itii", meter_id, json, now, after);
                if (rc == MB_OK)
                        rc = exec_args(st, "DELETE FROM temp.snapshots WHERE meter_id = ?", "i",
                                       meter_id);
        } else if (rc == MB_OK) {
                rc = exec_temp(st,
                               "INSERT OR REPLACE INTO temp.snapshots(meter_id, json, received_at,"
                               " after_seq) VALUES (?, ?, ?, ?)",
                               meter_id, json, now, after);
                agent_store_defer(st);
        }
        free(cur);
        return rc;
}

int agent_store_put_tariff(agent_store *st, const char *hash, const char *id, const char *text)
{
        return exec_args(st, "INSERT OR IGNORE INTO tariffs(hash, id, text) VALUES (?, ?, ?)",
                         "ttt", hash, id, text);
}

int agent_store_put_command(agent_store *st, const struct agent_command *c, int64_t now)
{
        return exec_args(st,
                         "INSERT OR IGNORE INTO commands(id, meter_id, op, reason, issued_by,"
                         " issued_at, expires_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         "iitttiii", c->id, c->meter_id, c->op, c->reason, c->by, c->issued_at,
                         c->expires_at, now);
}

int agent_store_command_state(agent_store *st, int64_t id, const char *state, int64_t now)
{
        return exec_args(st, "UPDATE commands SET state = ?, done_at = ? WHERE id = ?", "tii",
                         state, now, id);
}

int agent_store_requeue_commands(agent_store *st)
{
        return exec_args(
            st, "UPDATE commands SET state = 'new', done_at = NULL WHERE state = 'running'", "");
}

int agent_store_put_policy(agent_store *st, int64_t meter_id, const struct agent_policy_state *ps)
{
        return exec_args(st,
                         "INSERT OR REPLACE INTO policy_state(meter_id, level, alarm2_at,"
                         " trip_deferred, cut_import_wh, tamper_reported) VALUES (?,?,?,?,?,?)",
                         "iiiiii", meter_id, (int64_t)ps->level, ps->alarm2_at,
                         (int64_t)ps->trip_deferred, ps->cut_import_wh,
                         (int64_t)ps->tamper_reported);
}

/* One text column of one row, malloc'd. */
static int get_text(agent_store *st, const char *sql, const char *key, int64_t ikey, char **out)
{
        sqlite3_stmt *s;
        int rc;

        pthread_mutex_lock(&st->lock);
        rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
        if (rc == SQLITE_OK) {
                if (key)
                        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
                else
                        sqlite3_bind_int64(s, 1, ikey);
                rc = sqlite3_step(s);
                if (rc == SQLITE_ROW)
                        *out = strdup((const char *)sqlite3_column_text(s, 0));
                sqlite3_finalize(s);
        }
        pthread_mutex_unlock(&st->lock);
        if (rc == SQLITE_ROW)
                return *out ? MB_OK : MB_ENOMEM;
        return rc == SQLITE_DONE ? MB_ENOENT : MB_ESTORE;
}

int agent_store_get_snapshot(agent_store *st, int64_t meter_id, char **json)
{
        return get_text(st, SNAPSHOT_NOW("json"), NULL, meter_id, json);
}

int agent_store_get_tariff(agent_store *st, const char *hash, char **text)
{
        return get_text(st, "SELECT text FROM tariffs WHERE hash = ?", hash, 0, text);
}

int agent_store_last_decision(agent_store *st, int64_t meter_id, char **type)
{
        return get_text(st,
                        "SELECT type FROM events WHERE meter_id = ? AND type IN"
                        " ('trip', 'close', 'arm') ORDER BY id DESC LIMIT 1",
                        NULL, meter_id, type);
}

int agent_store_get_policy(agent_store *st, int64_t meter_id, struct agent_policy_state *ps)
{
        sqlite3_stmt *s;
        int rc;

        memset(ps, 0, sizeof(*ps));
        pthread_mutex_lock(&st->lock);
        rc = sqlite3_prepare_v2(st->db,
                                "SELECT level, alarm2_at, trip_deferred, cut_import_wh,"
                                " tamper_reported FROM policy_state WHERE meter_id = ?",
                                -1, &s, NULL);
        if (rc == SQLITE_OK) {
                sqlite3_bind_int64(s, 1, meter_id);
                rc = sqlite3_step(s);
                if (rc == SQLITE_ROW) {
                        ps->level = sqlite3_column_int(s, 0);
                        ps->alarm2_at = sqlite3_column_int64(s, 1);
                        ps->trip_deferred = sqlite3_column_int(s, 2);
                        ps->cut_import_wh = sqlite3_column_int64(s, 3);
                        ps->tamper_reported = sqlite3_column_int(s, 4);
                }
                sqlite3_finalize(s);
        }
        pthread_mutex_unlock(&st->lock);
        return rc == SQLITE_ROW ? MB_OK : rc == SQLITE_DONE ? MB_ENOENT : MB_ESTORE;
}

static void copy_col(sqlite3_stmt *s, int col, char *dst, size_t len)
{
        const unsigned char *t = sqlite3_column_text(s, col);

        snprintf(dst, len, "%s", t ? (const char *)t : "");
}

int agent_store_new_commands(agent_store *st, struct agent_command *out, int max)
{
        sqlite3_stmt *s;
        int rc, n = 0;

        pthread_mutex_lock(&st->lock);
        rc = sqlite3_prepare_v2(st->db,
                                "SELECT id, meter_id, op, reason, issued_by, issued_at, expires_at"
                                " FROM commands WHERE state = 'new' ORDER BY id LIMIT ?",
                                -1, &s, NULL);
        if (rc == SQLITE_OK) {
                sqlite3_bind_int(s, 1, max);
                while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
                        struct agent_command *c = &out[n++];
                        c->id = sqlite3_column_int64(s, 0);
                        c->meter_id = sqlite3_column_int64(s, 1);
                        copy_col(s, 2, c->op, sizeof(c->op));
                        copy_col(s, 3, c->reason, sizeof(c->reason));
                        copy_col(s, 4, c->by, sizeof(c->by));
                        c->issued_at = sqlite3_column_int64(s, 5);
                        c->expires_at = sqlite3_column_int64(s, 6);
                }
                sqlite3_finalize(s);
        }
        pthread_mutex_unlock(&st->lock);
        return rc == SQLITE_DONE || rc == SQLITE_ROW ? n : MB_ESTORE;
}

int64_t agent_store_data_version(agent_store *st)
{
        int64_t v = -1;

        pthread_mutex_lock(&st->lock);
        /* once a second: prepared once */
        if (st->data_version_stmt ||
            sqlite3_prepare_v3(st->db, "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT,
                               &st->data_version_stmt, NULL) == SQLITE_OK) {
                if (sqlite3_step(st->data_version_stmt) == SQLITE_ROW)
                        v = sqlite3_column_int64(st->data_version_stmt, 0);
                sqlite3_reset(st->data_version_stmt);
        }
        /* Another process wrote (--apply, resend): readings may be queued
         * again below the acknowledgement mark. */
        if (v != st->data_version) {
                st->data_version = v;
                agent_store_rescan(st);
        }
        pthread_mutex_unlock(&st->lock);
        return v;
}

int agent_store_meter_by_address(agent_store *st, const char *addr, int64_t *meter_id)
{
        sqlite3_stmt *s;
        int rc;

        pthread_mutex_lock(&st->lock);
        rc = sqlite3_prepare_v2(st->db,
                                "SELECT id FROM meters WHERE address = ?1 OR"
                                " (address IS NULL AND name = ?1) ORDER BY id LIMIT 1",
                                -1, &s, NULL);
        if (rc == SQLITE_OK) {
                sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
                rc = sqlite3_step(s);
                if (rc == SQLITE_ROW)
                        *meter_id = sqlite3_column_int64(s, 0);
                sqlite3_finalize(s);
        }
        pthread_mutex_unlock(&st->lock);
        return rc == SQLITE_ROW ? MB_OK : rc == SQLITE_DONE ? MB_ENOENT : MB_ESTORE;
}

static int64_t one(agent_store *st, const char *sql, int64_t arg)
{
        sqlite3_stmt *s;
        int64_t v = 0;

        pthread_mutex_lock(&st->lock);
        if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(s, 1, arg);
                if (sqlite3_step(s) == SQLITE_ROW)
                        v = sqlite3_column_int64(s, 0);
                sqlite3_finalize(s);
        }
        pthread_mutex_unlock(&st->lock);
        return v;
}

int agent_store_has_command(agent_store *st, int64_t id)
{
        return one(st, "SELECT count(*) FROM commands WHERE id = ?", id) > 0;
}

int64_t agent_store_newest_command(agent_store *st)
{
        return one(st,
                   "SELECT max(coalesce((SELECT max(id) FROM commands), 0), coalesce((SELECT value"
                   " FROM store_meta WHERE key = 'command_floor'), 0)) WHERE ? = 0",
                   0);
}

int64_t agent_store_snapshot_after(agent_store *st, int64_t meter_id)
{
        return one(st, "SELECT coalesce(max(after_seq), 0) FROM (" SNAPSHOT_NOW("after_seq") ")",
                   meter_id);
}
