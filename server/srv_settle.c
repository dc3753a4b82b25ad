/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bill of one account-month: where it starts (the last bill's end, or
 * the account's opening), the walk of its supplies and readings to where it
 * ends, why it is held if it cannot be billed, and the bill posted and
 * saved (docs/tariffs.md, "The seams of a month").
 */
#define MB_LOG_MODULE "settle"
#include "srv_settle_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb_log.h"
#include "mb_tariff.h"
#include "mb_time.h"
#include "srv_buf.h"
#include "srv_commands.h"
#include "srv_compare.h"
#include "srv_dunning.h"
#include "srv_ledger.h"
#include "srv_metrics.h"
#include "srv_month.h"
#include "srv_webhook.h"

#define SETTLED SRV_SETTLED
#define HELD SRV_HELD
#define ALREADY SRV_ALREADY
#define SKIPPED SRV_SKIPPED
#define bill srv_bill
#define READY 100 /* a step of the bill went well: on to the next */

void srv_settle_bill_free(struct srv_bill *b)
{
        srv_wsupply_free(b->sup, b->nsup);
        free(b->sup);
        b->sup = NULL;
        b->nsup = b->capsup = 0;
        mb_tariff_acc_free(b->acc);
        b->acc = NULL;
        free(b->pieces);
        b->pieces = NULL;
}

/* Append v in decimal to out. */
static void put_i64(struct srv_buf *out, const char *name, int64_t v)
{
        char d[24], *p = d + sizeof(d);
        uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

        do
                *--p = (char)('0' + u % 10);
        while ((u /= 10) != 0);
        if (v < 0)
                *--p = '-';
        srv_buf_puts(out, name);
        srv_buf_add(out, p, (size_t)(d + sizeof(d) - p));
}

/* The bill's lines as the JSON array the bills API returns, written
 * straight from the integers: a json-c tree of eight members per line cost
 * an eighth of a month close, and printf of eight numbers a line 3%.
 * Caller frees; NULL when out of memory. */
static char *lines_text(const mb_tariff_acc *acc)
{
        struct srv_buf out = {0};
        mb_tariff_line l;

        srv_buf_puts(&out, "[");
        for (size_t i = 0; mb_tariff_acc_line(acc, i, &l) == MB_OK; i++) {
                put_i64(&out, i ? ",{\"kind\":" : "{\"kind\":", l.kind);
                put_i64(&out, ",\"version\":", l.version);
                put_i64(&out, ",\"tier\":", l.tier);
                put_i64(&out, ",\"rate\":", l.rate);
                put_i64(&out, ",\"qty\":", l.qty);
                put_i64(&out, ",\"price\":", l.price);
                put_i64(&out, ",\"exact\":", l.exact);
                put_i64(&out, ",\"fen\":", l.fen);
                if (l.kind == MB_LINE_FIXED) /* qty days of `of` (prorated) */
                        put_i64(&out, ",\"of\":", l.of);
                srv_buf_puts(&out, "}");
        }
        srv_buf_puts(&out, "]");
        return srv_buf_take(&out);
}

/* The plan of the month, as JSON text (malloc), or NULL. */
static char *plan_text(const struct bill *b)
{
        json_object *a;
        char *t;

        if (!b->has_plan || b->plan.n < 2)
                return NULL; /* one tariff: the tariff column says it */
        a = srv_plan_json(&b->plan, b->t0, b->t1);
        t = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
        json_object_put(a);
        return t;
}

/* The bill row's columns, in the order bill_row writes them. */
#define BILL_COLUMNS                                                                               \
        "account_id, month, meter_id, state, mode, tariff_id, tariff_hash, from_ts, to_ts,"        \
        " from_import_wh, to_import_wh, energy_wh, total_fen, lines, flags, prev_wh, prev_fen,"    \
        " last_year_wh, last_year_fen, charged_fen, posted_fen, ledger_id, created_at,"            \
        " settled_at, reason, to_supply_id, to_meter_id, to_seq, to_rates, tier_start,"            \
        " tier_used_wh, pieces, plan, due_at, grace_until, dunning"
/* meter_id NULL when there is none (a held bill of an account moved out) */
#define BILL_TYPES "itIttttIIIIIIttIIIIIIIiItIIItIIttIIt"

/* b's row into the chunk's bulk insert of bills. */
static int bill_row(srv_bulk *bk, const struct bill *b, int64_t now)
{
        int settled = b->save == SAVE_SETTLED;
        /* most bills have no flags: no json-c tree for them */
        json_object *flags = b->flags ? srv_compare_flags_json(b->flags) : NULL;
        const char *ftext =
            flags ? json_object_to_json_string_ext(flags, JSON_C_TO_STRING_PLAIN) : "[]";
        char *lines = settled ? lines_text(b->acc) : NULL, *plan = plan_text(b), rates[128];
        const struct srv_wpoint *e = &b->end;
        int ended = settled && e->have, rc;

        if (settled && lines == NULL) {
                json_object_put(flags);
                return MB_ENOMEM;
        }
        if (e->ref.has_rates)
                srv_rates_text(&e->ref, rates, sizeof(rates));
#define NUL_UNLESS(c, v) ((c) ? (v) : SRV_DB_NULL_I64)
        rc = srv_db_bulk_row(
            bk, b->account_id, b->month, b->meter_id ? b->meter_id : SRV_DB_NULL_I64,
            settled ? "settled" : "held", b->mode, b->has_plan ? b->plan.id : NULL,
            b->has_plan ? b->plan.hash : NULL, NUL_UNLESS(b->start.have, b->start.ref.t),
            NUL_UNLESS(ended, e->ref.t), NUL_UNLESS(b->start.have, b->start.ref.import_wh),
            NUL_UNLESS(ended, e->ref.import_wh), NUL_UNLESS(settled, b->energy),
            NUL_UNLESS(settled, b->total), lines, ftext, NUL_UNLESS(b->has_prev, b->prev_wh),
            NUL_UNLESS(b->has_prev, b->prev_fen), NUL_UNLESS(b->has_year, b->year_wh),
            NUL_UNLESS(b->has_year, b->year_fen), NUL_UNLESS(settled, b->charged),
            NUL_UNLESS(settled, b->posted), NUL_UNLESS(settled, b->ledger_id),
            b->has_held ? b->held_created : now, NUL_UNLESS(settled, now),
            settled ? NULL : b->reason, NUL_UNLESS(ended, e->supply_id),
            NUL_UNLESS(ended, e->meter_id), NUL_UNLESS(ended, e->seq),
            ended && e->ref.has_rates ? rates : NULL, NUL_UNLESS(ended, e->pos.period_start),
            NUL_UNLESS(ended, e->pos.used_wh), settled ? b->pieces : NULL, plan,
            NUL_UNLESS(settled && b->dunning, b->due_at),
            NUL_UNLESS(settled && b->dunning, b->grace_until), settled ? b->dunning : NULL);
#undef NUL_UNLESS
        json_object_put(flags);
        free(lines);
        free(plan);
        return rc < 0 ? rc : MB_OK;
}

/* The bill is to be saved at the chunk's end; an anomaly queues its
 * webhooks now, in this transaction. */
static int save_bill(srv_db *db, struct bill *b, int settled)
{
        json_object *flags;
        int rc;

        b->save = settled ? SAVE_SETTLED : SAVE_HELD;
        if (!b->flags)
                return MB_OK;
        flags = srv_compare_flags_json(b->flags);
        rc = srv_webhook_on_bill(db, b->account_id, b->month, settled,
                                 json_object_to_json_string_ext(flags, JSON_C_TO_STRING_PLAIN),
                                 b->energy, b->total);
        json_object_put(flags);
        return rc < 0 ? rc : MB_OK;
}

int srv_settle_write(srv_db *db, struct bill *bs, size_t n, srv_ledger_batch *lb)
{
        int64_t now = mb_realtime_s(), rc = srv_ledger_batch_write(db, lb);
        srv_bulk *bk = NULL;

        /* a held row gives way to the bill (which keeps its created_at):
         * the bills then go in by bulk insert, which cannot update */
        for (size_t i = 0; rc >= 0 && i < n; i++)
                if (bs[i].save && bs[i].has_held)
                        rc = srv_db_exec_later(db,
                                               "DELETE FROM bills WHERE account_id = $1 AND"
                                               " month = $2 AND state = 'held'",
                                               "it", bs[i].account_id, bs[i].month);
        for (size_t i = 0; rc >= 0 && i < n; i++) {
                if (!bs[i].save)
                        continue;
                if (bs[i].ledger_ix >= 0)
                        bs[i].ledger_id = srv_ledger_batch_id(lb, bs[i].ledger_ix);
                if (bk == NULL)
                        rc = srv_db_bulk_begin(db, &bk, "bills", BILL_COLUMNS, BILL_TYPES);
                if (rc >= 0)
                        rc = bill_row(bk, &bs[i], now);
        }
        if (bk)
                rc = rc < 0 ? (srv_db_bulk_end(bk, 1), rc) : srv_db_bulk_end(bk, 0);
        return rc < 0 ? (int)rc : MB_OK;
}

/* Post the bill: the deduction (monthly) or the difference between the bill
 * and what continuous deduction already took (prepaid), into the chunk's
 * ledger batch. */
static int post(struct bill *b, const char *by, srv_ledger_batch *lb)
{
        struct srv_ledger_entry e = {.month = b->month, .by = by};
        char ref[32], reason[160];

        b->charged = b->prepaid ? -b->charge_sum : 0;
        b->posted = b->prepaid ? b->charged - b->total : -b->total;
        snprintf(ref, sizeof(ref), "bill:%s", b->month);
        snprintf(reason, sizeof(reason), "bill %s: %lld Wh, %lld fen%s", b->month,
                 (long long)b->energy, (long long)b->total,
                 b->prepaid ? " less continuous deduction" : "");
        e.kind = b->prepaid ? SRV_LEDGER_SETTLE : SRV_LEDGER_BILL;
        e.amount_fen = b->posted;
        e.reference = ref;
        e.reason = reason;
        /* the chunk read the balance under the account's lock */
        b->ledger_ix =
            srv_ledger_batch_add(lb, b->account_id, b->balance_before, &e, &b->balance_after);
        return b->ledger_ix < 0 ? b->ledger_ix : MB_OK;
}

/* A monthly bill: its due date and grace, and whether it is owed.  The
 * close cuts nothing: dunning follows the terms (srv_dunning.c). */
static void terms(struct srv *s, struct bill *b)
{
        if (b->prepaid)
                return;
        srv_dunning_terms(s->cfg, mb_realtime_s(), b->due_days, b->grace_days, &b->due_at,
                          &b->grace_until);
        b->dunning = b->balance_after < 0 ? "open" : "paid";
}

/* A prepaid account: queue a trip when the balance is now below the credit
 * limit (a top-up above the reconnect threshold cancels it before it is
 * delivered: srv_dunning_on_money). */
static int maybe_trip(struct srv *s, srv_db *db, const struct bill *b)
{
        int64_t pending = 0;
        char reason[200];
        int rc;

        if (!b->prepaid || !b->meter_id || b->protect || !b->active ||
            b->balance_after >= b->credit_limit)
                return MB_OK;
        rc = srv_db_query_i64(db, &pending,
                              "SELECT count(*) FROM commands WHERE meter_id = $1 AND op = 'trip'"
                              " AND state IN ('pending', 'delivered') AND expires_at > $2",
                              "ii", b->meter_id, mb_realtime_s());
        if (rc < 0 || pending > 0)
                return rc < 0 ? rc : MB_OK;
        snprintf(reason, sizeof(reason),
                 "balance %lld fen below credit limit %lld fen after the %s bill",
                 (long long)b->balance_after, (long long)b->credit_limit, b->month);
        return srv_command_queue(db, b->meter_id, "trip", reason, "settlement",
                                 s->cfg->command_ttl_s, NULL);
}

/* ---- the walk of the month ------------------------------------------ */

/* One meter's part of the month, for the bill. */
struct piece {
        const struct srv_wsupply *s;
        mb_tariff_reading from, to;
        int64_t wh;
};

struct walk_ctx {
        struct bill *b;
        struct piece p[8];
        size_t np;
};

static mb_tariff_acc *close_acc(void *ctx, int month, const struct srv_wpoint *at)
{
        struct walk_ctx *w = ctx;

        /* a later month: this one ends at *at; an earlier one (a reading
         * after the last bill's end, stamped before it) is this month's */
        return month > w->b->mon ? NULL : w->b->acc;
}

static void close_note(void *ctx, const struct srv_walk_note *n)
{
        struct walk_ctx *w = ctx;
        struct bill *b = w->b;
        struct piece *p = w->np ? &w->p[w->np - 1] : NULL;

        if (n->month > b->mon)
                return;
        if ((n->events & MB_WALK_BACKWARDS) && !b->bw_seq) {
                b->bw_meter = n->s->meter_id;
                b->bw_seq = n->seq;
                snprintf(b->reason, sizeof(b->reason),
                         "register_backwards: meter %s seq %lld read %lld Wh after %lld Wh",
                         n->s->address, (long long)n->seq, (long long)n->to->import_wh,
                         (long long)n->from->import_wh);
        }
        b->flags |= (n->events & MB_WALK_BACKWARDS ? SRV_FLAG_REGISTER_BACKWARDS : 0) |
                    (n->events & MB_WALK_NO_TARIFF ? SRV_FLAG_NO_TARIFF : 0) |
                    (n->events & MB_WALK_ROLLOVER ? SRV_FLAG_ROLLOVER : 0) |
                    (n->events & MB_WALK_FIXED ? SRV_FLAG_FIXED : 0) |
                    (n->events & MB_WALK_FROZEN ? SRV_FLAG_FROZEN_FALLBACK : 0);
        b->energy += n->wh;
        if (p == NULL || p->s != n->s) {
                if (w->np == sizeof(w->p) / sizeof(w->p[0]))
                        return;
                p = &w->p[w->np++];
                p->s = n->s;
                p->from = *n->from;
                p->wh = 0;
        }
        p->to = *n->to;
        p->wh += n->wh;
}

/* A meter address as a JSON string (addresses are plain; anything else is
 * escaped by json-c). */
static void put_str(struct srv_buf *out, const char *name, const char *v)
{
        srv_buf_puts(out, name);
        if (strspn(v, "0123456789ABCDEFabcdef-_.:") == strlen(v)) {
                srv_buf_puts(out, "\"");
                srv_buf_puts(out, v);
                srv_buf_puts(out, "\"");
        } else {
                json_object *j = json_object_new_string(v);

                srv_buf_puts(out, json_object_to_json_string(j));
                json_object_put(j);
        }
}

/* The pieces as JSON text: [{"meter", "from_ts", "from_wh", "to_ts", "to_wh",
 * "energy_wh", "multiplier"}] (registers from_wh, to_wh; energy billed, the
 * register difference times the multiplier), written straight from the
 * integers (lines_text). */
static char *pieces_text(const struct walk_ctx *w)
{
        struct srv_buf out = {0};

        srv_buf_puts(&out, "[");
        for (size_t i = 0; i < w->np; i++) {
                put_str(&out, i ? ",{\"meter\":" : "{\"meter\":", w->p[i].s->address);
                put_i64(&out, ",\"from_ts\":", w->p[i].from.t);
                put_i64(&out, ",\"from_wh\":", w->p[i].from.import_wh);
                put_i64(&out, ",\"to_ts\":", w->p[i].to.t);
                put_i64(&out, ",\"to_wh\":", w->p[i].to.import_wh);
                put_i64(&out, ",\"energy_wh\":", w->p[i].wh);
                put_i64(&out,
                        ",\"multiplier\":", w->p[i].s->multiplier ? w->p[i].s->multiplier : 1);
                srv_buf_puts(&out, "}");
        }
        srv_buf_puts(&out, "]");
        return srv_buf_take(&out);
}

static void hold(struct bill *b, unsigned flag, const char *why)
{
        b->flags |= flag;
        if (!b->reason[0])
                snprintf(b->reason, sizeof(b->reason), "%s", why);
}

/* Where the month starts: READY, HELD or SKIPPED (b->reason says why). */
static int find_start(struct bill *b)
{
        struct srv_wpoint open;
        int first;

        if (b->prev == 2) /* the last bill's end (prefetched) */
                return srv_walk_finished(b->sup, b->nsup, &b->start) ? SKIPPED : READY;
        if (!srv_walk_begin(b->sup, b->nsup, &open)) {
                /* bound, no reading yet: expected once it was bound before the end */
                if (b->nsup == 0 || b->sup[0].opened_at >= b->t1)
                        return SKIPPED;
                hold(b, SRV_FLAG_MISSING_BOUNDARY, "missing_boundary: no reading of the meter yet");
                return HELD;
        }
        first = mb_walk_month_of(open.ref.t);
        if (b->mon < first)
                return SKIPPED; /* before the account's first reading */
        if (b->mon > first) {
                snprintf(b->reason, sizeof(b->reason),
                         "previous_month: %04d-%02d is not settled yet", first / 100, first % 100);
                b->flags |= SRV_FLAG_PREVIOUS_HELD;
                return HELD;
        }
        memset(&b->start, 0, sizeof(b->start)); /* from the opening */
        b->from_opening = 1;
        return READY;
}

/* Walk the month: READY when it can be billed, else HELD. */
static int walk_month(struct bill *b)
{
        struct walk_ctx w = {.b = b};
        struct srv_walk_hooks h = {close_acc, close_note, &w};
        char err[256];
        int rc;

        for (size_t i = 0; i < b->nsup; i++)
                srv_walk_frozen(&b->sup[i], b->t1); /* the frozen register ends the month */
        b->end = b->start;
        rc = srv_walk_run(b->has_plan ? b->plan.t : NULL, b->sup, b->nsup, &b->end, &h, err,
                          sizeof(err));
        if (rc < 0) {
                mb_warn("account %lld %s: held: %s", (long long)b->account_id, b->month, err);
                snprintf(b->reason, sizeof(b->reason), "unbillable: %s", err);
                b->flags |= SRV_FLAG_UNBILLABLE;
                return HELD;
        }
        if (rc == SRV_WALK_END && srv_walk_finished(b->sup, b->nsup, &b->end))
                b->flags |= SRV_FLAG_FINAL;
        else if (rc == SRV_WALK_END && (!b->end.have || b->end.ref.t < b->t1))
                hold(b, SRV_FLAG_MISSING_BOUNDARY,
                     "missing_boundary: no reading at or after the month's end yet");
        b->nparts = (int)w.np;
        b->part = w.np ? w.p[0].s : NULL;
        for (size_t i = 1; i < w.np; i++) /* another meter, or a CT or PT replaced */
                b->flags |= w.p[i].s->meter_id != w.p[0].s->meter_id ? SRV_FLAG_EXCHANGE
                                                                     : SRV_FLAG_MULTIPLIER;
        if (b->bw_seq)
                hold(b, 0, "register_backwards");
        if (b->flags & SRV_FLAG_NO_TARIFF)
                hold(b, 0, "no_tariff: part of the month has no tariff in force");
        b->pieces = pieces_text(&w);
        return b->reason[0] ? HELD : READY;
}

/* The month's start point for the bill (the opening when it began there). */
static void opening_as_start(struct bill *b)
{
        if (!b->start.have && srv_walk_begin(b->sup, b->nsup, &b->start))
                b->start.have = 1;
}

static int compute(struct srv *s, struct bill *b)
{
        struct srv_compare_in in = {0};
        int rc = mb_tariff_acc_total(b->acc, &b->total);

        if (rc < 0) {
                snprintf(b->reason, sizeof(b->reason), "unbillable: the total overflows");
                b->flags |= SRV_FLAG_UNBILLABLE;
                return HELD;
        }
        in.wh = b->energy;
        in.has_prev = b->has_prev;
        in.prev_wh = b->prev_wh;
        in.has_last_year = b->has_year;
        in.last_year_wh = b->year_wh;
        in.backwards = b->backwards_event;
        b->flags |= srv_compare_flags(&in, s->cfg->jump_milli);
        return READY;
}

static int held(srv_db *db, struct bill *b)
{
        int rc = save_bill(db, b, 0);

        return rc < 0 ? rc : HELD;
}

int srv_settle_in_tx(struct srv *s, srv_db *db, struct bill *b, const char *by,
                     srv_ledger_batch *lb)
{
        int rc;

        if (b->done)
                return ALREADY;
        rc = find_start(b);
        if (rc == READY)
                rc = walk_month(b);
        if (rc == READY && !b->has_plan) {
                hold(b, SRV_FLAG_NO_TARIFF, "no_tariff: no tariff is assigned");
                rc = HELD;
        }
        if (rc == READY && (rc = srv_settle_monthly(b)) == MB_OK)
                rc = READY;
        if (rc == READY)
                rc = compute(s, b);
        if (rc == SKIPPED) {
                /* a held row from before the account's first reading goes */
                if (b->has_held)
                        rc = srv_db_exec_args(db,
                                              "DELETE FROM bills WHERE account_id = $1 AND"
                                              " month = $2 AND state = 'held'",
                                              "it", b->account_id, b->month);
                return rc < 0 ? rc : SKIPPED;
        }
        if (rc == HELD)
                return held(db, b);
        opening_as_start(b);
        if ((rc = post(b, by, lb)) >= 0)
                terms(s, b);
        if (rc < 0 || (rc = save_bill(db, b, 1)) < 0 || (rc = maybe_trip(s, db, b)) < 0)
                return rc;
        return SETTLED;
}

/* Ids from a one-column query, into a growing array. */
static int collect(srv_db *db, const char *sql, const char *types, int64_t arg, int64_t **ids,
                   char (**months)[8], size_t *n)
{
        srv_stmt *st = NULL;
        size_t cap = 0;
        int rc = srv_db_query(db, &st, sql, types, arg);

        *ids = NULL;
        *n = 0;
        if (months)
                *months = NULL;
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                if (*n == cap) {
                        cap = cap ? cap * 2 : 64;
                        int64_t *p = realloc(*ids, cap * sizeof(**ids));

                        if (p == NULL) {
                                rc = MB_ENOMEM;
                                break;
                        }
                        *ids = p;
                        if (months) {
                                char(*q)[8] = realloc(*months, cap * sizeof(**months));

                                if (q == NULL) {
                                        rc = MB_ENOMEM;
                                        break;
                                }
                                *months = q;
                        }
                }
                (*ids)[*n] = srv_stmt_i64(st, 0);
                if (months)
                        snprintf((*months)[*n], 8, "%s", srv_stmt_text(st, 1));
                (*n)++;
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

/* The first month of account_id not settled yet: its last bill's next, or
 * the month of its first opening.  1 and month, 0 when it has none. */
static int first_open_month(srv_db *db, int64_t account_id, char month[8])
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT max(month) FROM bills WHERE account_id = $1"
                              " AND state = 'settled'",
                              "i", account_id);
        int64_t from = 0;

        month[0] = '\0';
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW && !srv_stmt_is_null(st, 0))
                srv_month_add(srv_stmt_text(st, 0), 1, month);
        srv_stmt_done(st);
        if (rc < 0 || month[0])
                return rc < 0 ? rc : 1;
        rc = srv_db_query_i64(db, &from, "SELECT min(from_ts) FROM supplies WHERE account_id = $1",
                              "i", account_id);
        if (rc <= 0)
                return rc;
        return srv_month_of(from, month) == MB_OK;
}

void srv_settle_account(struct srv *s, srv_db *db, int64_t account_id, const char *by,
                        struct srv_settle_summary *sum)
{
        char month[8], now[8];
        int rc = first_open_month(db, account_id, month);

        if (rc <= 0 || srv_month_of(mb_realtime_s(), now) < 0)
                return;
        /* oldest first; a held month holds the ones after it */
        for (int i = 0; i < 240 && strcmp(month, now) <= 0; i++) {
                rc = srv_settle_one(s, db, account_id, month, by, sum);
                if (rc != SETTLED && rc != ALREADY)
                        break;
                if (srv_month_add(month, 1, month) < 0)
                        break;
        }
}

/* Does account_id have a meter no more (moved out)? */
static int closed(srv_db *db, int64_t account_id)
{
        int64_t n = 1;

        return srv_db_query_i64(db, &n,
                                "SELECT count(*) FROM supplies WHERE account_id = $1"
                                " AND to_seq IS NULL",
                                "i", account_id) >= 0 &&
               n == 0;
}

void srv_settle_held(struct srv *s, srv_db *db, int64_t account_id)
{
        int64_t *ids;
        char(*months)[8];
        size_t n;

        if (collect(db,
                    "SELECT account_id, month FROM bills WHERE state = 'held'"
                    " AND ($1 = 0 OR account_id = $1) ORDER BY month, account_id",
                    "i", account_id, &ids, &months, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                int rc = srv_settle_one(s, db, ids[i], months[i], "settlement", NULL);

                if (rc == SETTLED)
                        mb_notice("account %lld: held month %s settled", (long long)ids[i],
                                  months[i]);
                /* a moved-out account's months after it come next: its final bill */
                if (rc == SETTLED && closed(db, ids[i]))
                        srv_settle_account(s, db, ids[i], "settlement", NULL);
        }
        free(ids);
        free(months);
}
