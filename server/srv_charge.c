/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "charge"
#include "srv_charge.h"

#include <stdio.h>
#include <string.h>

#include "mb_log.h"
#include "mb_tariff_wire.h"
#include "srv_ledger.h"
#include "srv_month.h"
#include "srv_tariffs.h"

static int rates_parse(const char *text, mb_tariff_reading *r)
{
        long long v[MB_RATES];

        r->has_rates = 0;
        if (text == NULL)
                return 0;
        if (sscanf(text, "[%lld,%lld,%lld,%lld]", &v[0], &v[1], &v[2], &v[3]) != MB_RATES)
                return 0;
        for (int i = 0; i < MB_RATES; i++)
                r->rate_wh[i] = v[i];
        r->has_rates = 1;
        return 1;
}

static void rates_text(const mb_tariff_reading *r, char *buf, size_t len)
{
        snprintf(buf, len, "[%lld,%lld,%lld,%lld]", (long long)r->rate_wh[0],
                 (long long)r->rate_wh[1], (long long)r->rate_wh[2], (long long)r->rate_wh[3]);
}

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
                          " ref_ts, ref_import_wh, ref_rates FROM charge_state"
                          " WHERE account_id = $1",
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
                        rates_parse(srv_stmt_text(st, 8), &cs->ref);
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

static int save(srv_db *db, int64_t account_id, int64_t meter_id, const struct srv_charge_state *cs)
{
        json_object *j = mb_tariff_wire_acc(cs->acc, cs->month);
        char rates[128];
        int rc;

        if (j == NULL)
                return MB_ENOMEM;
        rates_text(&cs->ref, rates, sizeof(rates));
        rc = srv_db_exec_args(
            db,
            "INSERT INTO charge_state (account_id, meter_id, month, acc, charged_fen,"
            " tier_start, tier_used_wh, ref_seq, ref_ts, ref_import_wh, ref_rates)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            " ON CONFLICT (account_id) DO UPDATE SET meter_id = excluded.meter_id,"
            " month = excluded.month, acc = excluded.acc, charged_fen = excluded.charged_fen,"
            " tier_start = excluded.tier_start, tier_used_wh = excluded.tier_used_wh,"
            " ref_seq = excluded.ref_seq, ref_ts = excluded.ref_ts,"
            " ref_import_wh = excluded.ref_import_wh, ref_rates = excluded.ref_rates",
            "iittiiiiiit", account_id, meter_id, cs->month,
            json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), cs->charged_fen,
            cs->pos.period_start, cs->pos.used_wh, cs->ref_seq, cs->ref.t, cs->ref.import_wh,
            cs->ref.has_rates ? rates : NULL);
        json_object_put(j);
        return rc < 0 ? rc : MB_OK;
}

/* Post the change of the rounded total since the last post (prepaid only),
 * and remember the new total. */
static int flush(srv_db *db, int64_t account_id, int prepaid, struct srv_charge_state *cs)
{
        struct srv_ledger_entry e = {.kind = SRV_LEDGER_CHARGE,
                                     .month = cs->month,
                                     .reason = "continuous deduction",
                                     .by = "server"};
        int64_t total;
        int rc = mb_tariff_acc_total(cs->acc, &total);

        if (rc < 0)
                return rc;
        if (prepaid && total != cs->charged_fen) {
                e.amount_fen = -(total - cs->charged_fen);
                rc = srv_ledger_post(db, account_id, &e, NULL, NULL);
                if (rc < 0)
                        return rc;
        }
        cs->charged_fen = total;
        return MB_OK;
}

static int month_settled(srv_db *db, int64_t account_id, const char *month)
{
        int64_t n = 0;
        int rc = srv_db_query_i64(db, &n,
                                  "SELECT count(*) FROM bills WHERE account_id = $1 AND"
                                  " month = $2 AND state = 'settled'",
                                  "it", account_id, month);

        return rc < 0 ? rc : n > 0;
}

static void to_tariff_reading(const struct srv_reading *r, mb_tariff_reading *out)
{
        memset(out, 0, sizeof(*out));
        out->t = r->ts;
        out->import_wh = r->import_wh;
        out->has_rates = r->has_rates;
        memcpy(out->rate_wh, r->rate_wh, sizeof(out->rate_wh));
}

struct charge_ctx {
        struct srv *s;
        srv_db *db;
        int64_t account_id;
        int prepaid;
        int settled; /* the accumulator's month is settled */
        struct srv_charge_state cs;
        /* the tariff in force from tariff_from until tariff_until (the next
         * assignment), looked up once per batch, not once per interval */
        int tariff_known;
        int64_t tariff_from, tariff_until;
        const mb_tariff *tariff;
};

/* The account's tariff at time at (NULL: none assigned yet): 0 or error. */
static int tariff_at(struct charge_ctx *c, int64_t at, const mb_tariff **t)
{
        char id[72], hash[72];
        int64_t next = INT64_MAX;
        int rc;

        if (c->tariff_known && at >= c->tariff_from && at < c->tariff_until) {
                *t = c->tariff;
                return MB_OK;
        }
        rc = srv_tariff_for_account(c->s, c->db, c->account_id, at, t, id, hash);
        if (rc < 0)
                return rc;
        if (rc == 0)
                *t = NULL;
        rc = srv_db_query_i64(c->db, &next,
                              "SELECT min(effective_from) FROM account_tariffs"
                              " WHERE account_id = $1 AND effective_from > $2",
                              "ii", c->account_id, at);
        if (rc < 0)
                return rc;
        c->tariff_known = 1;
        c->tariff = *t;
        c->tariff_from = at;
        c->tariff_until = rc > 0 ? next : INT64_MAX;
        return MB_OK;
}

/* Move to the month an interval ending at reading time t belongs to: the
 * month of t, or the month before when the reading is a boundary reading
 * (it closes that month, which the month's bill covers).  Flush the old
 * month, start empty.  Months only move forward. */
static int enter_month(struct charge_ctx *c, int64_t t, int boundary)
{
        char month[8];
        int rc = srv_month_of(t, month);

        if (rc == MB_OK && boundary)
                rc = srv_month_add(month, -1, month);
        if (rc < 0 || strcmp(month, c->cs.month) <= 0)
                return rc;
        if (c->cs.month[0] && !c->settled &&
            (rc = flush(c->db, c->account_id, c->prepaid, &c->cs)) < 0)
                return rc;
        mb_tariff_acc_reset(c->cs.acc);
        c->cs.charged_fen = 0;
        memcpy(c->cs.month, month, sizeof(month));
        rc = month_settled(c->db, c->account_id, month);
        if (rc < 0)
                return rc;
        c->settled = rc;
        return MB_OK;
}

/* Charge ref -> r into the accumulator.  1 when charged, 0 when the interval
 * is not charged (no tariff yet: the reference stays), or an error. */
static int charge_one(struct charge_ctx *c, const mb_tariff_reading *r1)
{
        char err[256];
        const mb_tariff *t;
        int rc;

        if (c->settled)
                return 1;
        rc = tariff_at(c, c->cs.ref.t, &t);
        if (rc < 0 || t == NULL)
                return rc < 0 ? rc : 0;
        rc = mb_tariff_charge(t, &c->cs.ref, r1, &c->cs.pos, c->cs.acc, err, sizeof(err));
        if (rc < 0)
                /* The interval stays uncharged here; the month's bill, from its
                 * boundary readings, still covers it. */
                mb_warn("account %lld: interval to %lld not charged: %s", (long long)c->account_id,
                        (long long)r1->t, err);
        return 1;
}

static int step(struct charge_ctx *c, const struct srv_reading *r)
{
        mb_tariff_reading r1;
        int rc;

        to_tariff_reading(r, &r1);
        if (!c->cs.exists) {
                /* The first reading is the reference: nothing before it is ours. */
                c->cs.exists = 1;
                c->cs.ref = r1;
                c->cs.ref_seq = r->seq;
                rc = enter_month(c, r->ts, r->kind == SRV_KIND_BOUNDARY);
                return rc;
        }
        if (r->ts < c->cs.ref.t)
                return MB_OK; /* clock went back: wait for a later reading */
        rc = enter_month(c, r->ts, r->kind == SRV_KIND_BOUNDARY);
        if (rc < 0)
                return rc;
        if (r1.import_wh < c->cs.ref.import_wh) {
                /* register reset or meter swap: flagged at month close, never
                 * negative consumption; the new register is the reference */
                rc = 1;
        } else {
                rc = charge_one(c, &r1);
                if (rc <= 0)
                        return rc;
        }
        c->cs.ref = r1;
        c->cs.ref_seq = r->seq;
        return MB_OK;
}

int srv_charge_readings(struct srv *s, srv_db *db, int64_t account_id, int64_t meter_id,
                        struct srv_reading *const *rd, size_t n)
{
        struct charge_ctx c = {.s = s, .db = db, .account_id = account_id};
        int64_t prepaid = 0;
        /* the charge state and the month close of this account, one at a time */
        int rc = srv_db_lock(db, SRV_LOCK_ACCOUNT, account_id);

        if (rc == MB_OK)
                rc = srv_db_query_i64(db, &prepaid,
                                      "SELECT CASE WHEN mode = 'prepaid' THEN 1 ELSE 0 END"
                                      " FROM accounts WHERE id = $1",
                                      "i", account_id);
        if (rc < 0)
                return rc;
        c.prepaid = (int)prepaid;
        rc = srv_charge_load(db, account_id, &c.cs);
        if (rc == MB_OK && c.cs.exists) {
                rc = month_settled(db, account_id, c.cs.month);
                c.settled = rc > 0;
                rc = rc < 0 ? rc : MB_OK;
        }
        for (size_t i = 0; rc == MB_OK && i < n; i++)
                if (rd[i]->has_import && (!c.cs.exists || rd[i]->seq > c.cs.ref_seq))
                        rc = step(&c, rd[i]);
        if (rc == MB_OK && c.cs.exists && !c.settled)
                rc = flush(db, account_id, c.prepaid, &c.cs);
        if (rc == MB_OK && c.cs.exists)
                rc = save(db, account_id, meter_id, &c.cs);
        srv_charge_fini(&c.cs);
        return rc;
}
