/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.db lost or replaced (docs/durability.md, Store loss).  A new store
 * would number each meter's readings from 1 and the events from 1 again,
 * numbers the server already holds with other values: every upload refused
 * (409) until the old mark was passed, events silently taken for ones it
 * has, and an old signed command accepted again.  So a new store uploads
 * nothing before the server has told it where each meter's sequence, the
 * gateway's events and its completed commands stand; then it renumbers what
 * it took meanwhile past them, in one synced transaction.  Nothing of it was
 * seen outside the agent (the uploader sent nothing), so renumbering is
 * safe.
 */
#define MB_LOG_MODULE "store"
#include <stdio.h>

#include <meterbox/errors.h>

#include "agent_store_priv.h"
#include "mb_log.h"

int agent_store_needs_resume(agent_store *st)
{
        sqlite3_stmt *s;
        int v = 0;

        pthread_mutex_lock(&st->lock);
        if (sqlite3_prepare_v2(st->db, "SELECT value FROM store_meta WHERE key = 'resume'", -1, &s,
                               NULL) == SQLITE_OK) {
                if (sqlite3_step(s) == SQLITE_ROW)
                        v = sqlite3_column_int(s, 0) == 1;
                sqlite3_finalize(s);
        }
        pthread_mutex_unlock(&st->lock);
        return v;
}

/* sql with ?2 = a and ?3 = b. */
static int run(agent_store *st, const char *sql, int64_t a, int64_t b)
{
        return agent_store_exec_bound(st, sql, NULL, a, b);
}

/* Each meter's readings (on flash, in memory) and its null-reference
 * anchor move up by the server's high-water seq of its address, and its
 * next readings start after it (meters.seq_floor). */
static int renumber_meters(agent_store *st, json_object *high)
{
        int rc = MB_OK;

        json_object_object_foreach(high, addr, v)
        {
                sqlite3_stmt *s;
                int64_t id = 0, base = json_object_get_int64(v);

                if (rc != MB_OK || base <= 0 ||
                    sqlite3_prepare_v2(st->db, "SELECT id FROM meters WHERE address = ?", -1, &s,
                                       NULL) != SQLITE_OK)
                        continue;
                sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
                if (sqlite3_step(s) == SQLITE_ROW)
                        id = sqlite3_column_int64(s, 0);
                sqlite3_finalize(s);
                if (id == 0)
                        continue;
                rc = run(st, "UPDATE main.meters SET seq_floor = ?3 WHERE id = ?2", id, base);
                if (rc == MB_OK)
                        rc = run(st, "UPDATE main.readings SET seq = seq + ?3 WHERE meter_id = ?2",
                                 id, base);
                if (rc == MB_OK)
                        rc = run(st, "UPDATE temp.pending SET seq = seq + ?3 WHERE meter_id = ?2",
                                 id, base);
                if (rc == MB_OK)
                        rc = run(st,
                                 "UPDATE main.snapshots SET after_seq = after_seq + ?3"
                                 " WHERE meter_id = ?2 AND after_seq > 0",
                                 id, base);
                if (rc == MB_OK)
                        mb_notice("%s: new store: meter %s continues after seq %lld", st->path,
                                  addr, (long long)base);
        }
        return rc;
}

/* Event ids move up by events_upto (twice, through negative ids, so no
 * row meets another's id on the way), and so does the next id. */
static int renumber_events(agent_store *st, int64_t base)
{
        int rc;

        if (base <= 0)
                return MB_OK;
        rc = run(st, "UPDATE events SET id = -(id + ?2) WHERE ?3 = 0", base, 0);
        if (rc == MB_OK)
                rc = run(st, "UPDATE events SET id = -id WHERE ?2 = ?3", 0, 0);
        if (rc == MB_OK)
                rc = run(st,
                         "INSERT OR REPLACE INTO sqlite_sequence(name, seq) VALUES ('events',"
                         " coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)"
                         " + ?2 + ?3)",
                         base, 0);
        return rc;
}

int agent_store_resume(agent_store *st, json_object *resume, int64_t events_upto)
{
        json_object *high = NULL, *last = NULL;
        int rc;

        pthread_mutex_lock(&st->lock);
        rc = agent_store_write(st);
        if (resume) {
                json_object_object_get_ex(resume, "high_seq", &high);
                json_object_object_get_ex(resume, "last_command", &last);
        }
        if (rc == MB_OK && json_object_is_type(high, json_type_object))
                rc = renumber_meters(st, high);
        if (rc == MB_OK && resume)
                rc = renumber_events(st, events_upto);
        if (rc == MB_OK && last && json_object_get_int64(last) > 0)
                rc = run(st,
                         "INSERT OR REPLACE INTO store_meta(key, value)"
                         " VALUES ('command_floor', ?2 + ?3)",
                         json_object_get_int64(last), 0);
        if (rc == MB_OK)
                rc = run(st, "DELETE FROM store_meta WHERE key = 'resume' AND ?2 = ?3", 0, 0);
        rc = rc == MB_OK ? agent_store_commit(st) : (agent_store_commit(st), rc);
        /* the counters start again from what agent.db now says */
        agent_store_forget_seqs(st);
        pthread_mutex_unlock(&st->lock);
        return rc;
}
