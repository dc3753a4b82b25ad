/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The wall's views of areas (docs/api.md, Monitoring): every area's line
 * loss on one day, anomalies first, and collection success by region and
 * by area, worst first.
 */
#include <stdlib.h>
#include <string.h>

#include "mb_walk.h"
#include "srv_area_api.h"
#include "srv_areas.h"

struct ranked {
        const struct srv_area_row *area;
        struct srv_aloss loss;
};

/* Attention first: out of band (the furthest outside first), then not
 * computable (the most points missing first), then in band (the highest
 * rate first), then by code. */
static int rank_cmp(const void *a, const void *b)
{
        const struct ranked *x = a, *y = b;
        static const int order[] = {2, 0, 1}; /* ok, out_of_band, not_computable */
        int ox = order[x->loss.state], oy = order[y->loss.state];

        if (ox != oy)
                return ox < oy ? -1 : 1;
        if (x->loss.state == SRV_ALOSS_OUT_OF_BAND && x->loss.outside_bp != y->loss.outside_bp)
                return x->loss.outside_bp > y->loss.outside_bp ? -1 : 1;
        if (x->loss.state == SRV_ALOSS_NOT_COMPUTABLE && x->loss.nmiss != y->loss.nmiss)
                return x->loss.nmiss > y->loss.nmiss ? -1 : 1;
        if (x->loss.state == SRV_ALOSS_OK && x->loss.rate_bp != y->loss.rate_bp)
                return x->loss.rate_bp > y->loss.rate_bp ? -1 : 1;
        return strcmp(x->area->code, y->area->code);
}

/* One day of every area: the points of every meter that stood in one. */
struct day {
        int d;
        int64_t t0, t1;
        struct srv_ameters m;
        struct srv_asegs segs;
        struct srv_apcache *pc;
};

static int day_open(srv_db *db, int d, struct day *x)
{
        int rc;

        memset(x, 0, sizeof(*x));
        x->d = d;
        x->t0 = mb_walk_day_start(d);
        x->t1 = mb_walk_day_start(mb_walk_day_add(d, 1));
        rc = srv_ameters_load(db, SRV_ASCOPE_AREAS, 0, &x->m);
        if (rc >= 0)
                rc = srv_asegs_load(db, SRV_ASCOPE_AREAS, 0, &x->m, x->t0, x->t1, &x->segs);
        if (rc >= 0 && (x->pc = srv_apcache_new(db, SRV_ASCOPE_AREAS, 0, &x->m)) == NULL)
                rc = MB_ENOMEM;
        return rc;
}

static void day_close(struct day *x)
{
        srv_apcache_free(x->pc);
        srv_asegs_free(&x->segs);
        srv_ameters_free(&x->m);
}

/* Every area's loss over the day, ranked, into *out (the caller frees).
 * MB_OK or an error. */
static int rank_day(struct day *x, const struct srv_area_row *rows, size_t n, struct ranked **out)
{
        struct ranked *v = calloc(n ? n : 1, sizeof(*v));
        int rc = v ? MB_OK : MB_ENOMEM;

        for (size_t i = 0; rc >= 0 && i < n; i++) {
                v[i].area = &rows[i];
                rc = srv_aloss_compute(x->pc, &x->m, &x->segs, rows[i].id, x->t0, x->t1,
                                       rows[i].min_bp, rows[i].max_bp, &v[i].loss);
        }
        if (rc < 0) {
                free(v);
                return rc;
        }
        qsort(v, n, sizeof(*v), rank_cmp);
        *out = v;
        return MB_OK;
}

static json_object *ranked_json(const struct ranked *r, const struct srv_ameters *m)
{
        json_object *o = srv_aloss_json(&r->loss, m);

        srv_jadd_str(o, "code", r->area->code);
        srv_jadd_str(o, "name", r->area->name);
        srv_jadd_str(o, "region", r->area->region);
        srv_jadd_i64(o, "loss_min_bp", r->area->min_bp);
        srv_jadd_i64(o, "loss_max_bp", r->area->max_bp);
        return o;
}

static int limit_param(struct srv_req *rq, struct srv_resp *rs, int64_t *limit)
{
        const char *s = srv_req_query(rq, "limit");

        *limit = 500;
        if (s == NULL)
                return 0;
        if (!*s || strlen(s) > 4 || strspn(s, "0123456789") != strlen(s) ||
            (*limit = atoi(s)) < 1 || *limit > 1000) {
                srv_reply_errorf(rs, 400, "bad_field", "limit", "'limit' must be 1 to 1000");
                return -1;
        }
        return 0;
}

static void add_day(json_object *o, int d)
{
        char date[11];

        srv_area_day_text(d, date);
        srv_jadd_str(o, "date", date);
        srv_jadd_i64(o, "from", mb_walk_day_start(d));
        srv_jadd_i64(o, "to", mb_walk_day_start(mb_walk_day_add(d, 1)));
}

/* The member whose change is biggest, as "suspect", on the first
 * SUSPECTS out-of-band rows; the first one's members as "worst". */
#define SUSPECTS 20
#define WORST_MEMBERS 20
static int suspects(srv_db *db, struct day *x, const struct ranked *v, size_t n, json_object **rows,
                    json_object *o)
{
        json_object *worst = NULL;
        int rc = MB_OK;

        for (size_t i = 0; rc >= 0 && i < n && i < SUSPECTS; i++) {
                json_object *mains, *members, *first;

                if (v[i].loss.state != SRV_ALOSS_OUT_OF_BAND)
                        break;
                mains = json_object_new_array();
                members = json_object_new_array();
                rc = srv_amembers_json(db, x->pc, &x->m, &x->segs, v[i].area->id, x->d,
                                       SRV_AREA_HISTORY_DAYS, worst ? 1 : WORST_MEMBERS, mains,
                                       members);
                first = json_object_array_length(members) ? json_object_array_get_idx(members, 0)
                                                          : NULL;
                json_object_object_add(rows[i], "suspect", first ? json_object_get(first) : NULL);
                if (!worst && rc >= 0) {
                        worst = json_object_new_object();
                        srv_jadd_str(worst, "code", v[i].area->code);
                        srv_jadd_str(worst, "name", v[i].area->name);
                        srv_jadd_i64(worst, "rate_bp", v[i].loss.rate_bp);
                        json_object_object_add(worst, "main", json_object_get(mains));
                        json_object_object_add(worst, "members", json_object_get(members));
                }
                json_object_put(mains);
                json_object_put(members);
        }
        json_object_object_add(o, "worst", worst);
        return rc;
}

void srv_h_stats_areas(struct srv_req *rq, struct srv_resp *rs)
{
        struct srv_area_row *rows = NULL;
        struct ranked *v = NULL;
        struct day x = {0};
        json_object *o = NULL, *list, *kinds, **out = NULL;
        int64_t limit, count[3] = {0, 0, 0};
        size_t n = 0;
        int d, rc;

        if (srv_area_day_param(rq, rs, "day", &d) < 0 || limit_param(rq, rs, &limit) < 0)
                return;
        rc = srv_area_rows(rq->db, NULL, &rows, &n);
        if (rc >= 0)
                rc = day_open(rq->db, d, &x);
        if (rc >= 0)
                rc = rank_day(&x, rows, n, &v);
        if (rc >= 0 && (out = calloc(n ? n : 1, sizeof(*out))) == NULL)
                rc = MB_ENOMEM;
        if (rc >= 0) {
                o = json_object_new_object();
                list = json_object_new_array();
                kinds = json_object_new_object();
                add_day(o, d);
                for (size_t i = 0; i < n; i++) {
                        count[v[i].loss.state]++;
                        out[i] = ranked_json(&v[i], &x.m);
                        if ((int64_t)i < limit)
                                json_object_array_add(list, out[i]);
                        else
                                json_object_put(out[i]), out[i] = NULL;
                }
                srv_jadd_i64(o, "total", (int64_t)n);
                for (int k = 0; k < 3; k++)
                        srv_jadd_i64(kinds, srv_aloss_state_name(k), count[k]);
                json_object_object_add(o, "kinds", kinds);
                json_object_object_add(o, "areas", list);
                rc = suspects(rq->db, &x, v, n < (size_t)limit ? n : (size_t)limit, out, o);
        }
        if (rc < 0) {
                json_object_put(o);
                srv_reply_db_error(rs, rq, rc);
        } else {
                srv_reply_json(rs, 200, o);
        }
        day_close(&x);
        free(out);
        free(v);
        free(rows);
}

static json_object *collect_json(const struct srv_acollect *c, const struct srv_ameters *m)
{
        json_object *o = json_object_new_object(), *miss;
        int64_t rate = srv_acollect_rate(c->expected, c->collected);

        if (c->area) {
                srv_jadd_str(o, "code", c->area->code);
                srv_jadd_str(o, "name", c->area->name);
                srv_jadd_str(o, "region", c->area->region);
        } else {
                srv_jadd_str(o, "region", c->code);
        }
        srv_jadd_i64(o, "expected", c->expected);
        srv_jadd_i64(o, "collected", c->collected);
        srv_jadd_i64_or_null(o, "rate_bp", rate < 0, rate);
        if (c->area) {
                miss = json_object_new_array();
                for (int i = 0; i < c->nmiss && i < (int)(sizeof(c->miss) / sizeof(c->miss[0]));
                     i++)
                        json_object_array_add(miss,
                                              json_object_new_string(m->v[c->miss[i]].address));
                json_object_object_add(o, "missing", miss);
        }
        return o;
}

void srv_h_stats_collection(struct srv_req *rq, struct srv_resp *rs)
{
        struct srv_area_row *rows = NULL;
        struct srv_acollect *regions = NULL, *areas = NULL;
        struct srv_ameters m = {0};
        json_object *o, *r, *a;
        int64_t expected = 0, collected = 0, rate;
        size_t n = 0, nr = 0;
        int d, rc;

        if (srv_area_day_param(rq, rs, "day", &d) < 0)
                return;
        rc = srv_area_rows(rq->db, NULL, &rows, &n);
        if (rc >= 0)
                rc = srv_acollect_day(rq->db, d, rows, n, &m, &regions, &nr, &areas, &expected,
                                      &collected);
        if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
                goto out;
        }
        o = json_object_new_object();
        r = json_object_new_array();
        a = json_object_new_array();
        add_day(o, d);
        srv_jadd_i64(o, "at", mb_walk_day_start(mb_walk_day_add(d, 1)));
        srv_jadd_i64(o, "expected", expected);
        srv_jadd_i64(o, "collected", collected);
        rate = srv_acollect_rate(expected, collected);
        srv_jadd_i64_or_null(o, "rate_bp", rate < 0, rate);
        for (size_t i = 0; i < nr; i++)
                json_object_array_add(r, collect_json(&regions[i], &m));
        for (size_t i = 0; i < n; i++)
                json_object_array_add(a, collect_json(&areas[i], &m));
        json_object_object_add(o, "regions", r);
        json_object_object_add(o, "areas", a);
        srv_reply_json(rs, 200, o);
out:
        free(regions);
        free(areas);
        free(rows);
        srv_ameters_free(&m);
}
