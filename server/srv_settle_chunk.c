/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Month close in chunks: SRV_SETTLE_CHUNK accounts per transaction, their
 * locks taken in ascending account order, and every per-account input of
 * the close fetched for the whole chunk in one query each (account and
 * meter, the bill before and the month's own, supplies, readings of the
 * month's window, operators' fixes, agents' register events, tariff plans,
 * the month's continuous charges).  What is left per account is the walk,
 * the bill arithmetic and the writes.  The range fetches are planned for
 * each chunk's bounds (srv_db_query_replan): PostgreSQL's generic plan for
 * "meter_id BETWEEN $1 AND $2 AND ts >= $3" walked the ts index over the
 * whole month, a cost per chunk that grew with the accounts.  An account
 * whose walk needs readings outside the window (its first month began
 * earlier, a long silence) loads its own.  Each account-month is settled
 * exactly once: the chunk commits or not as a whole, and a chunk that fails
 * is redone one account per transaction (a chunk of one).  Several servers
 * on one PostgreSQL closing the same month at once take turns: each claims
 * a chunk with a lock it does not wait for, leaves the chunks others hold
 * to them, and comes back to those at the end.
 */
#define MB_LOG_MODULE "settle"
#include "srv_settle_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_log.h"
#include "srv_compare.h"
#include "srv_month.h"
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
        if (rc == SRV_HELD)
                srv_jadd_str(o, "reason", b->reason);
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

/* A supply of the chunk, found by its meter. */
struct mref {
        int64_t meter_id;
        struct srv_bill *b;
        size_t k;
};

struct window {
        int64_t lo, hi, t0, t1, t2, wlo;
        int64_t mlo, mhi; /* the chunk's supplies' meters lie in [mlo, mhi] */
        struct mref *bym;
        size_t nbym, capbym;
        const char *month;
        char prev[8], year[8];
};

static int by_meter_cmp(const void *a, const void *b)
{
        const struct mref *x = a, *y = b;

        return (x->meter_id > y->meter_id) - (x->meter_id < y->meter_id);
}

/* The first of the chunk's supplies on meter_id, or NULL. */
static const struct mref *find_meter(const struct window *w, int64_t meter_id)
{
        size_t lo = 0, hi = w->nbym;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;

                if (w->bym[mid].meter_id < meter_id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < w->nbym && w->bym[lo].meter_id == meter_id ? &w->bym[lo] : NULL;
}

static int fetch_accounts(srv_db *db, struct srv_bill *bs, size_t n, struct window *w)
{
        srv_stmt *st = NULL;
        struct srv_bill *b;
        int rc = srv_db_query_replan(
            db, &st,
            /* the meter by its unique key per account: as a join, PostgreSQL
             * would hash the whole meters table for some chunks */
            "SELECT a.id, (SELECT m.id FROM meters m WHERE m.account_id = a.id), a.mode,"
            " a.number, a.credit_limit_fen, a.protected, a.state, a.balance_fen,"
            " coalesce(a.due_days, -1), coalesce(a.grace_days, -1)"
            " FROM accounts a WHERE a.id BETWEEN $1 AND $2",
            "ii", w->lo, w->hi);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                if ((b = find(bs, n, srv_stmt_i64(st, 0))) == NULL)
                        continue;
                b->meter_id = srv_stmt_is_null(st, 1) ? 0 : srv_stmt_i64(st, 1);
                snprintf(b->mode, sizeof(b->mode), "%s", srv_stmt_text(st, 2));
                b->prepaid = strcmp(b->mode, "prepaid") == 0;
                snprintf(b->number, sizeof(b->number), "%s", srv_stmt_text(st, 3));
                b->credit_limit = srv_stmt_i64(st, 4);
                b->protect = (int)srv_stmt_i64(st, 5);
                b->active = strcmp(srv_stmt_text(st, 6), "active") == 0;
                b->balance_before = srv_stmt_i64(st, 7);
                b->due_days = (int)srv_stmt_i64(st, 8);
                b->grace_days = (int)srv_stmt_i64(st, 9);
        }
        srv_stmt_done(st);
        if (rc < 0)
                return rc;
        /* state is tested here, not in SQL: a state filter would tempt the
         * planner onto bills_state, every bill of the month per chunk */
        rc = srv_db_query_replan(db, &st,
                                 "SELECT account_id, state, created_at FROM bills"
                                 " WHERE account_id BETWEEN $1 AND $2 AND month = $3",
                                 "iit", w->lo, w->hi, w->month);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                if ((b = find(bs, n, srv_stmt_i64(st, 0))) != NULL) {
                        b->done = strcmp(srv_stmt_text(st, 1), "settled") == 0;
                        b->has_held = !b->done;
                        b->held_created = srv_stmt_i64(st, 2);
                }
        srv_stmt_done(st);
        return rc;
}

/* The bill before ends where this month starts. */
static void prev_end(struct srv_bill *b, srv_stmt *st)
{
        b->prev = 2;
        if (srv_stmt_is_null(st, 5) || srv_stmt_is_null(st, 8)) {
                /* settled before the bill kept its end: found by register */
                b->start.have = 0;
                b->start.ref.t = srv_stmt_is_null(st, 8) ? 0 : srv_stmt_i64(st, 8);
                b->start.ref.import_wh = srv_stmt_is_null(st, 9) ? -1 : srv_stmt_i64(st, 9);
                b->start.meter_id = srv_stmt_is_null(st, 13) ? 0 : srv_stmt_i64(st, 13);
                return;
        }
        srv_walk_point_row(st, 5, &b->start);
}

/* Last month's bill (its end, its use), a year ago's; the month's
 * continuous charges. */
static int fetch_history(srv_db *db, struct srv_bill *bs, size_t n, const struct window *w)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query_replan(
            db, &st,
            "SELECT account_id, month, energy_wh, total_fen, state, to_supply_id, to_meter_id,"
            " to_seq, to_ts, to_import_wh, to_rates, tier_start, tier_used_wh, meter_id"
            " FROM bills WHERE account_id BETWEEN $1 AND $2 AND month IN ($3, $4)",
            "iitt", w->lo, w->hi, w->prev, w->year);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct srv_bill *b = find(bs, n, srv_stmt_i64(st, 0));
                int settled = strcmp(srv_stmt_text(st, 4), "settled") == 0;

                if (b == NULL)
                        continue;
                if (strcmp(srv_stmt_text(st, 1), w->prev) == 0) {
                        b->prev = settled ? 2 : 1;
                        if (!settled)
                                continue;
                        prev_end(b, st);
                        b->has_prev = 1;
                        b->prev_wh = srv_stmt_i64(st, 2);
                        b->prev_fen = srv_stmt_i64(st, 3);
                } else if (settled) {
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

static int add_supply(struct srv_bill *b, srv_stmt *st)
{
        if (b->nsup == b->capsup) {
                size_t cap = b->capsup ? b->capsup * 2 : 2;
                struct srv_wsupply *p = realloc(b->sup, cap * sizeof(*p));

                if (p == NULL)
                        return MB_ENOMEM;
                b->sup = p;
                b->capsup = cap;
        }
        srv_walk_supply_row(st, 1, &b->sup[b->nsup++]);
        return MB_OK;
}

static int index_supply(struct window *w, struct srv_bill *b, size_t k)
{
        if (w->nbym == w->capbym) {
                size_t cap = w->capbym ? w->capbym * 2 : 256;
                struct mref *p = realloc(w->bym, cap * sizeof(*p));

                if (p == NULL)
                        return MB_ENOMEM;
                w->bym = p;
                w->capbym = cap;
        }
        w->bym[w->nbym++] = (struct mref){b->sup[k].meter_id, b, k};
        if (w->mlo == 0 || b->sup[k].meter_id < w->mlo)
                w->mlo = b->sup[k].meter_id;
        if (b->sup[k].meter_id > w->mhi)
                w->mhi = b->sup[k].meter_id;
        return MB_OK;
}

/* Every supply of the chunk's accounts, indexed by meter. */
static int fetch_supplies(srv_db *db, struct srv_bill *bs, size_t n, struct window *w)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query_replan(db, &st,
                                     "SELECT s.account_id, " SRV_WALK_SUPPLY_COLUMNS
                                     " FROM supplies s JOIN meters m ON m.id = s.meter_id"
                                     " WHERE s.account_id BETWEEN $1 AND $2"
                                     " ORDER BY s.account_id, s.id",
                                     "ii", w->lo, w->hi);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct srv_bill *b = find(bs, n, srv_stmt_i64(st, 0));

                if (b && (rc = add_supply(b, st)) == MB_OK)
                        rc = index_supply(w, b, b->nsup - 1);
        }
        srv_stmt_done(st);
        if (w->nbym > 1)
                qsort(w->bym, w->nbym, sizeof(*w->bym), by_meter_cmp);
        return rc;
}

/* The readings of the chunk's meters in the window, to the supplies they
 * belong to.  They come in their key order (meter_id, seq). */
static int fetch_readings(srv_db *db, const struct window *w)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query_replan(db, &st,
                                     "SELECT meter_id, " SRV_WALK_READING_COLUMNS " FROM readings"
                                     " WHERE meter_id BETWEEN $1 AND $2 AND ts >= $3 AND ts < $4"
                                     " AND import_wh IS NOT NULL ORDER BY meter_id, seq",
                                     "iiii", w->mlo, w->mhi, w->wlo, w->t2);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                int64_t meter = srv_stmt_i64(st, 0);
                const struct mref *m = find_meter(w, meter);
                struct srv_wreading r;

                if (m == NULL)
                        continue;
                srv_walk_reading_row(st, 1, &r);
                for (; rc >= 0 && m < w->bym + w->nbym && m->meter_id == meter; m++) {
                        struct srv_wsupply *s = &m->b->sup[m->k];

                        if (r.seq > s->from_seq && r.seq <= s->to_seq)
                                rc = srv_wsupply_add(s, &r);
                }
        }
        srv_stmt_done(st);
        return rc;
}

/* Operators' fixes onto the readings they name; agents' register events
 * (a flag on the bill). */
static int fetch_fixes(srv_db *db, const struct window *w)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query_replan(db, &st,
                                     "SELECT meter_id, seq, kind, shift_wh FROM register_fixes"
                                     " WHERE meter_id BETWEEN $1 AND $2",
                                     "ii", w->mlo, w->mhi);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                int64_t meter = srv_stmt_i64(st, 0), seq = srv_stmt_i64(st, 1);

                for (const struct mref *m = find_meter(w, meter);
                     m && m < w->bym + w->nbym && m->meter_id == meter; m++) {
                        struct srv_wsupply *s = &m->b->sup[m->k];

                        for (size_t i = 0; i < s->n; i++)
                                if (s->r[i].seq == seq)
                                        srv_walk_fix(&s->r[i], srv_stmt_text(st, 2),
                                                     srv_stmt_i64(st, 3));
                }
        }
        srv_stmt_done(st);
        if (rc < 0)
                return rc;
        rc = srv_db_query_replan(db, &st,
                                 "SELECT meter_id, ts FROM events WHERE meter_id BETWEEN $1 AND $2"
                                 " AND ts >= $3 AND ts < $4"
                                 " AND type IN ('register_backwards', 'register_reset')",
                                 "iiii", w->mlo, w->mhi, w->t0, w->t1);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                int64_t meter = srv_stmt_i64(st, 0);

                for (const struct mref *m = find_meter(w, meter);
                     m && m < w->bym + w->nbym && m->meter_id == meter; m++)
                        m->b->backwards_event = 1;
        }
        srv_stmt_done(st);
        return rc;
}

struct acc_parts {
        int64_t account_id;
        struct srv_plan_part p;
};

/* Each account's tariff plan, via the cache: the parts first, then the
 * lookups (which may query) once the parts' rows are closed. */
static int fetch_tariffs(struct srv *s, srv_db *db, struct srv_bill *bs, size_t n,
                         const struct window *w)
{
        struct acc_parts *ap = NULL;
        size_t np = 0, cap = 0;
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st, SRV_PLAN_PARTS_SQL, "ii", w->lo, w->hi);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                if (np == cap) {
                        struct acc_parts *p = realloc(ap, (cap = cap ? cap * 2 : 64) * sizeof(*p));

                        if (p == NULL) {
                                rc = MB_ENOMEM;
                                break;
                        }
                        ap = p;
                }
                ap[np].account_id = srv_stmt_i64(st, 0);
                if (srv_plan_part_row(st, &ap[np].p) == MB_OK)
                        np++;
        }
        srv_stmt_done(st);
        for (size_t i = 0, j; rc >= 0 && i < np; i = j) {
                struct srv_plan_part parts[64];
                struct srv_bill *b = find(bs, n, ap[i].account_id);
                size_t k = 0;

                for (j = i; j < np && ap[j].account_id == ap[i].account_id; j++)
                        if (k < 64)
                                parts[k++] = ap[j].p;
                if (b == NULL)
                        continue;
                rc = srv_plan_make(s, db, parts, k, &b->plan);
                b->has_plan = rc == MB_OK;
                if (rc == MB_EINVAL || rc == MB_ENOENT) /* do not splice: held no_tariff */
                        rc = MB_OK;
        }
        free(ap);
        return rc;
}

/* Does the window hold every reading b's walk needs? */
static int covered(const struct srv_bill *b, const struct window *w)
{
        const struct srv_wsupply *s0 = b->nsup ? &b->sup[0] : NULL;

        if (b->prev == 2)
                return b->start.have && b->start.ref.t >= w->wlo;
        if (s0 == NULL)
                return 1;
        if (s0->has_open)
                return s0->open.t >= w->wlo || b->mon > mb_walk_month_of(s0->open.t);
        return s0->n > 0 && s0->r[0].seq == s0->from_seq + 1;
}

/* A bill settled before bills kept their end: where it ended, by its
 * meter's reading at that time and register. */
static int legacy_start(srv_db *db, struct srv_bill *b)
{
        int64_t seq = 0;
        int rc;

        for (size_t k = 0; k < b->nsup; k++) {
                if (b->sup[k].meter_id != b->start.meter_id)
                        continue;
                rc = srv_db_query_i64(db, &seq,
                                      "SELECT min(seq) FROM readings WHERE meter_id = $1"
                                      " AND ts = $2 AND import_wh = $3",
                                      "iii", b->start.meter_id, b->start.ref.t,
                                      b->start.ref.import_wh);
                if (rc < 0)
                        return rc;
                if (rc > 0 && seq > 0) {
                        b->start.have = 1;
                        b->start.supply_id = b->sup[k].id;
                        b->start.seq = seq;
                        memset(&b->start.pos, 0, sizeof(b->start.pos));
                        return MB_OK;
                }
        }
        b->prev = 1; /* its end is not found: as if not settled */
        return MB_OK;
}

/* Load b's own supplies and readings when the window does not hold them. */
static int own_inputs(srv_db *db, struct srv_bill *b, const struct window *w)
{
        int rc = MB_OK;

        if (b->prev == 2 && !b->start.have)
                rc = legacy_start(db, b);
        if (rc < 0 || covered(b, w))
                return rc;
        srv_wsupply_free(b->sup, b->nsup);
        free(b->sup);
        b->sup = NULL;
        b->nsup = b->capsup = 0;
        rc = srv_walk_load(db, b->account_id, b->prev == 2 ? &b->start : NULL, w->t2, &b->sup,
                           &b->nsup);
        b->capsup = b->nsup;
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
        w->wlo = w->t0 - SRV_SETTLE_WINDOW_BEFORE;
        return MB_OK;
}

/* chunk(): another server is closing these accounts right now */
#define CHUNK_TAKEN 1

static int fetch_all(struct srv *s, srv_db *db, struct srv_bill *bs, size_t n, struct window *w)
{
        int rc = fetch_accounts(db, bs, n, w);

        if (rc >= 0)
                rc = fetch_history(db, bs, n, w);
        if (rc >= 0)
                rc = fetch_supplies(db, bs, n, w);
        if (rc >= 0 && w->nbym)
                rc = fetch_readings(db, w);
        if (rc >= 0 && w->nbym)
                rc = fetch_fixes(db, w);
        if (rc >= 0)
                rc = fetch_tariffs(s, db, bs, n, w);
        for (size_t i = 0; rc >= 0 && i < n; i++)
                rc = own_inputs(db, &bs[i], w);
        return rc < 0 ? rc : MB_OK;
}

/* PostgreSQL: the chunk's joins go row by row through the key.  They join
 * a chunk's few hundred rows to their keys (supplies to meters, balances to
 * accounts), and the planner, pricing each index probe as a read from disk,
 * hashed the whole meters or accounts table instead for chunks of a close
 * of 20,000 to 200,000 accounts: 8 ms a chunk at 50,000, against 0.5 ms,
 * and a cost per chunk that grows with the table.  Until the commit. */
static int keyed_joins(srv_db *db)
{
        if (strcmp(srv_db_backend(db), "postgresql") != 0)
                return MB_OK;
        return srv_db_exec_later(db,
                                 "SELECT set_config('enable_hashjoin', 'off', true),"
                                 " set_config('enable_mergejoin', 'off', true)",
                                 "");
}

/* 1 when every account of the chunk already has the month's settled bill,
 * 0 when not, or an error.  The second pass comes back to the chunks
 * another server held; once their accounts' locks are ours, that server
 * has committed or rolled back, and a chunk it settled needs only counting,
 * not its inputs read again (a close shared by two servers read every
 * chunk twice).  bs and the rows are in account order. */
static int all_settled(srv_db *db, const struct srv_bill *bs, size_t n, const struct window *w)
{
        srv_stmt *st = NULL;
        size_t i = 0;
        /* state is tested in C: see fetch_accounts */
        int rc = srv_db_query_replan(db, &st,
                                     "SELECT account_id, state FROM bills"
                                     " WHERE account_id BETWEEN $1 AND $2 AND month = $3"
                                     " ORDER BY account_id",
                                     "iit", w->lo, w->hi, w->month);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                if (i < n && srv_stmt_i64(st, 0) == bs[i].account_id &&
                    strcmp(srv_stmt_text(st, 1), "settled") == 0)
                        i++;
        srv_stmt_done(st);
        return rc < 0 ? rc : i == n;
}

/* One chunk in one transaction; outcomes counted only once it commits.
 * With claim, a chunk another server holds is left to it: CHUNK_TAKEN. */
static int chunk(struct srv *s, srv_db *db, struct srv_bill *bs, size_t n, const char *by, int *out,
                 int64_t *ids, srv_ledger_batch *lb, int claim)
{
        struct window w = {0};
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
        for (size_t i = 0; rc == MB_OK && i < n; i++) {
                ids[i] = bs[i].account_id;
                bs[i].mon = mb_walk_month_of(w.t0);
                bs[i].t0 = w.t0;
                bs[i].t1 = w.t1;
                bs[i].t2 = w.t2;
        }
        if (rc == MB_OK)
                rc = srv_db_lock_many(db, SRV_LOCK_ACCOUNT, ids, n);
        if (rc == MB_OK)
                rc = keyed_joins(db);
        if (rc == MB_OK && !claim && n > 1) {
                int all = all_settled(db, bs, n, &w);

                for (size_t i = 0; all == 1 && i < n; i++)
                        out[i] = SRV_ALREADY;
                if (all == 1) { /* nothing written */
                        rc = srv_db_rollback(db);
                        return rc < 0 ? rc : MB_OK;
                }
                rc = all < 0 ? all : MB_OK;
        }
        if (rc == MB_OK)
                rc = fetch_all(s, db, bs, n, &w);
        free(w.bym);
        for (size_t i = 0; rc >= 0 && i < n; i++) {
                out[i] = bs[i].mode[0] ? srv_settle_in_tx(s, db, &bs[i], by, lb) : SRV_SKIPPED;
                rc = out[i] < 0 ? out[i] : MB_OK;
        }
        if (rc >= 0)
                rc = srv_settle_write(db, bs, n, lb);
        srv_ledger_batch_reset(lb);
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
        srv_ledger_batch *lb;
};

/* Settle ids[0..k-1] as one chunk: CHUNK_TAKEN (nothing done) when claim
 * and another server holds it, else its outcome in out (MB_OK) or an
 * error (nothing settled). */
static int settle_range(struct srv *s, srv_db *db, const int64_t *ids, size_t k, const char *month,
                        const char *by, struct chunk_bufs *b, int claim)
{
        int rc = MB_OK;

        for (size_t j = 0; j < k; j++) {
                memset(&b->bs[j], 0, sizeof(b->bs[j]));
                b->bs[j].account_id = ids[j];
                b->bs[j].ledger_ix = -1;
                snprintf(b->bs[j].month, sizeof(b->bs[j].month), "%s", month);
                if ((b->bs[j].acc = mb_tariff_acc_new()) == NULL)
                        rc = MB_ENOMEM;
        }
        if (rc == MB_OK)
                rc = chunk(s, db, b->bs, k, by, b->out, b->lockids, b->lb, claim);
        return rc;
}

static void release(struct chunk_bufs *b, size_t k)
{
        for (size_t j = 0; j < k; j++)
                srv_settle_bill_free(&b->bs[j]);
}

/* A chunk; when it fails, each of its accounts in a transaction of its own,
 * so that one account's failure leaves the others settled.  Not when the
 * database connection went (a failover, issue 21): one by one they would
 * only fail too; they count as failed and the close job runs them again. */
static int settle_or_split(struct srv *s, srv_db *db, const int64_t *ids, size_t k,
                           const char *month, const char *by, struct srv_settle_summary *sum,
                           struct chunk_bufs *b, int claim)
{
        uint64_t losses = srv_db_losses(db);
        int rc = settle_range(s, db, ids, k, month, by, b, claim);

        for (size_t j = 0; j < k && rc == MB_OK; j++)
                srv_settle_count(sum, b->out[j], &b->bs[j]);
        release(b, k);
        if (rc < 0 && srv_db_losses(db) != losses)
                sum->failed += (int)k;
        else if (rc < 0 && k > 1)
                for (size_t j = 0; j < k; j++)
                        srv_settle_one(s, db, ids[j], month, by, sum);
        else if (rc < 0 && sum)
                srv_settle_count(sum, rc, &b->bs[0]);
        return rc == CHUNK_TAKEN ? rc : MB_OK;
}

int srv_settle_one(struct srv *s, srv_db *db, int64_t account_id, const char *month, const char *by,
                   struct srv_settle_summary *sum)
{
        struct srv_bill bill;
        int out = 0;
        int64_t lockid;
        struct chunk_bufs b = {&bill, &out, &lockid, srv_ledger_batch_new()};
        int rc = b.lb ? settle_range(s, db, &account_id, 1, month, by, &b, 0) : MB_ENOMEM;

        if (rc == MB_OK)
                rc = out;
        if (sum)
                srv_settle_count(sum, rc, &bill);
        if (b.lb)
                release(&b, 1);
        srv_ledger_batch_free(b.lb);
        return rc;
}

/* PostgreSQL: a database's first close finds bills analyzed while empty
 * (or never), and plans cached meanwhile (ingest's lookup of an account's
 * bill) scan the whole table for each lookup as the close fills it: 9 ms a
 * lookup at 100,000 bills, a core burnt beside the close.  Analyzed once it
 * holds a slice's bills, those plans are made again with the index.
 * Autovacuum would, within a minute. */
static void analyze_if_empty(srv_db *db)
{
        int64_t n = 1;

        if (strcmp(srv_db_backend(db), "postgresql") == 0 &&
            srv_db_query_i64(db, &n,
                             "SELECT CAST(reltuples AS bigint) FROM pg_class"
                             " WHERE oid = CAST('bills' AS regclass)",
                             "") > 0 &&
            n <= 0 && srv_db_exec_script(db, "ANALYZE bills") < 0)
                mb_warn("ANALYZE bills: %s", srv_db_errmsg(db));
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
                               calloc(per, sizeof(*b.lockids)), srv_ledger_batch_new()};
        size_t *later = calloc(n / per + 1, sizeof(*later)), nlater = 0;

        if (b.bs == NULL || b.out == NULL || b.lockids == NULL || b.lb == NULL || later == NULL) {
                for (size_t i = 0; i < n; i++)
                        srv_settle_one(s, db, ids[i], month, by, sum);
        } else {
                uint64_t losses = srv_db_losses(db);
                size_t i, c;

                /* after a lost connection the rest counts as failed (above) */
                for (i = 0; i < n && srv_db_losses(db) == losses; i += per)
                        if (settle_or_split(s, db, ids + i, n - i < per ? n - i : per, month, by,
                                            sum, &b, 1) == CHUNK_TAKEN)
                                later[nlater++] = i;
                sum->failed += i < n ? (int)(n - i) : 0;
                if (sum->settled)
                        analyze_if_empty(db);
                for (c = 0; c < nlater && srv_db_losses(db) == losses; c++) {
                        i = later[c];
                        settle_or_split(s, db, ids + i, n - i < per ? n - i : per, month, by, sum,
                                        &b, 0);
                }
                for (; c < nlater; c++)
                        sum->failed += (int)(n - later[c] < per ? n - later[c] : per);
        }
        free(b.bs);
        free(b.out);
        free(b.lockids);
        srv_ledger_batch_free(b.lb);
        free(later);
}
