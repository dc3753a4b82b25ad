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
        int64_t last_prune; /* wall s */
        int64_t sync_ok_at; /* the server's last answer, not yet in agent.db; 0: none */
        struct seq_cache *seqs;
        int n_seqs, cap_seqs;
        sqlite3_stmt *ins_reading, *ins_event, *set_balance;
};

#define READING_COLS                                                                               \
        "meter_id, seq, ts, kind, fields, quality, import_wh, export_wh, rate1_wh, rate2_wh,"      \
        " rate3_wh, rate4_wh, power_mw, phases, voltage1_mv, voltage2_mv, voltage3_mv,"            \
        " current1_ma, current2_ma, current3_ma, pf_milli, freq_mhz, relay, address, meter_time,"  \
        " frozen_import_wh, frozen_time, remain_fen, overdraft_fen"

/* The same, to read: a reading whose address is the meter's own is stored
 * without it (13 bytes of every row on flash) and given it back here. */
#define READING_SELECT                                                                             \
        "meter_id, seq, ts, kind, fields, quality, import_wh, export_wh, rate1_wh, rate2_wh,"      \
        " rate3_wh, rate4_wh, power_mw, phases, voltage1_mv, voltage2_mv, voltage3_mv,"            \
        " current1_ma, current2_ma, current3_ma, pf_milli, freq_mhz, relay,"                       \
        " coalesce(address, (SELECT ma.address FROM main.meters ma WHERE ma.id = meter_id)),"      \
        " meter_time, frozen_import_wh, frozen_time, remain_fen, overdraft_fen"

/* Fill r from columns first.. of s in READING_COLS order after meter_id,
 * seq, ts and kind (fields first). */
void agent_store_column_reading(sqlite3_stmt *s, int first, mb_reading *r);

/* Create or migrate the schema to the newest version.  0 or -1 with err. */
int agent_store_migrate(sqlite3 *db, const char *path, char *err, size_t errlen);
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
/* Inside the open transaction: the time of the server's last answer. */
int agent_store_save_sync(agent_store *st);
/* The newest stored sequence number of meter_id in agent.db and memory. */
int agent_store_last_seq(agent_store *st, int64_t meter_id, int64_t *last);

#endif
