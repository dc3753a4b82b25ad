/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "charge"
#include "srv_charge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_log.h"
#include "srv_walk.h"
#include "mb_tariff_wire.h"
#include "srv_ledger.h"
#include "srv_month.h"
#include "srv_plan.h"

int srv_charge_load(srv_db *db, int64_t account_id, struct srv_charge_state *cs)
{
        srv_stmt *st;
        int rc;

        memset(cs, 0, sizeof(*cs));
        cs->acc = mb_tariff_acc_new();
        if (cs->acc == NULL)
                return MB_ENOMEM;
        rc = srv_db_query(db, &st,
                          "SELECT month, acc, charged_fen, tier_start, tier_used_wh, ref_seq,"
                          " ref_ts, ref_import_wh, ref_rates, meter_id, supply_id,"
                          " month_supply_id, month_meter_id, month_seq, month_ts,"
                          " month_import_wh, month_rates, month_tier_start, month_tier_used_wh"
                          " FROM charge_state WHERE account_id = $1",
                          "i", account_id);
        if (rc < 0)
                return rc;
        rc = srv_stmt_step(st);
        if (rc == SRV_DB_ROW) {
                json_object *j = json_tokener_parse(srv_stmt_text(st, 1));
                char err[128], month[8];

                if (j == NULL ||
                    mb_tariff_wire_acc_parse(j, cs->acc, month, err, sizeof(err)) < 0) {
                        mb_err_log("account %lld: stored accumulator does not parse",
                                   (long long)account_id);
                        rc = MB_ESTORE;
                } else {
                        cs->exists = 1;
                        snprintf(cs->month, sizeof(cs->month), "%s", srv_stmt_text(st, 0));
                        cs->charged_fen = srv_stmt_i64(st, 2);
                        cs->pos.period_start = srv_stmt_i64(st, 3);
                        cs->pos.used_wh = srv_stmt_i64(st, 4);
                        cs->ref_seq = srv_stmt_i64(st, 5);
                        cs->ref.t = srv_stmt_i64(st, 6);
                        cs->ref.import_wh = srv_stmt_i64(st, 7);
                        srv_rates_parse(srv_stmt_text(st, 8), &cs->ref);
                        cs->meter_id = srv_stmt_i64(st, 9);
                        cs->supply_id = srv_stmt_is_null(st, 10) ? 0 : srv_stmt_i64(st, 10);
                        srv_walk_point_row(st, 11, &cs->start);
                        rc = MB_OK;
                }
                json_object_put(j);
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

void srv_charge_fini(struct srv_charge_state *cs)
{
        mb_tariff_acc_free(cs->acc);
        cs->acc = NULL;
}

static int save(srv_db *db, int64_t account_id, const struct srv_charge_state *cs)
{
        json_object *j = mb_tariff_wire_acc(cs->acc, cs->month);
        char rates[128], srates[128];
        const struct srv_wpoint *m = &cs->start;
        int rc;

        if (j == NULL)
                return MB_ENOMEM;
        srv_rates_text(&cs->ref, rates, sizeof(rates));
        srv_rates_text(&m->ref, srates, sizeof(srates));
#define OPT(v) (m->have ? (v) : SRV_DB_NULL_I64)
        rc = srv_db_exec_args(
            db,
            "INSERT INTO charge_state (account_id, meter_id, month, acc, charged_fen,"
            " tier_start, tier_used_wh, ref_seq, ref_ts, ref_import_wh, ref_rates, supply_id,"
            " month_supply_id, month_meter_id, month_seq, month_ts, month_import_wh,"
            " month_rates, month_tier_start, month_tier_used_wh)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
            " $17, $18, $19, $20)"
            " ON CONFLICT (account_id) DO UPDATE SET meter_id = excluded.meter_id,"
            " month = excluded.month, acc = excluded.acc, charged_fen = excluded.charged_fen,"
            " tier_start = excluded.tier_start, tier_used_wh = excluded.tier_used_wh,"
            " ref_seq = excluded.ref_seq, ref_ts = excluded.ref_ts,"
            " ref_import_wh = excluded.ref_import_wh, ref_rates = excluded.ref_rates,"
            " supply_id = excluded.supply_id, month_supply_id = excluded.month_supply_id,"
            " month_meter_id = excluded.month_meter_id, month_seq = excluded.month_seq,"
            " month_ts = excluded.month_ts, month_import_wh = excluded.month_import_wh,"
            " month_rates = excluded.month_rates, month_tier_start = excluded.month_tier_start,"
            " month_tier_used_wh = excluded.month_tier_used_wh",
            "iittiiiiiitIIIIIItII", account_id, cs->meter_id, cs->month,
            json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), cs->charged_fen,
            cs->pos.period_start, cs->pos.used_wh, cs->ref_seq, cs->ref.t, cs->ref.import_wh,
            cs->ref.has_rates ? rates : NULL, cs->supply_id ? cs->supply_id : SRV_DB_NULL_I64,
            OPT(m->supply_id), OPT(m->meter_id), OPT(m->seq), OPT(m->ref.t), OPT(m->ref.import_wh),
            m->have && m->ref.has_rates ? srates : NULL, OPT(m->pos.period_start),
            OPT(m->pos.used_wh));
#undef OPT
        json_object_put(j);
        return rc < 0 ? rc : MB_OK;
}

/* One walk of continuous deduction: the state, and the month it charges. */
struct run {
        struct srv *s;
        srv_db *db;
        int64_t account_id;
        int prepaid;
        struct srv_charge_state cs;
        int month;   /* YYYYMM of cs.month; 0 before the first */
        int settled; /* cs.month is settled: charge into scratch */
        mb_tariff_acc *scratch;
        const mb_tariff *t;
        int rc; /* an error inside a hook */
};

/* Post the change of the rounded total since the last post (prepaid only),
 * and remember the new total. */
static int flush(struct run *r)
{
        struct srv_ledger_entry e = {.kind = SRV_LEDGER_CHARGE,
                                     .month = r->cs.month,
                                     .reason = "continuous deduction",
                                     .by = "server"};
        int64_t total;
        int rc = r->settled ? MB_OK : mb_tariff_acc_total(r->cs.acc, &total);

        if (rc < 0 || r->settled || r->month == 0)
                return rc;
        if (r->prepaid && total != r->cs.charged_fen) {
                e.amount_fen = -(total - r->cs.charged_fen);
                rc = srv_ledger_post(r->db, r->account_id, &e, NULL, NULL);
                if (rc < 0)
                        return rc;
        }
        r->cs.charged_fen = total;
        return MB_OK;
}

/* By the bill's key alone, state tested here: with "state = 'settled'" in
 * the query PostgreSQL's cached plan walked bills_state, every settled bill
 * of the month, once per account of a batch during a month close. */
static int month_settled(srv_db *db, int64_t account_id, const char *month)
{
        int64_t settled = 0;
        int rc = srv_db_query_i64(db, &settled,
                                  "SELECT state = 'settled' FROM bills WHERE account_id = $1 AND"
                                  " month = $2",
                                  "it", account_id, month);

        return rc < 0 ? rc : settled > 0;
}

static void month_text(int yyyymm, char out[8])
{
        snprintf(out, 8, "%04u-%02u", (unsigned)(yyyymm / 100) % 10000u,
                 (unsigned)(yyyymm % 100) % 100u);
}

/* Remember where month (cs.month) started: a late reading walks it again
 * from there (srv_charge_recompute). */
static int note_start(struct run *r, const struct srv_wpoint *at)
{
        char rates[128];

        srv_rates_text(&at->ref, rates, sizeof(rates));
        return srv_db_exec_args(
            r->db,
            "INSERT INTO charge_months (account_id, month, supply_id, meter_id, seq, ts,"
            " import_wh, rates, tier_start, tier_used_wh)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            " ON CONFLICT (account_id, month) DO UPDATE SET supply_id = excluded.supply_id,"
            " meter_id = excluded.meter_id, seq = excluded.seq, ts = excluded.ts,"
            " import_wh = excluded.import_wh, rates = excluded.rates,"
            " tier_start = excluded.tier_start, tier_used_wh = excluded.tier_used_wh",
            "itiiiiitii", r->account_id, r->cs.month, at->supply_id, at->meter_id, at->seq,
            at->ref.t, at->ref.import_wh, at->ref.has_rates ? rates : NULL, at->pos.period_start,
            at->pos.used_wh);
}

/* What was posted for the month being entered (a month walked again has
 * charges already; a new one none): the flush posts the difference. */
static int posted(struct run *r)
{
        int64_t sum = 0;
        int rc = r->prepaid ? srv_db_query_i64(r->db, &sum,
                                               "SELECT coalesce(sum(amount_fen), 0) FROM ledger"
                                               " WHERE account_id = $1 AND month = $2"
                                               " AND kind = 'charge'",
                                               "it", r->account_id, r->cs.month)
                            : MB_OK;

        r->cs.charged_fen = -sum;
        return rc < 0 ? rc : MB_OK;
}

/* Make month (YYYYMM) the one being charged, starting at *at. */
static int begin_month(struct run *r, int month, const struct srv_wpoint *at)
{
        int rc;

        mb_tariff_acc_reset(r->cs.acc);
        r->month = month;
        month_text(month, r->cs.month);
        r->cs.start = *at;
        rc = month_settled(r->db, r->account_id, r->cs.month);
        r->settled = rc > 0;
        if (rc >= 0)
                rc = posted(r);
        if (rc >= 0)
                rc = note_start(r, at);
        return rc < 0 ? rc : MB_OK;
}

static int enter(struct run *r, int month, const struct srv_wpoint *at)
{
        int rc = flush(r);

        return rc < 0 ? rc : begin_month(r, month, at);
}

/* A piece of a later month closes this one; an earlier one (a reading
 * late for a month already left) is this month's. */
static mb_tariff_acc *acc_for(void *ctx, int month, const struct srv_wpoint *at)
{
        struct run *r = ctx;

        if (month > r->month && (r->rc = enter(r, month, at)) < 0)
                return NULL;
        return r->settled ? r->scratch : r->cs.acc;
}

static void note(void *ctx, const struct srv_walk_note *n)
{
        struct run *r = ctx;

        if (n->events & (MB_WALK_BACKWARDS | MB_WALK_NO_TARIFF))
                mb_warn("account %lld: meter %s seq %lld not charged (%s): the month close "
                        "holds it",
                        (long long)r->account_id, n->s->address, (long long)n->seq,
                        n->events & MB_WALK_BACKWARDS ? "register went backwards" : "no tariff");
}

/* Walk s[0..n-1] from at; the state follows. */
static int walk(struct run *r, const struct srv_wsupply *s, size_t n, struct srv_wpoint *at)
{
        struct srv_walk_hooks h = {acc_for, note, r};
        char err[256];
        int rc;

        if (r->t == NULL) /* no tariff: nothing is charged, the reference moves on */
                return MB_OK;
        rc = srv_walk_run(r->t, s, n, at, &h, err, sizeof(err));
        if (r->rc < 0)
                return r->rc;
        if (rc < 0) /* an amount no bill can hold: the close holds the month */
                mb_err_log("account %lld: not charged: %s", (long long)r->account_id, err);
        return MB_OK;
}

static void take(struct run *r, const struct srv_wpoint *at)
{
        r->cs.exists = 1;
        r->cs.supply_id = at->supply_id;
        r->cs.meter_id = at->meter_id;
        r->cs.ref_seq = at->seq;
        r->cs.ref = at->ref;
        r->cs.pos = at->pos;
}

static int begin_run(struct run *r, struct srv *s, srv_db *db, int64_t account_id)
{
        struct srv_plan plan;
        int64_t prepaid = 0;
        /* the charge state and the month close of this account, one at a time */
        int rc = srv_db_lock(db, SRV_LOCK_ACCOUNT, account_id);

        memset(r, 0, sizeof(*r));
        r->s = s;
        r->db = db;
        r->account_id = account_id;
        if (rc == MB_OK)
                rc = srv_db_query_i64(db, &prepaid,
                                      "SELECT CASE WHEN mode = 'prepaid' THEN 1 ELSE 0 END"
                                      " FROM accounts WHERE id = $1",
                                      "i", account_id);
        r->prepaid = (int)prepaid;
        if (rc >= 0)
                rc = srv_plan_for_account(s, db, account_id, &plan);
        r->t = rc > 0 ? plan.t : NULL;
        if (rc >= 0 && (r->scratch = mb_tariff_acc_new()) == NULL)
                rc = MB_ENOMEM;
        if (rc >= 0)
                rc = srv_charge_load(db, account_id, &r->cs);
        if (rc >= 0 && r->cs.exists) {
                r->month = atoi(r->cs.month) * 100 + atoi(r->cs.month + 5);
                rc = month_settled(db, account_id, r->cs.month);
                r->settled = rc > 0;
        }
        return rc < 0 ? rc : MB_OK;
}

static int end_run(struct run *r, int rc)
{
        if (rc == MB_OK && r->cs.exists && (rc = flush(r)) == MB_OK)
                rc = save(r->db, r->account_id, &r->cs);
        srv_charge_fini(&r->cs);
        mb_tariff_acc_free(r->scratch);
        return rc;
}

/* Persist a supply's opening that was its first reading (open_seq: a
 * lower one arriving later takes its place, reopen()). */
static int note_opening(srv_db *db, const struct srv_wsupply *s, const struct srv_wpoint *at)
{
        char rates[128];

        if (s->has_open)
                return MB_OK;
        srv_rates_text(&at->ref, rates, sizeof(rates));
        return srv_db_exec_args(db,
                                "UPDATE supplies SET open_seq = $1, from_ts = $2,"
                                " from_import_wh = $3, from_rates = $4 WHERE id = $5",
                                "iiiti", at->seq, at->ref.t, at->ref.import_wh,
                                at->ref.has_rates ? rates : NULL, s->id);
}

/* Walk from `from` (the month's start, or the reference) over the stored
 * supplies and readings. */
static int walk_stored(struct run *r, struct srv_wpoint *from)
{
        struct srv_wsupply *s = NULL;
        struct srv_wpoint at = *from;
        size_t n = 0;
        int rc = srv_walk_load(r->db, r->account_id, from->have ? from : NULL, 0, &s, &n);

        if (rc == MB_OK && !at.have) { /* the account's first charge */
                rc = srv_walk_begin(s, n, &at) ? MB_OK : MB_ENOENT;
                if (rc == MB_OK && (rc = note_opening(r->db, &s[0], &at)) >= 0) {
                        take(r, &at);
                        rc = begin_month(r, mb_walk_month_of(at.ref.t), &at);
                }
                if (rc == MB_ENOENT) /* no reading, no opening yet */
                        rc = MB_OK, n = 0;
        }
        if (rc == MB_OK && n > 0 && (rc = walk(r, s, n, &at)) == MB_OK && at.have)
                take(r, &at);
        srv_wsupply_free(s, n);
        free(s);
        return rc;
}

/* The batch's readings of the reference's supply, walked from it. */
static int walk_batch(struct run *r, int64_t meter_id, struct srv_reading *const *rd, size_t n,
                      int64_t *late)
{
        struct srv_wsupply sup = {.id = r->cs.supply_id, .meter_id = meter_id, .to_seq = INT64_MAX};
        struct srv_wpoint at = {.have = 1,
                                .supply_id = r->cs.supply_id,
                                .meter_id = meter_id,
                                .seq = r->cs.ref_seq,
                                .ref = r->cs.ref,
                                .pos = r->cs.pos};
        srv_stmt *st = NULL;
        /* the meter's register range, and the multiplier its supply is
         * charged with (behind CT and PT), in one lookup */
        int rc = srv_db_query(r->db, &st,
                              "SELECT m.rollover_wh, s.multiplier FROM meters m"
                              " LEFT JOIN supplies s ON s.id = $2 WHERE m.id = $1",
                              "ii", meter_id, r->cs.supply_id);

        sup.multiplier = 1;
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                sup.rollover_wh = srv_stmt_is_null(st, 0) ? 0 : srv_stmt_i64(st, 0);
                if (!srv_stmt_is_null(st, 1) && srv_stmt_i64(st, 1) > 0)
                        sup.multiplier = srv_stmt_i64(st, 1);
        }
        srv_stmt_done(st);
        for (size_t i = 0; rc >= 0 && i < n; i++) {
                struct srv_wreading w = {.seq = rd[i]->seq};

                if (!rd[i]->has_import)
                        continue;
                if (rd[i]->seq <= r->cs.ref_seq) {
                        if (*late == 0 || rd[i]->seq < *late)
                                *late = rd[i]->seq;
                        continue;
                }
                w.p.r.t = rd[i]->ts;
                w.p.r.import_wh = rd[i]->import_wh;
                w.p.r.has_rates = rd[i]->has_rates;
                memcpy(w.p.r.rate_wh, rd[i]->rate_wh, sizeof(w.p.r.rate_wh));
                w.p.has_frozen = rd[i]->has_frozen;
                w.p.frozen_t = rd[i]->frozen_time;
                w.p.frozen_wh = rd[i]->frozen_import_wh;
                rc = srv_wsupply_add(&sup, &w);
        }
        if (rc >= 0 && (rc = walk(r, &sup, 1, &at)) == MB_OK)
                take(r, &at);
        free(sup.r);
        return rc < 0 ? rc : MB_OK;
}

static int recompute(struct srv *s, srv_db *db, int64_t account_id, int64_t late);

int srv_charge_readings(struct srv *s, srv_db *db, int64_t account_id, int64_t meter_id,
                        struct srv_reading *const *rd, size_t n)
{
        struct run r;
        int64_t late = 0;
        int rc = begin_run(&r, s, db, account_id);

        if (rc == MB_OK && r.cs.exists && !r.cs.supply_id && r.cs.meter_id == meter_id) {
                /* a state from before supplies: it is on the meter's open one */
                rc = srv_db_query_i64(db, &r.cs.supply_id,
                                      "SELECT max(id) FROM supplies WHERE account_id = $1"
                                      " AND meter_id = $2 AND to_seq IS NULL",
                                      "ii", account_id, meter_id);
                rc = rc < 0 ? rc : MB_OK;
        }
        if (rc == MB_OK && r.cs.exists && r.cs.supply_id && r.cs.meter_id == meter_id) {
                rc = walk_batch(&r, meter_id, rd, n, &late);
        } else if (rc == MB_OK) {
                /* the first charge of the account, or of its supply on this
                 * meter: from the stored supplies */
                struct srv_wpoint from = {0};

                if (r.cs.exists && r.cs.supply_id)
                        from = (struct srv_wpoint){
                            1, r.cs.supply_id, r.cs.meter_id, r.cs.ref_seq, r.cs.ref, r.cs.pos};
                rc = walk_stored(&r, &from);
        }
        rc = end_run(&r, rc);
        if (rc == MB_OK && late)
                rc = recompute(s, db, account_id, late);
        return rc;
}

/* A month's start from charge_months, the latest of the account's that
 * either (by_seq) comes before seq `seq` of supply `supply` (on it, or on
 * an earlier supply: an account's supplies follow each other in id order),
 * or (!by_seq) is of a month before `before`: 1 with *from and *month, 0 if
 * none. */
static int month_start_row(struct run *r, int by_seq, int64_t supply, int64_t seq,
                           const char *before, struct srv_wpoint *from, int *month)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(r->db, &st,
                              "SELECT month, supply_id, meter_id, seq, ts, import_wh, rates,"
                              " tier_start, tier_used_wh FROM charge_months WHERE account_id = $1"
                              " AND (($2 = 1 AND (supply_id = $3 AND seq < $4 OR supply_id < $3))"
                              " OR ($2 = 0 AND month < $5)) ORDER BY month DESC LIMIT 1",
                              "iiiit", r->account_id, (int64_t)by_seq, supply, seq, before);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                const char *m = srv_stmt_text(st, 0);

                *month = atoi(m) * 100 + atoi(m + 5);
                srv_walk_point_row(st, 1, from);
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : rc == SRV_DB_ROW;
}

/* Where to walk again from for a late reading (seq `late` on the
 * reference's supply): the start of the month it fell into, or of the month
 * before when it is the first reading after that start (the step it ends
 * may be the month before's: its midpoint decides).  1 with *from and
 * *month when that is before the current month's start, 0 when the current
 * month's start will do, or an error. */
static int earlier_start(struct run *r, int64_t late, struct srv_wpoint *from, int *month)
{
        int64_t between = 1;
        char m[8];
        int rc = 1;

        if (!late || !r->cs.start.have)
                return 0;
        *from = r->cs.start;
        *month = r->month;
        if (from->supply_id == r->cs.supply_id && late <= from->seq)
                rc = month_start_row(r, 1, r->cs.supply_id, late, "", from, month);
        if (rc > 0 && from->supply_id == r->cs.supply_id)
                rc = srv_db_query_i64(r->db, &between,
                                      "SELECT count(*) FROM readings WHERE meter_id = $1"
                                      " AND seq > $2 AND seq < $3 AND import_wh IS NOT NULL",
                                      "iii", from->meter_id, from->seq, late);
        if (rc > 0 && between == 0) {
                struct srv_wpoint before;
                int bm = 0;

                month_text(*month, m);
                rc = month_start_row(r, 0, 0, 0, m, &before, &bm);
                if (rc > 0)
                        *from = before, *month = bm;
        }
        if (rc < 0)
                return rc;
        return rc > 0 && *month != r->month;
}

/* Walk again from the start of the month of the late reading `late` (0:
 * of the current month). */
/* A late reading (seq `late` of the reference's supply) before the reading
 * the supply's opening was taken from is its first: the opening is
 * forgotten, to be taken again.  1 when so. */
static int reopen(struct run *r, int64_t late)
{
        int64_t open = 0;
        int rc;

        if (!late || !r->cs.supply_id)
                return 0;
        rc = srv_db_query_i64(r->db, &open,
                              "SELECT open_seq FROM supplies WHERE id = $1 AND from_seq < $2"
                              " AND open_seq IS NOT NULL",
                              "ii", r->cs.supply_id, late);
        if (rc <= 0 || open <= late)
                return rc < 0 ? rc : 0;
        rc = srv_db_exec_args(r->db,
                              "UPDATE supplies SET open_seq = NULL, from_ts = NULL,"
                              " from_import_wh = NULL, from_rates = NULL WHERE id = $1",
                              "i", r->cs.supply_id);
        return rc < 0 ? rc : 1;
}

static int recompute(struct srv *s, srv_db *db, int64_t account_id, int64_t late)
{
        struct run r;
        int month = 0, rc = begin_run(&r, s, db, account_id);
        struct srv_wpoint from;

        if (rc == MB_OK && (rc = reopen(&r, late)) > 0) {
                /* the account's walk anew from its first opening: every
                 * month posts what differs from what it posted */
                from = (struct srv_wpoint){0};
                rc = walk_stored(&r, &from);
        } else if (rc == MB_OK && (rc = earlier_start(&r, late, &from, &month)) > 0) {
                /* a month already left: it is walked again, and every month
                 * after it, each posting what differs from what it posted */
                rc = begin_month(&r, month, &from);
                if (rc == MB_OK)
                        rc = walk_stored(&r, &from);
        } else if (rc >= 0 && r.cs.exists && r.cs.start.have) {
                from = r.cs.start;

                /* the month again from its start: its lines anew, what was
                 * posted for it stays in charged_fen, so the flush posts the
                 * difference */
                mb_tariff_acc_reset(r.cs.acc);
                rc = walk_stored(&r, &from);
        } else if (rc == MB_OK) {
                from = (struct srv_wpoint){0};
                if (r.cs.exists && r.cs.supply_id) /* where the month began is unknown */
                        from = (struct srv_wpoint){
                            1, r.cs.supply_id, r.cs.meter_id, r.cs.ref_seq, r.cs.ref, r.cs.pos};
                rc = walk_stored(&r, &from);
        }
        return end_run(&r, rc);
}

int srv_charge_recompute(struct srv *s, srv_db *db, int64_t account_id)
{
        return recompute(s, db, account_id, 0);
}
