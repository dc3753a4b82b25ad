/* SPDX-License-Identifier: Apache-2.0 */
/* agent.db: forgetting what the server already has, and staying under the
 * size cap during a long outage without losing what billing needs.  Runs
 * inside a group commit (agent_store_txn.c), so it costs no commit of its
 * own.
 *
 * Order of sacrifice when the file is over its cap:
 *   1. acknowledged routine readings and acknowledged events (the server has
 *      them), except each meter's newest reading (local charging needs it);
 *   2. unacknowledged routine readings, thinned oldest first: keep every 4th
 *      sequence number, then every 16th, then every 64th, so the history
 *      keeps its shape at a coarser step.
 * Boundary readings and unacknowledged events (relay decisions, command
 * results) are never dropped.  Every thinning is recorded as a "thinned"
 * event, which the server receives like any other. */
#define MB_LOG_MODULE "store"
#include <stdio.h>

#include <meterbox/errors.h>

#include "agent_store_priv.h"
#include "mb_log.h"

#define THIN_BATCH 2000

#define NEWEST AGENT_STORE_NEWEST

static int64_t run(agent_store *st, const char *sql, int64_t a, int64_t b)
{
        sqlite3_stmt *s;
        int64_t n = -1;

        if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
                return agent_store_rc(st, sqlite3_errcode(st->db), sql), -1;
        sqlite3_bind_int64(s, 1, a);
        sqlite3_bind_int64(s, 2, b);
        if (sqlite3_step(s) == SQLITE_DONE)
                n = sqlite3_changes(st->db);
        else
                agent_store_rc(st, sqlite3_errcode(st->db), sql);
        sqlite3_finalize(s);
        return n;
}

static const char drop_acked[] = "DELETE FROM main.readings WHERE id <= ?2 AND acked = 1"
                                 " AND kind = 0 AND ts < ?1 AND id NOT IN " NEWEST;
static const char drop_acked_events[] =
    "DELETE FROM events WHERE id <= ?2 AND acked = 1 AND ts < ?1";

/* Drop the oldest THIN_BATCH unacknowledged routine readings whose seq is
 * not a multiple of step (never a meter's newest), recording the ranges so
 * the thinned event can name them. */
static int64_t thin_some(agent_store *st, int64_t step, int64_t now)
{
        static const char pick[] =
            "SELECT meter_id, min(seq), max(seq), count(*), min(id), max(id) FROM (SELECT id,"
            " meter_id, seq FROM main.readings WHERE acked = 0 AND kind = 0 AND seq % ?2 != 0"
            " AND id NOT IN " NEWEST " ORDER BY id LIMIT ?1) GROUP BY meter_id";
        sqlite3_stmt *s;
        int64_t total = 0, lo_id = INT64_MAX, hi_id = 0;
        char data[160], sql[400];

        if (sqlite3_prepare_v2(st->db, pick, -1, &s, NULL) != SQLITE_OK)
                return -1;
        sqlite3_bind_int(s, 1, THIN_BATCH);
        sqlite3_bind_int64(s, 2, step);
        while (sqlite3_step(s) == SQLITE_ROW) {
                int64_t meter = sqlite3_column_int64(s, 0), lo = sqlite3_column_int64(s, 1),
                        hi = sqlite3_column_int64(s, 2), n = sqlite3_column_int64(s, 3);
                if (sqlite3_column_int64(s, 4) < lo_id)
                        lo_id = sqlite3_column_int64(s, 4);
                if (sqlite3_column_int64(s, 5) > hi_id)
                        hi_id = sqlite3_column_int64(s, 5);
                snprintf(data, sizeof(data),
                         "{\"from_seq\":%lld,\"to_seq\":%lld,\"dropped\":%lld,\"kept_every\":%lld}",
                         (long long)lo, (long long)hi, (long long)n, (long long)step);
                agent_store_add_event(st, meter, now, "thinned",
                                      "agent.db at its size cap: routine readings thinned",
                                      INT64_MIN, data);
                total += n;
        }
        sqlite3_finalize(s);
        if (total == 0)
                return 0;
        snprintf(sql, sizeof(sql),
                 "DELETE FROM main.readings WHERE id BETWEEN ?1 AND ?2 AND acked = 0 AND kind = 0"
                 " AND seq %% %lld != 0 AND id NOT IN " NEWEST,
                 (long long)step);
        return run(st, sql, lo_id, hi_id) < 0 ? -1 : total;
}

void agent_store_prune_now(agent_store *st, int64_t now)
{
        int64_t before = now - (int64_t)st->opts.keep_acked_days * 86400, n;
        int64_t max_bytes = st->opts.max_bytes;

        run(st, drop_acked, before, st->acked);
        run(st, drop_acked_events, before, st->ev_acked);
        if (max_bytes > 0 && agent_store_size(st) > max_bytes) {
                /* Over the cap: the server's copies go first, whatever their age. */
                run(st, drop_acked, INT64_MAX, st->acked);
                run(st, drop_acked_events, INT64_MAX, st->ev_acked);
        }
        /* Coarser and coarser: keep every 4th, then 16th, then 64th. */
        for (int64_t step = 4; step <= 64; step *= 4)
                while (max_bytes > 0 && agent_store_size(st) > max_bytes &&
                       (n = thin_some(st, step, now)) > 0)
                        mb_warn("%s: over its cap of %lld bytes: thinned %lld routine readings",
                                st->path, (long long)max_bytes, (long long)n);
}
