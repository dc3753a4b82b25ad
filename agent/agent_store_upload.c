/* SPDX-License-Identifier: Apache-2.0 */
/* agent.db, upload side: batches of what the server has not acknowledged,
 * acknowledgements, pruning, and the size cap. */
#define MB_LOG_MODULE "store"
#include <stdio.h>
#include <string.h>

#include <meterbox/errors.h>

#include "agent_store_priv.h"
#include "mb_log.h"
#include "mb_wire.h"

static json_object *reading_json(sqlite3_stmt *s, const char *meter)
{
        mb_reading r;
        json_object *o = json_object_new_object(), *f;

        agent_store_column_reading(s, 4, &r);
        json_object_object_add(o, "meter", json_object_new_string(meter));
        json_object_object_add(o, "seq", json_object_new_int64(sqlite3_column_int64(s, 1)));
        json_object_object_add(o, "ts", json_object_new_int64(sqlite3_column_int64(s, 2)));
        json_object_object_add(
            o, "kind",
            json_object_new_string(sqlite3_column_int(s, 3) == AGENT_READING_BOUNDARY ? "boundary"
                                                                                      : "routine"));
        f = mb_wire_reading(&r);
        json_object_object_foreach(f, k, v) json_object_object_add(o, k, json_object_get(v));
        json_object_put(f);
        return o;
}

int agent_store_unacked_readings(agent_store *st, agent_store_reading_fn fn, void *arg, int max,
                                 int with_boundary, int64_t *upto)
{
        /* Only agent.db, never what waits in memory: what is uploaded is on
         * flash.  In the order taken, which is each meter's sequence order, so
         * the server's high-water check stays cheap even after the gateway
         * clock jumped. */
        static const char sql[] = "SELECT " READING_SELECT ", (SELECT coalesce(m.address, m.name)"
                                  " FROM meters m WHERE m.id = r.meter_id), r.id"
                                  " FROM main.readings r WHERE r.id > ?3 AND r.acked = 0"
                                  " AND (r.kind = 0 OR ?1) ORDER BY r.id LIMIT ?2";
        sqlite3_stmt *s;
        int rc, n = 0, stop = 0;

        pthread_mutex_lock(&st->lock);
        *upto = st->acked;
        rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
        if (rc == SQLITE_OK) {
                sqlite3_bind_int(s, 1, with_boundary);
                sqlite3_bind_int(s, 2, max);
                sqlite3_bind_int64(s, 3, st->acked);
                while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
                        json_object *o =
                            reading_json(s, (const char *)sqlite3_column_text(s, READING_NCOLS));

                        *upto = sqlite3_column_int64(s, READING_NCOLS + 1);
                        stop = fn(arg, o, *upto);
                        json_object_put(o);
                        n++;
                }
                sqlite3_finalize(s);
        }
        if (!stop && rc != SQLITE_DONE)
                n = agent_store_rc(st, rc, "unacknowledged readings");
        pthread_mutex_unlock(&st->lock);
        return n;
}

static json_object *event_json(sqlite3_stmt *s)
{
        json_object *o = json_object_new_object(), *data;
        const char *d = (const char *)sqlite3_column_text(s, 6);

        json_object_object_add(o, "id", json_object_new_int64(sqlite3_column_int64(s, 0)));
        if (sqlite3_column_type(s, 1) != SQLITE_NULL)
                json_object_object_add(
                    o, "meter", json_object_new_string((const char *)sqlite3_column_text(s, 1)));
        json_object_object_add(o, "ts", json_object_new_int64(sqlite3_column_int64(s, 2)));
        json_object_object_add(o, "type",
                               json_object_new_string((const char *)sqlite3_column_text(s, 3)));
        if (sqlite3_column_type(s, 4) != SQLITE_NULL)
                json_object_object_add(
                    o, "reason", json_object_new_string((const char *)sqlite3_column_text(s, 4)));
        if (sqlite3_column_type(s, 5) != SQLITE_NULL)
                json_object_object_add(o, "balance_fen",
                                       json_object_new_int64(sqlite3_column_int64(s, 5)));
        if (d && (data = json_tokener_parse(d)))
                json_object_object_add(o, "data", data);
        return o;
}

int agent_store_unacked_events(agent_store *st, json_object *array, int max)
{
        static const char sql[] =
            "SELECT e.id, coalesce(m.address, m.name), e.ts, e.type, e.reason, e.balance_fen,"
            " e.data FROM events e LEFT JOIN meters m ON m.id = e.meter_id"
            " WHERE e.acked = 0 AND (e.id > ?2 OR e.id <= ?3) ORDER BY e.id LIMIT ?1";
        sqlite3_stmt *s;
        int rc, n = 0;

        pthread_mutex_lock(&st->lock);
        rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
        if (rc == SQLITE_OK) {
                sqlite3_bind_int(s, 1, max);
                sqlite3_bind_int64(s, 2, st->ev_acked);
                sqlite3_bind_int64(s, 3, st->ev_acked_saved);
                while ((rc = sqlite3_step(s)) == SQLITE_ROW && ++n)
                        json_object_array_add(array, event_json(s));
                sqlite3_finalize(s);
        }
        if (rc != SQLITE_DONE)
                n = agent_store_rc(st, rc, "unacknowledged events");
        pthread_mutex_unlock(&st->lock);
        return n;
}

int agent_store_exec_bound(agent_store *st, const char *sql, const char *text, int64_t a, int64_t b)
{
        sqlite3_stmt *s;
        int rc = agent_store_write(st);

        if (rc != MB_OK)
                return rc;
        rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
        if (rc != SQLITE_OK)
                return agent_store_rc(st, rc, sql);
        if (text)
                sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 2, a);
        sqlite3_bind_int64(s, 3, b);
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) {
                st->failed = 1;
                return agent_store_rc(st, rc, sql);
        }
        return MB_OK;
}

/* The first boundary reading in (acked, upto] still unacknowledged: one the
 * batch held back for the gateway's month-end slot. */
static int64_t held_boundary(agent_store *st, int64_t upto)
{
        sqlite3_stmt *s;
        int64_t id = 0;

        if (sqlite3_prepare_v2(st->db,
                               "SELECT min(id) FROM main.readings WHERE kind = 1 AND acked = 0"
                               " AND id > ?1 AND id <= ?2",
                               -1, &s, NULL) != SQLITE_OK)
                return 0;
        sqlite3_bind_int64(s, 1, st->acked);
        sqlite3_bind_int64(s, 2, upto);
        if (sqlite3_step(s) == SQLITE_ROW)
                id = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        return id;
}

int agent_store_ack_readings(agent_store *st, int64_t upto, int with_boundary)
{
        int64_t hole;
        int rc = MB_OK;

        pthread_mutex_lock(&st->lock);
        hole = upto > st->acked && !with_boundary ? held_boundary(st, upto) : 0;
        if (hole) {
                /* The mark stops before the held reading; what was sent after
                 * it is marked row by row (the month-end window only). */
                rc = agent_store_exec_bound(
                    st,
                    "UPDATE main.readings SET acked = 1 WHERE id > ?2 AND id <= ?3"
                    " AND kind = 0 AND acked = 0",
                    NULL, hole, upto);
                upto = hole - 1;
        }
        if (upto > st->acked) {
                st->acked = upto;
                agent_store_defer(st);
        }
        pthread_mutex_unlock(&st->lock);
        return rc;
}

void agent_store_rescan(agent_store *st)
{
        /* Readings another process put back in the queue (`meterbox-agent
         * resend`: acked 2 -> 0) at or below the mark: the mark goes back to
         * just before the first, so the uploader sees them.  Acknowledged
         * rows between are skipped by their flag; those acknowledged only in
         * memory are sent again, which the server acknowledges again. */
        sqlite3_stmt *s;
        int64_t first = 0;

        if (sqlite3_prepare_v2(st->db,
                               "SELECT min(id) FROM main.readings WHERE acked = 0 AND kind = 0"
                               " AND (id <= ?1 OR id IN (SELECT id FROM temp.refused"
                               " WHERE tbl = 'readings'))",
                               -1, &s, NULL) != SQLITE_OK)
                return;
        sqlite3_bind_int64(s, 1, st->acked_saved);
        if (sqlite3_step(s) == SQLITE_ROW)
                first = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        if (first <= 0 || first > st->acked)
                return;
        /* agent.db's mark goes back with the next commit (save_mark). */
        sqlite3_exec(st->db, "DELETE FROM temp.refused", NULL, NULL, NULL);
        st->acked = first - 1;
        agent_store_defer(st);
}

int agent_store_ack_events(agent_store *st, int64_t upto)
{
        pthread_mutex_lock(&st->lock);
        if (upto > st->ev_acked) {
                st->ev_acked = upto;
                agent_store_defer(st);
        }
        pthread_mutex_unlock(&st->lock);
        return MB_OK;
}

int agent_store_refused_reading(agent_store *st, int64_t id)
{
        int rc =
            agent_store_exec_bound(st,
                                   "UPDATE main.readings SET acked = 2 WHERE acked = 0 AND id = ?2"
                                   " AND ?3 = 0",
                                   NULL, id, 0);

        return rc == MB_OK
                   ? agent_store_exec_bound(
                         st, "INSERT INTO temp.refused VALUES ('readings', ?2 + ?3)", NULL, id, 0)
                   : rc;
}

int agent_store_refused_event(agent_store *st, int64_t id)
{
        return agent_store_exec_bound(
            st, "UPDATE events SET acked = 2 WHERE acked = 0 AND id = ?2 AND ?3 = 0", NULL, id, 0);
}

static int64_t one_int(agent_store *st, const char *sql)
{
        sqlite3_stmt *s;
        int64_t v = -1;

        pthread_mutex_lock(&st->lock);
        if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK) {
                if (sqlite3_step(s) == SQLITE_ROW)
                        v = sqlite3_column_int64(s, 0);
                sqlite3_finalize(s);
        }
        pthread_mutex_unlock(&st->lock);
        return v;
}

int64_t agent_store_last_boundary(agent_store *st, int64_t meter_id)
{
        char sql[160];
        int64_t v;

        snprintf(sql, sizeof(sql),
                 "SELECT coalesce(max(ts), -9223372036854775807 - 1) FROM main.readings"
                 " WHERE meter_id = %lld AND kind = 1",
                 (long long)meter_id);
        v = one_int(st, sql);
        return v;
}

int agent_store_has_unacked_boundary(agent_store *st)
{
        char sql[160];
        int v;

        pthread_mutex_lock(&st->lock);
        snprintf(sql, sizeof(sql),
                 "SELECT EXISTS (SELECT 1 FROM main.readings WHERE acked = 0 AND kind = 1"
                 " AND id > %lld)",
                 (long long)st->acked);
        v = one_int(st, sql) == 1;
        pthread_mutex_unlock(&st->lock);
        return v;
}

int64_t agent_store_size(agent_store *st)
{
        return one_int(st, "SELECT (page_count - freelist_count) * page_size FROM"
                           " pragma_page_count(), pragma_freelist_count(), pragma_page_size()");
}
