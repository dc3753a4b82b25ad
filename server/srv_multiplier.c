/* SPDX-License-Identifier: Apache-2.0 */
/* A meter's CT and PT ratios from a register on: see srv_multiplier.h. */
#include "srv_multiplier.h"

#include <stdio.h>
#include <string.h>

#include "mb_multiplier.h"
#include "mb_time.h"
#include "srv_accounts.h"
#include "srv_charge.h"
#include "srv_supply.h"

struct change {
        const char *ct, *pt;
        int64_t ct_ratio, pt_ratio, k;
        struct srv_register at; /* the register where it takes effect (given: known) */
        int64_t after_seq;      /* readings after this one are under it */
};

static int ratio(json_object *b, const char *key, int required, const char **text, int64_t *r,
                 struct srv_err *e)
{
        char err[160];
        int rc = srv_json_string(b, key, "", required, 24, text, e);

        if (rc < 0)
                return -1;
        if (rc == 0) {
                *text = "1";
                *r = 1;
                return 0;
        }
        if (mb_ratio_parse(*text, r, err, sizeof(err)) != MB_OK) {
                srv_err_set(e, 400, "bad_field", key, "%s", err);
                return -1;
        }
        return 0;
}

/* The members of a body whose keys are known: 0, or -1 with *e. */
static int read_body(json_object *b, struct change *c, struct srv_err *e)
{
        memset(c, 0, sizeof(*c));
        if (ratio(b, "ct", 1, &c->ct, &c->ct_ratio, e) < 0 ||
            ratio(b, "pt", 0, &c->pt, &c->pt_ratio, e) < 0 ||
            srv_register_field(b, "register_wh", &c->at, e) < 0)
                return -1;
        if (mb_multiplier(c->ct_ratio, c->pt_ratio, &c->k) != MB_OK) {
                srv_err_set(e, 400, "out_of_range", "pt", "CT x PT (%lld x %lld) is above %d",
                            (long long)c->ct_ratio, (long long)c->pt_ratio, MB_MULTIPLIER_MAX);
                return -1;
        }
        if (!c->at.given && json_object_object_get_ex(b, "at", NULL)) {
                srv_err_set(e, 400, "missing_field", "register_wh",
                            "'at' says when the register 'register_wh' was read: give both");
                return -1;
        }
        return 0;
}

/* The register reading seq, or none (*wh -1).  >= 0 or an error. */
static int reading_wh(srv_db *db, const char *sql, int64_t meter_id, int64_t v, int64_t *seq,
                      int64_t *wh)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st, sql, "ii", meter_id, v);

        *wh = -1;
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                *seq = srv_stmt_i64(st, 0);
                *wh = srv_stmt_i64(st, 1);
        }
        srv_stmt_done(st);
        return rc;
}

/*
 * Where the change takes effect: given, after the last reading taken at or
 * before it, whose register must not be above it (nor the next one's below
 * it); not given, at the meter's newest reading (a CT replaced just now).
 * 0, -1 after filling *e, or a store error.
 */
static int change_point(srv_db *db, int64_t meter_id, struct change *c, struct srv_err *e)
{
        int64_t before = -1, after = -1, next = 0;
        int rc;

        if (!c->at.given) {
                rc = srv_meter_last(db, meter_id, &c->at);
                if (rc >= 0)
                        rc = srv_db_query_i64(db, &c->after_seq,
                                              "SELECT high_seq FROM meters WHERE id = $1", "i",
                                              meter_id);
                return rc < 0 ? rc : 0;
        }
        rc = reading_wh(db,
                        "SELECT seq, import_wh FROM readings WHERE meter_id = $1 AND ts <= $2"
                        " AND import_wh IS NOT NULL ORDER BY seq DESC LIMIT 1",
                        meter_id, c->at.t, &c->after_seq, &before);
        if (rc >= 0)
                rc = reading_wh(db,
                                "SELECT seq, import_wh FROM readings WHERE meter_id = $1"
                                " AND seq > $2 AND import_wh IS NOT NULL ORDER BY seq LIMIT 1",
                                meter_id, c->after_seq, &next, &after);
        if (rc < 0)
                return rc;
        if ((before >= 0 && before > c->at.wh) || (after >= 0 && after < c->at.wh)) {
                srv_err_set(e, 409, "register_mismatch", "register_wh",
                            "the register %lld Wh at that time does not lie between the readings"
                            " around it (%lld and %lld Wh)",
                            (long long)c->at.wh, (long long)before, (long long)after);
                return -1;
        }
        return 0;
}

/* The account's open supply on the meter takes the change: in place when
 * it begins at or after it, else split there; the month is walked again. */
static int apply_to_account(struct srv_req *rq, int64_t account, int64_t meter_id,
                            const struct change *c)
{
        srv_stmt *st = NULL;
        int64_t sid = 0, from = 0;
        int rc = srv_db_query(rq->db, &st,
                              "SELECT id, from_seq FROM supplies WHERE account_id = $1"
                              " AND meter_id = $2 AND to_seq IS NULL ORDER BY id DESC LIMIT 1",
                              "ii", account, meter_id);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                sid = srv_stmt_i64(st, 0);
                from = srv_stmt_i64(st, 1);
        }
        srv_stmt_done(st);
        if (rc > 0 && (!c->at.given || c->after_seq <= from))
                rc = srv_db_exec_args(rq->db, "UPDATE supplies SET multiplier = $1 WHERE id = $2",
                                      "ii", c->k, sid);
        else if (rc > 0)
                rc = srv_supply_split(rq->db, account, meter_id, c->after_seq, &c->at, c->k,
                                      rq->auth.name);
        if (rc >= 0)
                rc = srv_charge_recompute(rq->srv, rq->db, account);
        return rc;
}

static json_object *show(srv_db *db, int64_t meter_id, const char *address, int *rc)
{
        json_object *o = json_object_new_object(), *h = json_object_new_array();
        srv_stmt *st = NULL;

        srv_jadd_str(o, "meter", address);
        srv_jadd_i64(o, "multiplier", 1);
        srv_jadd_str(o, "ct", "1");
        srv_jadd_str(o, "pt", "1");
        json_object_object_add(o, "history", h);
        *rc = srv_db_query(db, &st,
                           "SELECT ct, pt, ct_ratio, pt_ratio, multiplier, after_seq, at_ts, at_wh,"
                           " set_at, set_by FROM meter_multipliers WHERE meter_id = $1 ORDER BY id",
                           "i", meter_id);
        while (*rc >= 0 && (*rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *x = json_object_new_object();

                srv_jadd_str(x, "ct", srv_stmt_text(st, 0));
                srv_jadd_str(x, "pt", srv_stmt_text(st, 1));
                srv_jadd_i64(x, "ct_ratio", srv_stmt_i64(st, 2));
                srv_jadd_i64(x, "pt_ratio", srv_stmt_i64(st, 3));
                srv_jadd_i64(x, "multiplier", srv_stmt_i64(st, 4));
                srv_jadd_i64(x, "after_seq", srv_stmt_i64(st, 5));
                srv_jadd_i64_or_null(x, "at", srv_stmt_is_null(st, 6), srv_stmt_i64(st, 6));
                srv_jadd_i64_or_null(x, "register_wh", srv_stmt_is_null(st, 7),
                                     srv_stmt_i64(st, 7));
                srv_jadd_i64(x, "set_at", srv_stmt_i64(st, 8));
                srv_jadd_str(x, "by", srv_stmt_text(st, 9));
                json_object_array_add(h, x);
                /* the latest is in force */
                srv_jadd_i64(o, "multiplier", srv_stmt_i64(st, 4));
                srv_jadd_str(o, "ct", srv_stmt_text(st, 0));
                srv_jadd_str(o, "pt", srv_stmt_text(st, 1));
        }
        srv_stmt_done(st);
        return o;
}

/* The meter of the path: its id and account (0: none); 0 after a 404. */
static int path_meter(struct srv_req *rq, struct srv_resp *rs, int64_t *id, int64_t *account)
{
        int rc = srv_meter_id(rq->db, rq->params.v[0], id, NULL);

        if (rc == 0)
                srv_reply_errorf(rs, 404, "not_found", "", "no meter '%s'", rq->params.v[0]);
        if (rc > 0)
                rc = srv_db_query_i64(rq->db, account,
                                      "SELECT coalesce(account_id, 0) FROM meters WHERE id = $1",
                                      "i", *id);
        return rc;
}

static void reply_show(struct srv_req *rq, struct srv_resp *rs, int64_t meter_id, int status)
{
        int rc;
        json_object *o = show(rq->db, meter_id, rq->params.v[0], &rc);

        if (rc < 0) {
                json_object_put(o);
                srv_reply_db_error(rs, rq, rc);
        } else {
                srv_reply_json(rs, status, o);
        }
}

void srv_h_meter_multiplier_set(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const keys[] = {"ct", "pt", "register_wh", "at", NULL};
        struct change c;
        struct srv_err e = {0};
        int64_t meter_id = 0, account = 0;
        json_object *b;
        int rc = 0;

        if (srv_req_body(rq, rs, keys, &b) < 0)
                return;
        if (read_body(b, &c, &e) < 0 || (rc = path_meter(rq, rs, &meter_id, &account)) == 0) {
                if (e.status)
                        srv_reply_error(rs, &e);
                goto out;
        }
        if (rc > 0)
                rc = srv_db_begin(rq->db);
        if (rc >= 0 && account)
                rc = srv_db_lock(rq->db, SRV_LOCK_ACCOUNT, account);
        if (rc >= 0 && (rc = change_point(rq->db, meter_id, &c, &e)) < 0 && e.status) {
                srv_db_rollback(rq->db);
                srv_reply_error(rs, &e);
                goto out;
        }
        if (rc >= 0)
                rc = srv_db_exec_args(
                    rq->db,
                    "INSERT INTO meter_multipliers (meter_id, after_seq, at_ts, at_wh, ct, pt,"
                    " ct_ratio, pt_ratio, multiplier, set_at, set_by)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    "iiIIttiiiit", meter_id, c.after_seq, c.at.given ? c.at.t : SRV_DB_NULL_I64,
                    c.at.given ? c.at.wh : SRV_DB_NULL_I64, c.ct, c.pt, c.ct_ratio, c.pt_ratio, c.k,
                    mb_realtime_s(), rq->auth.name);
        if (rc >= 0 && account)
                rc = apply_to_account(rq, account, meter_id, &c);
        if (srv_req_commit(rq, rs, rc) < 0)
                goto out;
        reply_show(rq, rs, meter_id, 201);
out:
        json_object_put(b);
}

void srv_h_meter_multiplier_show(struct srv_req *rq, struct srv_resp *rs)
{
        int64_t meter_id = 0, account = 0;

        if (path_meter(rq, rs, &meter_id, &account) > 0)
                reply_show(rq, rs, meter_id, 200);
        else if (!rs->status)
                srv_reply_db_error(rs, rq, MB_ESTORE);
}
