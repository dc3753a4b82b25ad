/* SPDX-License-Identifier: Apache-2.0 */
/* agent.db: what the running agent records for `meterbox-agent status`. */
#define MB_LOG_MODULE "store"
#include <stdlib.h>
#include <string.h>

#include <meterbox/errors.h>

#include "agent_store_priv.h"

int agent_store_note_sync(agent_store *st, int64_t now)
{
        /* A time for people, not something acted on: it waits in memory and
         * reaches agent.db with the next commit (docs/durability.md). */
        pthread_mutex_lock(&st->lock);
        st->sync_ok_at = now;
        agent_store_defer(st);
        pthread_mutex_unlock(&st->lock);
        return MB_OK;
}

int agent_store_save_sync(agent_store *st)
{
        sqlite3_stmt *s;
        int rc;

        if (!st->sync_ok_at)
                return MB_OK;
        rc = sqlite3_prepare_v2(st->db,
                                "INSERT INTO sync_state(id, ok_at) VALUES (1, ?)"
                                " ON CONFLICT(id) DO UPDATE SET ok_at = excluded.ok_at",
                                -1, &s, NULL);
        if (rc != SQLITE_OK)
                return agent_store_rc(st, rc, "sync state");
        sqlite3_bind_int64(s, 1, st->sync_ok_at);
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) {
                st->failed = 1;
                return agent_store_rc(st, rc, "sync state");
        }
        return MB_OK;
}

int agent_store_note_uplink(agent_store *st, int64_t at, const char *json)
{
        char *copy = strdup(json);

        if (copy == NULL)
                return MB_ENOMEM;
        /* Like the sync time: for people, so it waits for the next commit
         * rather than costing a write of its own. */
        pthread_mutex_lock(&st->lock);
        free(st->uplink_json);
        st->uplink_json = copy;
        st->uplink_at = at;
        agent_store_defer(st);
        pthread_mutex_unlock(&st->lock);
        return MB_OK;
}

int agent_store_save_uplink(agent_store *st)
{
        if (!st->uplink_json)
                return MB_OK;
        return agent_store_exec_bound(st,
                                      "INSERT INTO uplink_state(id, looked_at, json)"
                                      " VALUES (1, ?2, ?1) ON CONFLICT(id) DO UPDATE SET"
                                      " looked_at = excluded.looked_at, json = excluded.json",
                                      st->uplink_json, st->uplink_at, 0);
}
