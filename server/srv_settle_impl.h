/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv_settle_impl: what srv_settle.c (one account-month at a time) shares
 * with srv_settle_chunk.c (month close of many accounts per transaction,
 * with each input fetched for the whole chunk in one query).  Private.
 *
 * A bill whose `pre` is set was filled by the chunk's prefetch: the account
 * is already locked, and its meter, mode, settled state, boundaries,
 * register-backwards evidence, earlier bills, the month's continuous charges
 * and the trip inputs are in the struct, so the per-account steps skip their
 * own queries.  Otherwise each step queries for itself.
 */
#ifndef SRV_SETTLE_IMPL_H
#define SRV_SETTLE_IMPL_H

#include "mb_tariff.h"
#include "srv.h"
#include "srv_settle.h"

enum srv_settle_outcome { SRV_SETTLED, SRV_HELD, SRV_ALREADY, SRV_SKIPPED };

struct srv_boundary {
        int found, frozen;
        int64_t seq;
        mb_tariff_reading r;
};

struct srv_bill {
        int64_t account_id, meter_id;
        char month[8], mode[16], tariff_id[72], hash[72];
        int prepaid;
        struct srv_boundary b0, b1;
        unsigned flags;
        mb_tariff_acc *acc;
        const mb_tariff *tariff; /* found by the preparation step */
        int64_t energy, total, charged, posted, ledger_id, balance_after;
        int has_prev, has_year;
        int64_t prev_wh, prev_fen, year_wh, year_fen;
        /* prefetched (pre) */
        int pre, pre_done, pre_backwards;
        char number[72];
        int64_t charge_sum, credit_limit, balance_before;
        int protect, active;
};

/* Settle b (account_id and month set; acc allocated) inside the caller's
 * transaction: an outcome or an error. */
int srv_settle_in_tx(struct srv *s, srv_db *db, struct srv_bill *b, const char *by);

/* Add b's outcome rc to the summary, and its entry to the report (up to
 * SRV_SETTLE_REPORT_MAX entries; the rest are counted in omitted). */
void srv_settle_count(struct srv_settle_summary *sum, int rc, const struct srv_bill *b);

/* Settle the accounts ids[0..n-1] (ascending) for month in transactions of
 * up to SRV_SETTLE_CHUNK accounts; a chunk that fails is redone one account
 * per transaction, so one bad account cannot hold up the rest.  Servers
 * closing the same month at once share the chunks (srv_db_try_lock) and
 * then check each other's. */
void srv_settle_chunks(struct srv *s, srv_db *db, const int64_t *ids, size_t n, const char *month,
                       const char *by, struct srv_settle_summary *sum);

/* One account-month in its own transaction (the pre-chunk path). */
int srv_settle_one(struct srv *s, srv_db *db, int64_t account_id, const char *month, const char *by,
                   struct srv_settle_summary *sum);

/* Accounts per transaction: fewer commits on SQLite; on PostgreSQL each
 * holds an advisory lock until commit, so fewer there (lock table room for
 * several servers closing at once). */
#define SRV_SETTLE_CHUNK 2000
#define SRV_SETTLE_CHUNK_PG 500
#define SRV_SETTLE_REPORT_MAX 1000

#endif
