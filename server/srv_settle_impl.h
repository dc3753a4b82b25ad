/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv_settle_impl: what srv_settle.c (the bill of one account-month: walk,
 * post, save) shares with srv_settle_chunk.c (month close of many accounts
 * per transaction, every input fetched for the whole chunk in one query
 * each).  Private.
 *
 * Every bill is prepared by a chunk (one account is a chunk of one): the
 * account is locked and its inputs are in the struct (account, mode and
 * balance, the bill before, its supplies with their readings in the
 * month's window, the tariff plan).  An account whose walk needs more than
 * the window holds is loaded on its own (srv_walk_load).
 */
#ifndef SRV_SETTLE_IMPL_H
#define SRV_SETTLE_IMPL_H

#include "mb_tariff.h"
#include "srv.h"
#include "srv_ledger.h"
#include "srv_plan.h"
#include "srv_settle.h"
#include "srv_walk.h"

enum srv_settle_outcome { SRV_SETTLED, SRV_HELD, SRV_ALREADY, SRV_SKIPPED };
enum srv_settle_save { SAVE_HELD = 1, SAVE_SETTLED };

struct srv_bill {
        int64_t account_id, meter_id; /* meter_id: the account's meter now (0: none) */
        char month[8], mode[16], number[72];
        int prepaid, mon;   /* mon: YYYYMM */
        int64_t t0, t1, t2; /* starts of the month, the next and the one after */
        int64_t window_lo;  /* the chunk's readings start here */
        /* inputs */
        int done;                /* the month is settled already */
        int from_opening;        /* it starts at the account's opening (its first month) */
        int has_held;            /* a held bill row exists */
        int64_t held_created;    /* its created_at, which the bill keeps */
        int prev;                /* the month before: 0 no bill, 1 held, 2 settled */
        struct srv_wpoint start; /* where this month starts: the last bill's end */
        struct srv_wsupply *sup; /* supplies in order; owned by the bill */
        size_t nsup, capsup;
        int has_plan;
        struct srv_plan plan;
        int backwards_event; /* an agent's register event in the month: a flag only */
        int64_t charge_sum, credit_limit, balance_before;
        int protect, active;
        int due_days, grace_days; /* the account's dunning terms; -1: server.conf's */
        int has_prev, has_year;
        int64_t prev_wh, prev_fen, year_wh, year_fen;
        /* results */
        unsigned flags;
        char reason[320]; /* why held */
        mb_tariff_acc *acc;
        struct srv_wpoint end; /* where the month ended */
        int nparts;            /* the walk's parts of the month: supplies stepped through */
        const struct srv_wsupply *part; /* the supply of the first part */
        int64_t energy, total, charged, posted, ledger_id, balance_after;
        int64_t bw_meter, bw_seq;    /* the first backwards step, unresolved */
        int64_t due_at, grace_until; /* a monthly bill's terms (srv_dunning.h) */
        const char *dunning;         /* its dunning state, or NULL (prepaid) */
        char *pieces;                /* JSON text of the meters' pieces (malloc) */
        /* written at the chunk's end (srv_settle_write) */
        int save;      /* the bill row to write: 0 none, SAVE_HELD, SAVE_SETTLED */
        int ledger_ix; /* its ledger entry in the chunk's batch, or -1 */
};

/* Settle b (account locked, inputs prefetched) inside the caller's
 * transaction: an outcome or an error.  Its ledger entry goes into lb and
 * its bill row waits in b (save) for srv_settle_write. */
int srv_settle_in_tx(struct srv *s, srv_db *db, struct srv_bill *b, const char *by,
                     srv_ledger_batch *lb);

/* Write what the chunk's bills bs[0..n-1] settled (srv_settle_in_tx): the
 * ledger entries and balances in lb, then the bill rows (a held row being
 * replaced goes first), in bulk, inside the chunk's transaction.  MB_OK or
 * an error (then roll back). */
int srv_settle_write(srv_db *db, struct srv_bill *bs, size_t n, srv_ledger_batch *lb);

/* Add the month's monthly charges (fixed, prorated by the days of supply;
 * demand, on the month's maximum demand times the multiplier) to b->acc,
 * once b's month is walked and it has a plan: MB_OK, or SRV_HELD with
 * b->reason. */
int srv_settle_monthly(struct srv_bill *b);

/* Add b's outcome rc to the summary, and its entry to the report (up to
 * SRV_SETTLE_REPORT_MAX entries; the rest are counted in omitted). */
void srv_settle_count(struct srv_settle_summary *sum, int rc, const struct srv_bill *b);

/* Release what b owns (supplies, readings, accumulator, pieces). */
void srv_settle_bill_free(struct srv_bill *b);

/* Settle the accounts ids[0..n-1] (ascending) for month in transactions of
 * up to SRV_SETTLE_CHUNK accounts; a chunk that fails is redone one account
 * per transaction, so one bad account cannot hold up the rest.  Servers
 * closing the same month at once share the chunks (srv_db_try_lock) and
 * then check each other's. */
void srv_settle_chunks(struct srv *s, srv_db *db, const int64_t *ids, size_t n, const char *month,
                       const char *by, struct srv_settle_summary *sum);

/* One account-month in its own transaction. */
int srv_settle_one(struct srv *s, srv_db *db, int64_t account_id, const char *month, const char *by,
                   struct srv_settle_summary *sum);

/* Accounts per transaction: fewer commits on SQLite; on PostgreSQL each
 * holds an advisory lock until commit, so fewer there (lock table room for
 * several servers closing at once: the default 64 x max_connections slots
 * hold five servers' chunks beside the ingest).  1,000 rather than 500:
 * a chunk's fixed cost (its reads planned for its bounds, the locks, the
 * commit's wait for the WAL flush) halves per account; 26,000 -> 31,000
 * accounts/s at 1M on two servers (bench/RESULTS.md). */
#define SRV_SETTLE_CHUNK 2000
#define SRV_SETTLE_CHUNK_PG 1000
#define SRV_SETTLE_REPORT_MAX 1000
/* The chunk's readings start this long before the month: a month's start
 * point (the last bill's end, the reading nearest the boundary) is near it. */
#define SRV_SETTLE_WINDOW_BEFORE (3 * 86400)

#endif
