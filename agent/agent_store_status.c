/* SPDX-License-Identifier: Apache-2.0 */
/* agent.db: what the running agent records for `meterbox-agent status`. */
#define MB_LOG_MODULE "store"
#include <meterbox/errors.h>

#include "agent_store_priv.h"

int agent_store_note_sync(agent_store *st, int64_t now)
{
        sqlite3_stmt *s;
        int rc = sqlite3_prepare_v2(st->db,
                                    "INSERT INTO sync_state(id, ok_at) VALUES (1, ?)"
                                    " ON CONFLICT(id) DO UPDATE SET ok_at = excluded.ok_at",
                                    -1, &s, NULL);

        if (rc != SQLITE_OK)
                return agent_store_rc(st, rc, "sync state");
        sqlite3_bind_int64(s, 1, now);
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) {
                st->failed = 1;
                return agent_store_rc(st, rc, "sync state");
        }
        return MB_OK;
}
