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

/* Every area's loss over day d, ranked, into *out (the caller frees; *m
 * too).  MB_OK or an error. */
static int rank_day(srv_db *db, int d, const struct srv_area_row *rows, size_t n,
                    struct srv_ameters *m, struct ranked **out)
{
        int64_t t0 = mb_walk_day_start(d), t1 = mb_walk_day_start(mb_walk_day_add(d, 1));
        struct srv_asegs segs = {0};
        struct srv_apcache *pc = NULL;
        struct ranked *v = calloc(n ? n : 1, sizeof(*v));
        int rc = v ? srv_ameters_load(db, SRV_ASCOPE_AREAS, 0, m) : MB_ENOMEM;

        if (rc >= 0)
                rc = srv_asegs_load(db, SRV_ASCOPE_AREAS, 0, m, t0, t1, &segs);
        if (rc >= 0 && (pc = srv_apcache_new(db, SRV_ASCOPE_AREAS, 0, m)) == NULL)
                rc = MB_ENOMEM;
        for (size_t i = 0; rc >= 0 && i < n; i++) {
                v[i].area = &rows[i];
                rc = srv_aloss_compute(pc, m, &segs, rows[i].id, t0, t1, rows[i].min_bp,
                                       rows[i].max_bp, &v[i].loss);
        }
        srv_apcache_free(pc);
        srv_asegs_free(&segs);
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

void srv_h_stats_areas(struct srv_req *rq, struct srv_resp *rs)
{
        struct srv_area_row *rows = NULL;
        struct srv_ameters m = {0};
        struct ranked *v = NULL;
        json_object *o, *list, *kinds;
        int64_t limit, count[3] = {0, 0, 0};
        size_t n = 0;
        int d, rc;

        if (srv_area_day_param(rq, rs, "day", &d) < 0 || limit_param(rq, rs, &limit) < 0)
                return;
        rc = srv_area_rows(rq->db, NULL, &rows, &n);
        if (rc >= 0)
                rc = rank_day(rq->db, d, rows, n, &m, &v);
        if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
                goto out;
        }
        o = json_object_new_object();
        list = json_object_new_array();
        kinds = json_object_new_object();
        add_day(o, d);
        for (size_t i = 0; i < n; i++) {
                count[v[i].loss.state]++;
                if ((int64_t)i < limit)
                        json_object_array_add(list, ranked_json(&v[i], &m));
        }
        srv_jadd_i64(o, "total", (int64_t)n);
        for (int k = 0; k < 3; k++)
                srv_jadd_i64(kinds, srv_aloss_state_name(k), count[k]);
        json_object_object_add(o, "kinds", kinds);
        json_object_object_add(o, "areas", list);
        srv_reply_json(rs, 200, o);
out:
        free(v);
        free(rows);
        srv_ameters_free(&m);
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
