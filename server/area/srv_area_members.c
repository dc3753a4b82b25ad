/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An area's members by their change: the usual way to find the meter behind
 * a loss is to sort the area's meters by how much each one's energy changed
 * against its own history.  A stopped or bypassed meter drops to nothing
 * while the main meter still sees its load, so it comes first.
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

#define MAX_HISTORY 31

static const char *const state_names[] = {"ok", "no_history", "missing", "backwards"};

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

static int measure(struct ctx *c, struct srv_amember *x)
{
        int64_t sum = 0, wh = 0;
        struct srv_amiss miss;
        int back = 0, rc = day_energy(c, x->meter, c->day, &x->wh, &x->miss, &back);

        if (rc < 0)
                return rc;
        if (rc > 0) {
                x->state = back ? SRV_AMEMBER_BACKWARDS : SRV_AMEMBER_MISSING;
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
                x->state = SRV_AMEMBER_NO_HISTORY;
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
        const struct srv_amember *x = a, *y = b;

        if (x->main != y->main)
                return x->main ? -1 : 1;
        if (x->state != y->state)
                return x->state < y->state ? -1 : 1;
        if (x->state == SRV_AMEMBER_OK && mag(x->change) != mag(y->change))
                return mag(x->change) > mag(y->change) ? -1 : 1;
        return x->meter < y->meter ? -1 : x->meter > y->meter;
}

int srv_amembers(struct srv_apcache *pc, const struct srv_ameters *m, const struct srv_asegs *segs,
                 int64_t area_id, int day, int history, struct srv_amember **out, size_t *n)
{
        int64_t t0 = mb_walk_day_start(day), t1 = mb_walk_day_start(mb_walk_day_add(day, 1));
        struct ctx c = {pc, m, day, history};
        struct srv_amember *v = calloc(segs->n ? segs->n : 1, sizeof(*v));
        int rc = v ? MB_OK : MB_ENOMEM;

        *n = 0;
        /* one entry per meter standing in the area that day */
        for (size_t k = 0; rc >= 0 && k < segs->n; k++) {
                const struct srv_aseg *g = &segs->v[k];

                if (g->area_id != area_id || g->from >= t1 || g->to <= t0 ||
                    (*n && v[*n - 1].meter == g->meter))
                        continue;
                v[*n].meter = g->meter;
                v[*n].main = g->main;
                rc = measure(&c, &v[(*n)++]);
        }
        if (rc < 0) {
                free(v);
                return rc;
        }
        qsort(v, *n, sizeof(*v), member_cmp);
        *out = v;
        return MB_OK;
}

json_object *srv_amember_json(const struct srv_amember *x, const struct srv_ameters *m)
{
        json_object *o = json_object_new_object();
        int known = x->state == SRV_AMEMBER_OK || x->state == SRV_AMEMBER_NO_HISTORY;
        int64_t r = 0;
        int no_ratio = x->state != SRV_AMEMBER_OK || x->baseline <= 0 ||
                       srv_area_muldiv(x->wh, 1000, x->baseline, &r) != MB_OK;

        srv_jadd_str(o, "meter", m->v[x->meter].address);
        srv_jadd_str(o, "role", x->main ? "main" : "member");
        json_object_object_add(o, "account", NULL);
        json_object_object_add(o, "holder", NULL);
        srv_jadd_str(o, "state", state_names[x->state]);
        srv_jadd_i64_or_null(o, "energy_wh", !known, x->wh);
        srv_jadd_i64_or_null(o, "baseline_wh", x->state != SRV_AMEMBER_OK, x->baseline);
        srv_jadd_i64_or_null(o, "change_wh", x->state != SRV_AMEMBER_OK, x->change);
        srv_jadd_i64_or_null(o, "ratio_milli", no_ratio, r);
        srv_jadd_i64(o, "history_days", x->days);
        if (x->state == SRV_AMEMBER_MISSING) {
                srv_jadd_i64(o, "missing_at", x->miss.at);
                srv_jadd_str(o, "missing", srv_apoint_state_name(x->miss.state));
        }
        return o;
}

int srv_amember_accounts(srv_db *db, int64_t area_id, const struct srv_ameters *m,
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
        return rc < 0 ? rc : MB_OK;
}

int srv_amembers_json(srv_db *db, struct srv_apcache *pc, const struct srv_ameters *m,
                      const struct srv_asegs *segs, int64_t area_id, int day, int history,
                      size_t limit, json_object *mains, json_object *members)
{
        json_object **rows = calloc(m->n ? m->n : 1, sizeof(*rows));
        struct srv_amember *v = NULL;
        size_t n = 0, shown = 0;
        int rc = rows ? srv_amembers(pc, m, segs, area_id, day, history, &v, &n) : MB_ENOMEM;

        for (size_t k = 0; rc >= 0 && k < n; k++) {
                if (!v[k].main && shown++ >= limit)
                        continue;
                rows[v[k].meter] = srv_amember_json(&v[k], m);
                json_object_array_add(v[k].main ? mains : members, rows[v[k].meter]);
        }
        if (rc >= 0)
                rc = srv_amember_accounts(db, area_id, m, rows);
        free(v);
        free(rows);
        return rc;
}

/* ?history=N (1..MAX_HISTORY, default HISTORY_DAYS): 0, or -1 after a 400. */
static int history_param(struct srv_req *rq, struct srv_resp *rs, int *history)
{
        const char *h = srv_req_query(rq, "history");

        *history = SRV_AREA_HISTORY_DAYS;
        if (h == NULL)
                return 0;
        if (!*h || strlen(h) > 2 || strspn(h, "0123456789") != strlen(h) ||
            (*history = atoi(h)) < 1 || *history > MAX_HISTORY) {
                srv_reply_errorf(rs, 400, "bad_field", "history",
                                 "'history' is a number of days, 1 to %d", MAX_HISTORY);
                return -1;
        }
        return 0;
}

/* Everything of one area on one day: its loss, main meter and members. */
static int area_day(srv_db *db, const struct srv_area_row *a, int day, int history, json_object *o)
{
        int64_t t0 = mb_walk_day_start(day), t1 = mb_walk_day_start(mb_walk_day_add(day, 1));
        json_object *mains = json_object_new_array(), *list = json_object_new_array();
        struct srv_ameters m = {0};
        struct srv_asegs segs = {0};
        struct srv_apcache *pc = NULL;
        struct srv_aloss loss;
        int rc = srv_ameters_load(db, SRV_ASCOPE_AREA, a->id, &m);

        json_object_object_add(o, "main", mains);
        json_object_object_add(o, "members", list);
        if (rc >= 0)
                rc = srv_asegs_load(db, SRV_ASCOPE_AREA, a->id, &m, t0, t1, &segs);
        if (rc >= 0 && (pc = srv_apcache_new(db, SRV_ASCOPE_AREA, a->id, &m)) == NULL)
                rc = MB_ENOMEM;
        if (rc >= 0)
                rc = srv_aloss_compute(pc, &m, &segs, a->id, t0, t1, a->min_bp, a->max_bp, &loss);
        if (rc >= 0) {
                json_object_object_add(o, "loss", srv_aloss_json(&loss, &m));
                rc = srv_amembers_json(db, pc, &m, &segs, a->id, day, history, SIZE_MAX, mains,
                                       list);
        }
        srv_apcache_free(pc);
        srv_asegs_free(&segs);
        srv_ameters_free(&m);
        return rc;
}

void srv_h_area_members(struct srv_req *rq, struct srv_resp *rs)
{
        struct srv_area_row *a = NULL;
        json_object *o;
        size_t na = 0;
        char date[11];
        int day, history, rc;

        if (history_param(rq, rs, &history) < 0 || srv_area_day_param(rq, rs, "day", &day) < 0)
                return;
        rc = srv_area_rows(rq->db, rq->params.v[0], &a, &na);
        if (rc >= 0 && na == 0) {
                free(a);
                srv_reply_errorf(rs, 404, "not_found", "", "no area '%s'", rq->params.v[0]);
                return;
        }
        o = json_object_new_object();
        if (rc >= 0) {
                srv_jadd_str(o, "area", a->code);
                srv_jadd_str(o, "name", a->name);
                srv_area_day_text(day, date);
                srv_jadd_str(o, "date", date);
                srv_jadd_i64(o, "history_days", history);
                rc = area_day(rq->db, a, day, history, o);
        }
        if (rc < 0) {
                json_object_put(o);
                srv_reply_db_error(rs, rq, rc);
        } else {
                srv_reply_json(rs, 200, o);
        }
        free(a);
}
