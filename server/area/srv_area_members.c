/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /areas/CODE/members: the usual way to find the meter behind a loss is
 * to sort the area's meters by how much each one's energy changed against
 * its own history.  A stopped or bypassed meter drops to nothing while the
 * main meter still sees the load, so it comes first.
 *
 * A meter's history is its own energy on each of the N days before (any
 * area, computable days only); its baseline their mean, rounded half away
 * from zero; change = energy - baseline.
 */
#include <stdlib.h>
#include <string.h>

#include "mb_walk.h"
#include "srv_area_api.h"
#include "srv_areas.h"

#define HISTORY_DAYS 7 /* the week before */
#define MAX_HISTORY 31

enum member_state { M_OK = 0, M_NO_HISTORY, M_MISSING, M_BACKWARDS };
static const char *const state_names[] = {"ok", "no_history", "missing", "backwards"};

struct member {
        long meter;
        int main, state, days;
        int64_t wh, baseline, change;
        struct srv_amiss miss;
};

struct ctx {
        struct srv_apcache *pc;
        const struct srv_ameters *m;
        int day, history;
};

/* The meter's energy on day d: 0 and *wh, 1 not computable (*miss when a
 * point is missing), or a store error. */
static int day_energy(struct ctx *c, long i, int d, int64_t *wh, struct srv_amiss *miss,
                      int *backwards)
{
        int rc = MB_OK,
            r = srv_aseg_energy(c->pc, c->m, i, mb_walk_day_start(d),
                                mb_walk_day_start(mb_walk_day_add(d, 1)), wh, miss, &rc);

        if (r == -2)
                return rc;
        *backwards = r == SRV_AENERGY_BACKWARDS;
        return r == SRV_AENERGY_OK || r == SRV_AENERGY_ROLLOVER ? 0 : 1;
}

static int measure(struct ctx *c, struct member *x)
{
        int64_t sum = 0, wh = 0;
        struct srv_amiss miss;
        int back = 0, rc = day_energy(c, x->meter, c->day, &x->wh, &x->miss, &back);

        if (rc < 0)
                return rc;
        if (rc > 0) {
                x->state = back ? M_BACKWARDS : M_MISSING;
                return MB_OK;
        }
        for (int k = 1; k <= c->history; k++) {
                rc = day_energy(c, x->meter, mb_walk_day_add(c->day, -k), &wh, &miss, &back);
                if (rc < 0)
                        return rc;
                if (rc == 0 && !__builtin_add_overflow(sum, wh, &sum))
                        x->days++;
        }
        if (x->days == 0 || srv_area_muldiv(sum, 1, x->days, &x->baseline) != MB_OK) {
                x->state = M_NO_HISTORY;
                return MB_OK;
        }
        x->change = x->wh - x->baseline;
        return MB_OK;
}

static int64_t mag(int64_t v)
{
        return v < 0 ? (v == INT64_MIN ? INT64_MAX : -v) : v;
}

/* Attention first: the biggest change against its own history, then those
 * without a history, then those that cannot be measured that day. */
static int member_cmp(const void *a, const void *b)
{
        const struct member *x = a, *y = b;

        if (x->state != y->state)
                return x->state < y->state ? -1 : 1;
        if (x->state == M_OK && mag(x->change) != mag(y->change))
                return mag(x->change) > mag(y->change) ? -1 : 1;
        return x->meter < y->meter ? -1 : x->meter > y->meter;
}

/* Members and main meters standing in area a on day d (one entry per
 * meter), into *out. */
static int on_day(const struct srv_asegs *segs, int64_t area_id, int d, struct member **out,
                  size_t *n)
{
        int64_t t0 = mb_walk_day_start(d), t1 = mb_walk_day_start(mb_walk_day_add(d, 1));

        *out = calloc(segs->n ? segs->n : 1, sizeof(**out));
        *n = 0;
        if (*out == NULL)
                return MB_ENOMEM;
        for (size_t k = 0; k < segs->n; k++) {
                const struct srv_aseg *g = &segs->v[k];

                if (g->area_id != area_id || g->from >= t1 || g->to <= t0)
                        continue;
                if (*n && (*out)[*n - 1].meter == g->meter)
                        continue;
                (*out)[*n].meter = g->meter;
                (*out)[(*n)++].main = g->main;
        }
        return MB_OK;
}

/* Account and holder of each meter of the area, by meter id. */
static int add_accounts(srv_db *db, int64_t area_id, const struct srv_ameters *m,
                        json_object **rows)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT m.id, a.number, a.holder FROM meters m"
                              " JOIN accounts a ON a.id = m.account_id WHERE m.id IN"
                              " (SELECT meter_id FROM area_meters WHERE area_id = $1)",
                              "i", area_id);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                long i = srv_ameters_find(m, srv_stmt_i64(st, 0));

                if (i >= 0 && rows[i]) {
                        srv_jadd_str(rows[i], "account", srv_stmt_text(st, 1));
                        srv_jadd_str(rows[i], "holder", srv_stmt_text(st, 2));
                }
        }
        srv_stmt_done(st);
        return rc;
}

static json_object *member_json(const struct member *x, const struct srv_ameters *m)
{
        json_object *o = json_object_new_object();
        int known = x->state == M_OK || x->state == M_NO_HISTORY;

        srv_jadd_str(o, "meter", m->v[x->meter].address);
        srv_jadd_str(o, "role", x->main ? "main" : "member");
        json_object_object_add(o, "account", NULL);
        json_object_object_add(o, "holder", NULL);
        srv_jadd_str(o, "state", state_names[x->state]);
        srv_jadd_i64_or_null(o, "energy_wh", !known, x->wh);
        srv_jadd_i64_or_null(o, "baseline_wh", x->state != M_OK, x->baseline);
        srv_jadd_i64_or_null(o, "change_wh", x->state != M_OK, x->change);
        {
                int64_t r = 0;
                int none = x->state != M_OK || x->baseline <= 0 ||
                           srv_area_muldiv(x->wh, 1000, x->baseline, &r) != MB_OK;

                srv_jadd_i64_or_null(o, "ratio_milli", none, r);
        }
        srv_jadd_i64(o, "history_days", x->days);
        if (x->state == M_MISSING) {
                srv_jadd_i64(o, "missing_at", x->miss.at);
                srv_jadd_str(o, "missing", srv_apoint_state_name(x->miss.state));
        }
        return o;
}

/* Build the answer: the day's loss, the main meter(s) and the members. */
static int answer(srv_db *db, const struct srv_area_row *a, struct ctx *c,
                  const struct srv_asegs *segs, json_object *o)
{
        json_object **rows = calloc(c->m->n ? c->m->n : 1, sizeof(*rows));
        json_object *mains = json_object_new_array(), *list = json_object_new_array();
        struct member *v = NULL;
        struct srv_aloss loss;
        size_t n = 0;
        int rc = rows ? on_day(segs, a->id, c->day, &v, &n) : MB_ENOMEM;

        for (size_t k = 0; rc >= 0 && k < n; k++)
                rc = measure(c, &v[k]);
        if (rc >= 0)
                rc = srv_aloss_compute(c->pc, c->m, segs, a->id, mb_walk_day_start(c->day),
                                       mb_walk_day_start(mb_walk_day_add(c->day, 1)), a->min_bp,
                                       a->max_bp, &loss);
        if (rc >= 0) {
                qsort(v, n, sizeof(*v), member_cmp);
                json_object_object_add(o, "loss", srv_aloss_json(&loss, c->m));
                for (size_t k = 0; k < n; k++) {
                        rows[v[k].meter] = member_json(&v[k], c->m);
                        json_object_array_add(v[k].main ? mains : list, rows[v[k].meter]);
                }
                rc = add_accounts(db, a->id, c->m, rows);
        }
        json_object_object_add(o, "main", mains);
        json_object_object_add(o, "members", list);
        free(v);
        free(rows);
        return rc;
}

void srv_h_area_members(struct srv_req *rq, struct srv_resp *rs)
{
        struct srv_area_row *a = NULL;
        struct srv_ameters m = {0};
        struct srv_asegs segs = {0};
        struct ctx c = {.m = &m, .history = HISTORY_DAYS};
        const char *h = srv_req_query(rq, "history");
        json_object *o;
        size_t na = 0;
        char date[11];
        int rc;

        if (h && (strspn(h, "0123456789") != strlen(h) || !*h || strlen(h) > 2 ||
                  (c.history = atoi(h)) < 1 || c.history > MAX_HISTORY)) {
                srv_reply_errorf(rs, 400, "bad_field", "history",
                                 "'history' is a number of days, 1 to %d", MAX_HISTORY);
                return;
        }
        if (srv_area_day_param(rq, rs, "day", &c.day) < 0)
                return;
        rc = srv_area_rows(rq->db, rq->params.v[0], &a, &na);
        if (rc >= 0 && na == 0) {
                free(a);
                srv_reply_errorf(rs, 404, "not_found", "", "no area '%s'", rq->params.v[0]);
                return;
        }
        if (rc >= 0)
                rc = srv_ameters_load(rq->db, SRV_ASCOPE_AREA, a->id, &m);
        if (rc >= 0)
                rc = srv_asegs_load(rq->db, SRV_ASCOPE_AREA, a->id, &m, mb_walk_day_start(c.day),
                                    mb_walk_day_start(mb_walk_day_add(c.day, 1)), &segs);
        if (rc >= 0 && (c.pc = srv_apcache_new(rq->db, SRV_ASCOPE_AREA, a->id, &m)) == NULL)
                rc = MB_ENOMEM;
        o = json_object_new_object();
        if (rc >= 0) {
                srv_jadd_str(o, "area", a->code);
                srv_jadd_str(o, "name", a->name);
                srv_area_day_text(c.day, date);
                srv_jadd_str(o, "date", date);
                srv_jadd_i64(o, "history_days", c.history);
                rc = answer(rq->db, a, &c, &segs, o);
        }
        if (rc < 0) {
                json_object_put(o);
                srv_reply_db_error(rs, rq, rc);
        } else {
                srv_reply_json(rs, 200, o);
        }
        srv_apcache_free(c.pc);
        srv_asegs_free(&segs);
        srv_ameters_free(&m);
        free(a);
}
