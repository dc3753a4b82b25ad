/* SPDX-License-Identifier: Apache-2.0 */
/* An area's line loss by day and month, and its members' changes
 * (srv_area_api.h). */
#include "srv_area_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_tariff.h"
#include "mb_tariff_wire.h"
#include "mb_time.h"
#include "mb_walk.h"
#include "srv_areas.h"

#define MAX_DAYS 92 /* one request's daily figures: a quarter */

static void copy_text(char *dst, size_t len, const char *s)
{
        snprintf(dst, len, "%s", s ? s : "");
}

int srv_area_rows(srv_db *db, const char *code, struct srv_area_row **out, size_t *n)
{
        srv_stmt *st = NULL;
        size_t cap = 0;
        int rc = srv_db_query(db, &st,
                              "SELECT id, code, name, region, loss_min_bp, loss_max_bp FROM areas"
                              " WHERE CAST($1 AS TEXT) IS NULL OR code = $1 ORDER BY code",
                              "t", code);

        *out = NULL;
        *n = 0;
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct srv_area_row *a;

                if (*n == cap) {
                        a = realloc(*out, (cap = cap ? cap * 2 : 16) * sizeof(*a));
                        if (a == NULL) {
                                rc = MB_ENOMEM;
                                break;
                        }
                        *out = a;
                }
                a = &(*out)[(*n)++];
                a->id = srv_stmt_i64(st, 0);
                copy_text(a->code, sizeof(a->code), srv_stmt_text(st, 1));
                copy_text(a->name, sizeof(a->name), srv_stmt_text(st, 2));
                copy_text(a->region, sizeof(a->region), srv_stmt_text(st, 3));
                a->min_bp = srv_stmt_i64(st, 4);
                a->max_bp = srv_stmt_i64(st, 5);
        }
        srv_stmt_done(st);
        if (rc < 0) {
                free(*out);
                *out = NULL;
                *n = 0;
        }
        return rc < 0 ? rc : MB_OK;
}

int srv_area_day_param(struct srv_req *rq, struct srv_resp *rs, const char *name, int *day)
{
        int64_t t = 0;
        char date[11];

        if (srv_area_date_param(rq, rs, name, &t, date) < 0)
                return -1;
        *day = mb_walk_day_of(t);
        if (srv_req_query(rq, name) == NULL) /* default: yesterday, the last whole day */
                *day = mb_walk_day_add(*day, -1);
        return 0;
}

static void add_date(json_object *o, const char *key, int64_t t)
{
        char d[11];

        srv_area_day_text(mb_walk_day_of(t), d);
        srv_jadd_str(o, key, d);
}

json_object *srv_aloss_json(const struct srv_aloss *o, const struct srv_ameters *m)
{
        json_object *j = json_object_new_object(), *miss = json_object_new_array();
        int known = o->state != SRV_ALOSS_NOT_COMPUTABLE;

        add_date(j, "date", o->from);
        srv_jadd_i64(j, "from", o->from);
        srv_jadd_i64(j, "to", o->to);
        srv_jadd_str(j, "state", srv_aloss_state_name(o->state));
        srv_jadd_str(j, "reason", o->reason);
        /* a figure that is not computable is not shown half-made */
        srv_jadd_i64_or_null(j, "supply_wh", !known, o->supply_wh);
        srv_jadd_i64_or_null(j, "sales_wh", !known, o->sales_wh);
        srv_jadd_i64_or_null(j, "loss_wh", !known, o->loss_wh);
        srv_jadd_i64_or_null(j, "rate_bp", !known, o->rate_bp);
        srv_jadd_i64(j, "outside_bp", o->outside_bp);
        srv_jadd_i64(j, "meters", o->meters);
        srv_jadd_i64(j, "collected", o->collected);
        srv_jadd_bool(j, "rollover", o->rollover);
        for (int i = 0; i < o->nmiss && i < SRV_ALOSS_MISS_MAX; i++) {
                json_object *x = json_object_new_object();

                srv_jadd_str(x, "meter", m->v[o->miss[i].meter].address);
                srv_jadd_i64(x, "at", o->miss[i].at);
                srv_jadd_str(x, "state", srv_apoint_state_name(o->miss[i].state));
                json_object_array_add(miss, x);
        }
        json_object_object_add(j, "missing", miss);
        srv_jadd_i64(j, "missing_count", o->nmiss);
        return j;
}

/* The one area of the path, 1; 0 after a 404; or an error. */
static int path_area(struct srv_req *rq, struct srv_resp *rs, struct srv_area_row **a)
{
        size_t n = 0;
        int rc = srv_area_rows(rq->db, rq->params.v[0], a, &n);

        if (rc >= 0 && n == 0) {
                srv_reply_errorf(rs, 404, "not_found", "", "no area '%s'", rq->params.v[0]);
                return 0;
        }
        if (rc < 0)
                srv_reply_db_error(rs, rq, rc);
        return rc < 0 ? rc : 1;
}

static json_object *area_head(const struct srv_area_row *a)
{
        json_object *o = json_object_new_object();

        srv_jadd_str(o, "area", a->code);
        srv_jadd_str(o, "name", a->name);
        srv_jadd_str(o, "region", a->region);
        srv_jadd_i64(o, "loss_min_bp", a->min_bp);
        srv_jadd_i64(o, "loss_max_bp", a->max_bp);
        return o;
}

int srv_area_range_param(struct srv_req *rq, struct srv_resp *rs, int *first, int *last)
{
        if (srv_area_day_param(rq, rs, "to", last) < 0)
                return -1;
        if (srv_req_query(rq, "from") == NULL)
                *first = mb_walk_day_add(*last, -29);
        else if (srv_area_day_param(rq, rs, "from", first) < 0)
                return -1;
        if (*first > *last || mb_walk_day_add(*first, MAX_DAYS) <= *last) {
                srv_reply_errorf(rs, 400, "bad_field", "from",
                                 "'from' must be on or before 'to', at most %d days before",
                                 MAX_DAYS - 1);
                return -1;
        }
        return 0;
}

/* The days [first, last] of the request: month, or from/to.  0 (*month
 * set to a "YYYY-MM" or NULL), or -1 after a 400. */
static int days_param(struct srv_req *rq, struct srv_resp *rs, int *first, int *last,
                      const char **month)
{
        int ym;

        *month = srv_req_query(rq, "month");
        if (*month == NULL)
                return srv_area_range_param(rq, rs, first, last);
        if (!mb_tariff_wire_month_ok(*month)) {
                srv_reply_errorf(rs, 400, "bad_field", "month", "'month' must be \"YYYY-MM\"");
                return -1;
        }
        ym = atoi(*month) * 100 + atoi(*month + 5);
        *first = ym * 100 + 1;
        *last = mb_walk_day_add(mb_walk_day_of(mb_walk_month_start(mb_walk_month_add(ym, 1))), -1);
        return 0;
}

/* Daily figures of area a on days [first, last] into days[], and the
 * whole period's into *whole (when not NULL). */
static int area_days(srv_db *db, const struct srv_area_row *a, int first, int last,
                     struct srv_ameters *m, json_object *days, json_object **whole)
{
        int64_t t0 = mb_walk_day_start(first), t1 = mb_walk_day_start(mb_walk_day_add(last, 1));
        struct srv_asegs segs = {0};
        struct srv_apcache *pc = NULL;
        struct srv_aloss o;
        int rc = srv_ameters_load(db, SRV_ASCOPE_AREA, a->id, m);

        if (rc >= 0)
                rc = srv_asegs_load(db, SRV_ASCOPE_AREA, a->id, m, t0, t1, &segs);
        if (rc >= 0 && (pc = srv_apcache_new(db, SRV_ASCOPE_AREA, a->id, m)) == NULL)
                rc = MB_ENOMEM;
        for (int d = first; rc >= 0 && d <= last; d = mb_walk_day_add(d, 1)) {
                int next = mb_walk_day_add(d, 1);

                rc = srv_aloss_compute(pc, m, &segs, a->id, mb_walk_day_start(d),
                                       mb_walk_day_start(next), a->min_bp, a->max_bp, &o);
                if (rc >= 0)
                        json_object_array_add(days, srv_aloss_json(&o, m));
        }
        if (rc >= 0 && whole) {
                rc = srv_aloss_compute(pc, m, &segs, a->id, t0, t1, a->min_bp, a->max_bp, &o);
                if (rc >= 0)
                        *whole = srv_aloss_json(&o, m);
        }
        srv_apcache_free(pc);
        srv_asegs_free(&segs);
        return rc;
}

void srv_h_area_loss(struct srv_req *rq, struct srv_resp *rs)
{
        struct srv_area_row *a = NULL;
        struct srv_ameters m = {0};
        json_object *o, *days, *whole = NULL;
        const char *month;
        int first, last, rc;

        if (days_param(rq, rs, &first, &last, &month) < 0 || path_area(rq, rs, &a) <= 0) {
                free(a);
                return;
        }
        o = area_head(a);
        days = json_object_new_array();
        rc = area_days(rq->db, a, first, last, &m, days, month ? &whole : NULL);
        if (month) {
                srv_jadd_str(o, "month", month);
                json_object_object_add(o, "month_loss", whole);
        }
        json_object_object_add(o, "days", days);
        if (rc < 0) {
                json_object_put(o);
                srv_reply_db_error(rs, rq, rc);
        } else {
                srv_reply_json(rs, 200, o);
        }
        srv_ameters_free(&m);
        free(a);
}
