/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Month close in chunks: SRV_SETTLE_CHUNK accounts per transaction, their
 * locks taken in ascending account order, and every per-account input of
 * the close fetched for the whole chunk in one query each (account and
 * meter, settled already?, boundary readings, register-backwards evidence,
 * earlier bills, the month's continuous charges).  What is left per account
 * is the tariff lookup (cached), the bill arithmetic and the writes.  The
 * range fetches are planned for each chunk's bounds (srv_db_query_replan):
 * PostgreSQL's generic plan for "meter_id BETWEEN $1 AND $2 AND ts >= $3"
 * walked the ts index over the whole month, a cost per chunk that grew with
 * the accounts (a close quadratic in them).  The tariff fetch stays cached:
 * it runs lookups while its rows are open.  Each
 * account-month is still settled exactly once: the chunk commits or not as a
 * whole, and a chunk that fails is redone one account per transaction.
 * Several servers on one PostgreSQL closing the same month at once take
 * turns: each claims a chunk with a lock it does not wait for, leaves the
 * chunks others hold to them, and comes back to those at the end.
 */
#define MB_LOG_MODULE "settle"
#include "srv_settle_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_log.h"
#include "srv_compare.h"
#include "srv_month.h"
#include "srv_reading_row.h"
#include "srv_tariffs.h"

void srv_settle_count(struct srv_settle_summary *sum, int rc, const struct srv_bill *b)
{
        if (rc == SRV_SETTLED)
                sum->settled++;
        else if (rc == SRV_HELD)
                sum->held++;
        else if (rc == SRV_ALREADY)
                sum->already++;
        else if (rc == SRV_SKIPPED)
                sum->skipped++;
        else
                sum->failed++;
        if (rc != SRV_SETTLED && rc != SRV_HELD)
                return;
        if (sum->bills == NULL || json_object_array_length(sum->bills) >= SRV_SETTLE_REPORT_MAX) {
                sum->bills_omitted++;
                return;
        }
        json_object *o = json_object_new_object();

        srv_jadd_str(o, "account", b->number);
        srv_jadd_str(o, "state", rc == SRV_SETTLED ? "settled" : "held");
        srv_jadd_i64_or_null(o, "energy_wh", rc != SRV_SETTLED, b->energy);
        srv_jadd_i64_or_null(o, "total_fen", rc != SRV_SETTLED, b->total);
        srv_jadd_i64_or_null(o, "posted_fen", rc != SRV_SETTLED, b->posted);
        json_object_object_add(o, "flags", srv_compare_flags_json(b->flags));
        json_object_array_add(sum->bills, o);
}

static struct srv_bill *find(struct srv_bill *bs, size_t n, int64_t account_id)
{
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;

                if (bs[mid].account_id < account_id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < n && bs[lo].account_id == account_id ? &bs[lo] : NULL;
}

struct window {
        int64_t lo, hi, t0, t1, t2;
        int64_t mlo, mhi;      /* the chunk's meter ids lie in [mlo, mhi] */
        struct srv_bill **bym; /* the chunk's bills with a meter, by meter id */
        size_t nbym;
        const char *month;
        char prev[8], year[8];
};

static int by_meter_cmp(const void *a, const void *b)
{
        int64_t x = (*(struct srv_bill *const *)a)->meter_id;
        int64_t y = (*(struct srv_bill *const *)b)->meter_id;

        return (x > y) - (x < y);
}

/* Index the chunk's bills by meter id, so the readings queries can run on
 * the readings' own key (meter_id, seq) without joining meters. */
static void index_meters(struct srv_bill *bs, size_t n, struct window *w)
{
        w->nbym = 0;
        for (size_t i = 0; i < n; i++)
                if (bs[i].meter_id)
                        w->bym[w->nbym++] = &bs[i];
        qsort(w->bym, w->nbym, sizeof(*w->bym), by_meter_cmp);
}

static struct srv_bill *find_meter(const struct window *w, int64_t meter_id)
{
        size_t lo = 0, hi = w->nbym;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;

                if (w->bym[mid]->meter_id < meter_id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < w->nbym && w->bym[lo]->meter_id == meter_id ? w->bym[lo] : NULL;
}

static int fetch_accounts(srv_db *db, struct srv_bill *bs, size_t n, struct window *w)
{
        srv_stmt *st = NULL;
        struct srv_bill *b;
        int rc =
            srv_db_query_replan(db, &st,
                                "SELECT a.id, m.id, a.mode, a.number, a.credit_limit_fen,"
                                " a.protected, a.state, a.balance_fen FROM accounts a JOIN meters m"
                                " ON m.account_id = a.id WHERE a.id BETWEEN $1 AND $2",
                                "ii", w->lo, w->hi);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                if ((b = find(bs, n, srv_stmt_i64(st, 0))) == NULL)
                        continue;
                b->meter_id = srv_stmt_i64(st, 1);
                if (w->mlo == 0 || b->meter_id < w->mlo)
                        w->mlo = b->meter_id;
                if (b->meter_id > w->mhi)
                        w->mhi = b->meter_id;
                snprintf(b->mode, sizeof(b->mode), "%s", srv_stmt_text(st, 2));
                b->prepaid = strcmp(b->mode, "prepaid") == 0;
                snprintf(b->number, sizeof(b->number), "%s", srv_stmt_text(st, 3));
                b->credit_limit = srv_stmt_i64(st, 4);
                b->protect = (int)srv_stmt_i64(st, 5);
                b->active = strcmp(srv_stmt_text(st, 6), "active") == 0;
                b->balance_before = srv_stmt_i64(st, 7);
        }
        srv_stmt_done(st);
        if (rc < 0)
                return rc;
        /* state is tested here, not in SQL: a state filter would tempt the
         * planner onto bills_state, every bill of the month per chunk */
        rc = srv_db_query_replan(
            db, &st,
            "SELECT account_id, state FROM bills WHERE account_id BETWEEN $1 AND $2"
            " AND month = $3",
            "iit", w->lo, w->hi, w->month);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                if ((b = find(bs, n, srv_stmt_i64(st, 0))) != NULL &&
                    strcmp(srv_stmt_text(st, 1), "settled") == 0)
                        b->pre_done = 1;
        srv_stmt_done(st);
        return rc;
}

/* The first boundary reading in [t0, t1) and in [t1, t2) of each meter. */
static int fetch_boundaries(srv_db *db, const struct window *w)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query_replan(db, &st,
                                     "SELECT meter_id, seq, ts, import_wh, " SRV_READING_RATES
                                     " FROM readings"
                                     " WHERE meter_id BETWEEN $1 AND $2 AND kind = 'boundary'"
                                     " AND ts >= $3 AND ts < $4 AND import_wh IS NOT NULL"
                                     " ORDER BY meter_id, ts, seq",
                                     "iiii", w->mlo, w->mhi, w->t0, w->t2);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct srv_bill *b = find_meter(w, srv_stmt_i64(st, 0));
                int64_t ts = srv_stmt_i64(st, 2);
                struct srv_boundary *x;

                if (b == NULL)
                        continue;
                x = ts < w->t1 ? &b->b0 : &b->b1;
                if (x->found)
                        continue;
                x->found = 1;
                x->seq = srv_stmt_i64(st, 1);
                x->r.t = ts;
                x->r.import_wh = srv_stmt_i64(st, 3);
                srv_reading_row_rates(st, 4, &x->r);
        }
        srv_stmt_done(st);
        return rc;
}

/* A register that went backwards between a meter's two boundaries: a
 * reading lower than the one before it (by seq, among the readings of the
 * two months), or an agent's event.  The readings come in their key order,
 * so the comparison with the one before is made here as they stream past
 * (a window function over the same rows cost a sort).  A bill without
 * both boundaries here leaves it to prepare() (-1). */
static int fetch_backwards(srv_db *db, struct srv_bill *bs, size_t n, const struct window *w)
{
        srv_stmt *st = NULL;
        int64_t pm = 0, pts = 0, pwh = 0;
        int rc;

        for (size_t i = 0; i < n; i++)
                bs[i].pre_backwards = bs[i].b0.found && bs[i].b1.found ? 0 : -1;
        rc = srv_db_query_replan(db, &st,
                                 "SELECT meter_id, ts, import_wh FROM readings"
                                 " WHERE meter_id BETWEEN $1 AND $2 AND ts >= $3 AND ts < $4"
                                 " AND import_wh IS NOT NULL ORDER BY meter_id, seq",
                                 "iiii", w->mlo, w->mhi, w->t0, w->t2);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                int64_t m = srv_stmt_i64(st, 0), ts = srv_stmt_i64(st, 1), wh = srv_stmt_i64(st, 2);
                struct srv_bill *b;

                if (m == pm && wh < pwh && (b = find_meter(w, m)) != NULL &&
                    b->pre_backwards == 0 && pts >= b->b0.r.t && ts <= b->b1.r.t)
                        b->pre_backwards = 1;
                pm = m;
                pts = ts;
                pwh = wh;
        }
        srv_stmt_done(st);
        if (rc < 0)
                return rc;
        rc = srv_db_query_replan(db, &st,
                                 "SELECT meter_id, ts FROM events WHERE meter_id BETWEEN $1 AND $2"
                                 " AND ts >= $3 AND ts < $4"
                                 " AND type IN ('register_backwards', 'register_reset')",
                                 "iiii", w->mlo, w->mhi, w->t0, w->t2);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct srv_bill *b = find_meter(w, srv_stmt_i64(st, 0));
                int64_t ts = srv_stmt_i64(st, 1);

                if (b && b->pre_backwards == 0 && ts >= b->b0.r.t && ts <= b->b1.r.t)
                        b->pre_backwards = 1;
        }
        srv_stmt_done(st);
        return rc;
}

/* Last month's and last year's settled bills; the month's continuous charges. */
static int fetch_history(srv_db *db, struct srv_bill *bs, size_t n, const struct window *w)
{
        srv_stmt *st = NULL;
        int rc =
            srv_db_query_replan(db, &st,
                                "SELECT account_id, month, energy_wh, total_fen, state FROM bills"
                                " WHERE account_id BETWEEN $1 AND $2 AND month IN ($3, $4)",
                                "iitt", w->lo, w->hi, w->prev, w->year);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct srv_bill *b = find(bs, n, srv_stmt_i64(st, 0));

                if (b == NULL || strcmp(srv_stmt_text(st, 4), "settled") != 0)
                        continue;
                if (strcmp(srv_stmt_text(st, 1), w->prev) == 0) {
                        b->has_prev = 1;
                        b->prev_wh = srv_stmt_i64(st, 2);
                        b->prev_fen = srv_stmt_i64(st, 3);
                } else {
                        b->has_year = 1;
                        b->year_wh = srv_stmt_i64(st, 2);
                        b->year_fen = srv_stmt_i64(st, 3);
                }
        }
        srv_stmt_done(st);
        if (rc < 0)
                return rc;
        rc = srv_db_query_replan(db, &st,
                                 "SELECT account_id, sum(amount_fen) FROM ledger"
                                 " WHERE account_id BETWEEN $1 AND $2 AND month = $3"
                                 " AND kind = 'charge' GROUP BY account_id",
                                 "iit", w->lo, w->hi, w->month);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct srv_bill *b = find(bs, n, srv_stmt_i64(st, 0));

                if (b)
                        b->charge_sum = srv_stmt_i64(st, 1);
        }
        srv_stmt_done(st);
        return rc;
}

/* Each account's tariff at its first boundary: the latest assignment in
 * force then (rows come newest first per account), parsed via the cache. */
static int fetch_tariffs(struct srv *s, srv_db *db, struct srv_bill *bs, size_t n,
                         const struct window *w)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT a.account_id, a.effective_from, t.tariff_id, t.hash, t.id"
                              " FROM account_tariffs a JOIN tariffs t ON t.tariff_id = a.tariff_id"
                              " WHERE a.account_id BETWEEN $1 AND $2"
                              " ORDER BY a.account_id, a.effective_from DESC, t.id DESC",
                              "ii", w->lo, w->hi);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct srv_bill *b = find(bs, n, srv_stmt_i64(st, 0));
                const mb_tariff *t;

                if (b == NULL || b->tariff || !b->b0.found || !b->b1.found ||
                    srv_stmt_i64(st, 1) > b->b0.r.t)
                        continue;
                rc = srv_tariff_by_hash(s, db, srv_stmt_text(st, 3), srv_stmt_i64(st, 4), &t);
                if (rc < 0)
                        break;
                b->tariff = t;
                snprintf(b->tariff_id, sizeof(b->tariff_id), "%s", srv_stmt_text(st, 2));
                snprintf(b->hash, sizeof(b->hash), "%s", srv_stmt_text(st, 3));
        }
        srv_stmt_done(st);
        return rc;
}

static int window_of(const char *month, struct window *w)
{
        char m1[8], m2[8];

        w->month = month;
        if (srv_month_start(month, &w->t0) < 0 || srv_month_add(month, 1, m1) < 0 ||
            srv_month_add(month, 2, m2) < 0 || srv_month_start(m1, &w->t1) < 0 ||
            srv_month_start(m2, &w->t2) < 0 || srv_month_add(month, -1, w->prev) < 0 ||
            srv_month_add(month, -12, w->year) < 0)
                return MB_EINVAL;
        return MB_OK;
}

/* chunk(): another server is closing these accounts right now */
#define CHUNK_TAKEN 1

/* One chunk in one transaction; outcomes counted only once it commits.
 * With claim, a chunk another server holds is left to it: CHUNK_TAKEN. */
static int chunk(struct srv *s, srv_db *db, struct srv_bill *bs, size_t n, const char *by, int *out,
                 int64_t *ids, struct srv_bill **bym, int claim)
{
        struct window w = {.bym = bym};
        int rc = window_of(bs[0].month, &w);

        w.lo = bs[0].account_id;
        w.hi = bs[n - 1].account_id;
        if (rc == MB_OK)
                rc = srv_db_begin(db);
        if (rc == MB_OK && claim) {
                int got = srv_db_try_lock(db, SRV_LOCK_CLOSE, w.lo);

                if (got == 0) {
                        srv_db_rollback(db);
                        return CHUNK_TAKEN;
                }
                rc = got < 0 ? got : MB_OK;
        }
        for (size_t i = 0; rc == MB_OK && i < n; i++)
                ids[i] = bs[i].account_id;
        if (rc == MB_OK)
                rc = srv_db_lock_many(db, SRV_LOCK_ACCOUNT, ids, n);
        if (rc == MB_OK)
                rc = fetch_accounts(db, bs, n, &w);
        if (rc >= 0) {
                index_meters(bs, n, &w);
                rc = fetch_boundaries(db, &w);
        }
        if (rc >= 0)
                rc = fetch_backwards(db, bs, n, &w);
        if (rc >= 0)
                rc = fetch_history(db, bs, n, &w);
        if (rc >= 0)
                rc = fetch_tariffs(s, db, bs, n, &w);
        for (size_t i = 0; rc >= 0 && i < n; i++) {
                out[i] = bs[i].meter_id ? srv_settle_in_tx(s, db, &bs[i], by) : SRV_SKIPPED;
                rc = out[i] < 0 ? out[i] : MB_OK;
        }
        if (rc >= 0)
                rc = srv_db_commit(db);
        if (rc < 0) {
                mb_warn("month %s: chunk of accounts %lld..%lld failed (%s); one by one now",
                        bs[0].month, (long long)w.lo, (long long)w.hi, srv_db_errmsg(db));
                srv_db_rollback(db);
        }
        return rc;
}

struct chunk_bufs {
        struct srv_bill *bs;
        int *out;
        int64_t *lockids;
        struct srv_bill **bym;
};

/* Settle ids[0..k-1]: one chunk, or one account per transaction when the
 * chunk fails.  CHUNK_TAKEN (nothing done) when claim and another server
 * holds it; else MB_OK. */
static int settle_range(struct srv *s, srv_db *db, const int64_t *ids, size_t k, const char *month,
                        const char *by, struct srv_settle_summary *sum, struct chunk_bufs *b,
                        int claim)
{
        int rc = MB_OK;

        for (size_t j = 0; j < k; j++) {
                memset(&b->bs[j], 0, sizeof(b->bs[j]));
                b->bs[j].account_id = ids[j];
                b->bs[j].pre = 1;
                snprintf(b->bs[j].month, sizeof(b->bs[j].month), "%s", month);
                if ((b->bs[j].acc = mb_tariff_acc_new()) == NULL)
                        rc = MB_ENOMEM;
        }
        if (rc == MB_OK)
                rc = chunk(s, db, b->bs, k, by, b->out, b->lockids, b->bym, claim);
        for (size_t j = 0; j < k; j++) {
                if (rc == MB_OK)
                        srv_settle_count(sum, b->out[j], &b->bs[j]);
                else if (rc != CHUNK_TAKEN)
                        srv_settle_one(s, db, ids[j], month, by, sum);
                mb_tariff_acc_free(b->bs[j].acc);
        }
        return rc == CHUNK_TAKEN ? rc : MB_OK;
}

/* Two passes, so that servers closing the same month share the work: the
 * first leaves each chunk another server holds to it, the second goes back
 * to those (waiting for that server's commit, then finding them settled, or
 * settling what it did not). */
void srv_settle_chunks(struct srv *s, srv_db *db, const int64_t *ids, size_t n, const char *month,
                       const char *by, struct srv_settle_summary *sum)
{
        size_t per =
            strcmp(srv_db_backend(db), "postgresql") == 0 ? SRV_SETTLE_CHUNK_PG : SRV_SETTLE_CHUNK;
        struct chunk_bufs b = {calloc(per, sizeof(*b.bs)), calloc(per, sizeof(*b.out)),
                               calloc(per, sizeof(*b.lockids)), calloc(per, sizeof(*b.bym))};
        size_t *later = calloc(n / per + 1, sizeof(*later)), nlater = 0;

        if (b.bs == NULL || b.out == NULL || b.lockids == NULL || b.bym == NULL || later == NULL) {
                for (size_t i = 0; i < n; i++)
                        srv_settle_one(s, db, ids[i], month, by, sum);
        } else {
                for (size_t i = 0; i < n; i += per)
                        if (settle_range(s, db, ids + i, n - i < per ? n - i : per, month, by, sum,
                                         &b, 1) == CHUNK_TAKEN)
                                later[nlater++] = i;
                for (size_t c = 0; c < nlater; c++) {
                        size_t i = later[c];

                        settle_range(s, db, ids + i, n - i < per ? n - i : per, month, by, sum, &b,
                                     0);
                }
        }
        free(b.bs);
        free(b.out);
        free(b.lockids);
        free(b.bym);
        free(later);
}
