/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `meterbox-agent resend [METER...]`: readings the server refused and the
 * agent set aside (a meter not yet bound on the server: 422 unknown_meter)
 * go back into the upload queue once the cause is mended.  The server takes
 * readings below a meter's high-water mark that it has not stored yet, so
 * they fill their place in the sequence.  Runs beside the running agent:
 * one short write transaction that waits for the agent's open batch.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "agent.h"
#include "agent_status.h"
#include "mb_time.h"

/* Requeue the set-aside readings of meter id (name for the message) and
 * record it.  Returns how many, or -1. */
static int requeue(sqlite3 *db, int64_t id, const char *name)
{
        sqlite3_stmt *s;
        int n = -1;
        char data[48];

        if (sqlite3_prepare_v2(db,
                               "UPDATE readings SET acked = 0 WHERE meter_id = ?1 AND acked = 2",
                               -1, &s, NULL) != SQLITE_OK)
                return -1;
        sqlite3_bind_int64(s, 1, id);
        if (sqlite3_step(s) == SQLITE_DONE)
                n = sqlite3_changes(db);
        sqlite3_finalize(s);
        if (n <= 0)
                return n;
        snprintf(data, sizeof(data), "{\"readings\":%d}", n);
        if (sqlite3_prepare_v2(db,
                               "INSERT INTO events(meter_id, ts, type, reason, data)"
                               " VALUES (?1, ?2, 'readings_resent', 'meterbox-agent resend', ?3)",
                               -1, &s, NULL) != SQLITE_OK)
                return -1;
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, mb_realtime_s());
        sqlite3_bind_text(s, 3, data, -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
                n = -1;
        sqlite3_finalize(s);
        if (n > 0)
                printf("%s: %d set-aside readings back in the upload queue\n", name, n);
        return n;
}

/* Requeue every meter's: the whole store. */
static int resend_every(sqlite3 *db, int *total)
{
        sqlite3_stmt *s;
        int n = 0;

        if (sqlite3_prepare_v2(db, "SELECT id, name FROM meters ORDER BY id", -1, &s, NULL) !=
            SQLITE_OK)
                return -1;
        while (n >= 0 && sqlite3_step(s) == SQLITE_ROW)
                if ((n = requeue(db, sqlite3_column_int64(s, 0),
                                 (const char *)sqlite3_column_text(s, 1))) > 0)
                        *total += n;
        sqlite3_finalize(s);
        return n < 0 ? -1 : 0;
}

/* The named meters'.  Returns 0, 1 when one is not in agent.db, -1. */
static int resend_named(sqlite3 *db, char *const *names, int n_names, int *total)
{
        int rc = 0, n;

        for (int i = 0; i < n_names && rc >= 0; i++) {
                sqlite3_stmt *s;
                int64_t id = -1;

                if (sqlite3_prepare_v2(db, "SELECT id FROM meters WHERE name = ?1", -1, &s, NULL) !=
                    SQLITE_OK)
                        return -1;
                sqlite3_bind_text(s, 1, names[i], -1, SQLITE_STATIC);
                if (sqlite3_step(s) == SQLITE_ROW)
                        id = sqlite3_column_int64(s, 0);
                sqlite3_finalize(s);
                if (id < 0) {
                        fprintf(stderr, "meterbox-agent: no meter '%s' in agent.db\n", names[i]);
                        rc = 1;
                } else if ((n = requeue(db, id, names[i])) < 0) {
                        rc = -1;
                } else {
                        *total += n;
                }
        }
        return rc;
}

int agent_resend(const char *config_path, char *const *meters, int n_meters)
{
        mb_diag *d = mb_diag_new();
        struct agent_config *cfg = d ? agent_config_load(config_path, d) : NULL;
        sqlite3 *db = NULL;
        int rc = 2, total = 0;

        mb_diag_print(d, stderr);
        mb_diag_free(d);
        if (!cfg)
                return 2;
        if (sqlite3_open_v2(cfg->store_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
                fprintf(stderr, "meterbox-agent: cannot open %s: %s\n", cfg->store_path,
                        db ? sqlite3_errmsg(db) : "out of memory");
                goto out;
        }
        /* The agent may hold its write lock for a whole batch. */
        sqlite3_busy_timeout(db, cfg->commit_interval_ms + 30000);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
                fprintf(stderr, "meterbox-agent: %s: %s\n", cfg->store_path, sqlite3_errmsg(db));
                goto out;
        }
        rc = n_meters ? resend_named(db, meters, n_meters, &total) : resend_every(db, &total);
        if (rc < 0)
                fprintf(stderr, "meterbox-agent: %s: %s\n", cfg->store_path, sqlite3_errmsg(db));
        rc = rc < 0 ? 2 : rc;
        if (rc == 0 && total == 0)
                printf("nothing set aside\n");
        if (rc != 2 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                fprintf(stderr, "meterbox-agent: %s: %s\n", cfg->store_path, sqlite3_errmsg(db));
                rc = 2;
        }
        if (rc == 2)
                sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
        sqlite3_close(db);
        agent_config_free(cfg);
        return rc;
}
