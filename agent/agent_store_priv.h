/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the agent_store_*.c files. */
#ifndef AGENT_STORE_PRIV_H
#define AGENT_STORE_PRIV_H

#include <pthread.h>
#include <sqlite3.h>

#include "agent_store.h"

struct seq_cache {
        int64_t meter_id;
        int64_t last_seq;
};

/*
 * Durability (docs/durability.md): what is acted on or uploaded is synced
 * first; routine readings wait in memory (temp.pending) and go to agent.db
 * in one synced transaction every commit_every readings or
 * commit_interval_ms, or with the next write that cannot wait.  So are the
 * acknowledgement marks and the snapshots that only move the reference
 * forward (temp.snapshots).  The uploader reads agent.db, never temp: it
 * only sees rows on flash.
 */
struct agent_store {
        sqlite3 *db;
        char *path;
        pthread_mutex_t lock;
        struct agent_store_opts opts;
        int in_txn;            /* a transaction on agent.db is open in this group */
        int failed;            /* a statement in it failed: roll back at end */
        int64_t n_pending;     /* routine readings in temp.pending */
        int64_t pending_since; /* monotonic ms of the oldest of them */
        int64_t dirty_since;   /* monotonic ms since marks or snapshots wait; 0: none */
        /* The server has readings.id <= acked and events.id <= ev_acked;
         * agent.db records it as far as the *_saved marks. */
        int64_t acked, acked_saved, ev_acked, ev_acked_saved;
        int64_t last_prune;   /* wall s */
        int64_t sync_ok_at;   /* the server's last answer, not yet in agent.db; 0: none */
        int64_t uplink_at;    /* wall s of the uplink look not yet in agent.db */
        char *uplink_json;    /* what that look found; NULL: none waiting */
        int64_t data_version; /* PRAGMA data_version last seen */
        struct seq_cache *seqs;
        int n_seqs, cap_seqs;
        sqlite3_stmt *ins_reading, *ins_event, *set_balance, *data_version_stmt;
};

#define READING_COLS "meter_id, seq, ts, kind, fields, quality, import_wh, power_mw, relay, data"

/* The same, to read, with the meter's address: a reading whose address is
 * the meter's own is stored without it and given it back here. */
#define READING_SELECT                                                                             \
        READING_COLS ", (SELECT ma.address FROM main.meters ma WHERE ma.id = meter_id)"
/* Columns of READING_SELECT, and where in it each row's own follow. */
#define READING_NCOLS 11

/* Each meter's newest row (scanning back from the end, as far as each
 * meter's last reading), which pruning and thinning never take. */
#define AGENT_STORE_NEWEST                                                                         \
        "(SELECT (SELECT id FROM main.readings r WHERE r.meter_id = m.id ORDER BY id DESC"         \
        " LIMIT 1) FROM meters m)"

/* Fill r from columns first.. of s in READING_SELECT order after meter_id,
 * seq, ts and kind (fields first; ts is column first - 2). */
void agent_store_column_reading(sqlite3_stmt *s, int first, mb_reading *r);

/* readings.data (agent_store_extra.c): bind r's measured values other than
 * import, power and relay at col (addr: r's address, NULL when it is the
 * meter's own; ts: the reading's time), or read them back from col into r
 * (fields set; phases, meter_time and, when stored, the address are set);
 * register mb_data() for the migration that made the column. */
void agent_store_bind_data(sqlite3_stmt *s, int col, const mb_reading *r, int64_t ts,
                           const char *addr);
void agent_store_column_data(sqlite3_stmt *s, int col, int64_t ts, mb_reading *r);
int agent_store_data_function(sqlite3 *db);

/* Create or migrate the schema to the newest version.  0 or -1 with err. */
int agent_store_migrate(sqlite3 *db, const char *path, char *err, size_t errlen);
/* The same, to version upto only (tests of a migration). */
int agent_store_migrate_upto(sqlite3 *db, const char *path, int upto, char *err, size_t errlen);
/* The sqlite error of the last call as an MB_ code (SQLITE_FULL -> MB_ENOSPC). */
int agent_store_rc(agent_store *st, int rc, const char *what);
/* Forget cached sequence numbers (after a rollback). */
void agent_store_forget_seqs(agent_store *st);
/* Open the transaction of this group on agent.db if none is: the group then
 * commits, synced, at its end, with every pending reading.  MB_OK or a store
 * error (the group is marked failed). */
int agent_store_write(agent_store *st);
/* Inside the open transaction: move the pending readings, the marks and the
 * waiting snapshots into agent.db, and prune.  MB_OK or a store error. */
int agent_store_flush(agent_store *st);
/* Flush and commit the open transaction (synced); roll it back when a
 * statement of the group failed.  No transaction: MB_OK.  Returns MB_OK or
 * the error. */
int agent_store_commit(agent_store *st);
/* Something waits in memory (a mark, a snapshot): commit it within
 * commit_interval_ms. */
void agent_store_defer(agent_store *st);
/* Inside the open transaction: drop acknowledged data past its keeping time
 * and thin to the size cap (agent_store_prune.c). */
void agent_store_prune_now(agent_store *st, int64_t now);
/* Readings put back in the upload queue by another process below the
 * acknowledgement mark: move the mark back before them.  Under the lock. */
void agent_store_rescan(agent_store *st);
/* Inside the open transaction: the time of the server's last answer. */
int agent_store_save_sync(agent_store *st);
/* The uplink look waiting in memory into uplink_state: MB_OK or an error. */
int agent_store_save_uplink(agent_store *st);
/* In this group's transaction (opened if need be): run sql with ?1 text (or
 * unbound when NULL), ?2 a and ?3 b.  MB_OK, or a store error (the group is
 * marked failed). */
int agent_store_exec_bound(agent_store *st, const char *sql, const char *text, int64_t a,
                           int64_t b);
/* The newest stored sequence number of meter_id in agent.db and memory. */
int agent_store_last_seq(agent_store *st, int64_t meter_id, int64_t *last);

#endif
