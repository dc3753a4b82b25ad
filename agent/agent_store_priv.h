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

struct agent_store {
        sqlite3 *db;
        char *path;
        pthread_mutex_t lock;
        struct agent_store_opts opts;
        int in_txn;          /* a transaction is open */
        int groups;          /* groups in the open transaction */
        int64_t batch_start; /* monotonic ms when it opened */
        int failed;          /* a statement in the batch failed: roll back at end */
        struct seq_cache *seqs;
        int n_seqs, cap_seqs;
        sqlite3_stmt *ins_reading, *ins_event;
};

#define READING_COLS                                                                               \
        "meter_id, seq, ts, kind, fields, quality, import_wh, export_wh, rate1_wh, rate2_wh,"      \
        " rate3_wh, rate4_wh, power_mw, phases, voltage1_mv, voltage2_mv, voltage3_mv,"            \
        " current1_ma, current2_ma, current3_ma, pf_milli, freq_mhz, relay, address, meter_time,"  \
        " frozen_import_wh, frozen_time, remain_fen, overdraft_fen"

/* Fill r from columns first.. of s in READING_COLS order after meter_id,
 * seq, ts and kind (fields first). */
void agent_store_column_reading(sqlite3_stmt *s, int first, mb_reading *r);

/* Create or migrate the schema to the newest version.  0 or -1 with err. */
int agent_store_migrate(sqlite3 *db, const char *path, char *err, size_t errlen);
/* The sqlite error of the last call as an MB_ code (SQLITE_FULL -> MB_ENOSPC). */
int agent_store_rc(agent_store *st, int rc, const char *what);
/* Forget cached sequence numbers (after a rollback). */
void agent_store_forget_seqs(agent_store *st);

#endif
