/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collection success (采集成功率): the share of meters whose daily reading
 * arrived.  A meter's daily reading of day D is its boundary point at the
 * midnight that ends D (srv_area_calc.h: its frozen register, or a reading
 * within the window), the figure a master station reports on the morning
 * after.  Per region: every meter that existed then, by its gateway's
 * region.  Per area: the meters standing in it on D, main meter included.
 */
#include <stdlib.h>
#include <string.h>

#include "mb_walk.h"
#include "srv_area_api.h"

int64_t srv_acollect_rate(int64_t expected, int64_t collected)
{
        int64_t r = -1;

        if (expected <= 0 || srv_area_muldiv(collected, 10000, expected, &r) != MB_OK)
                return -1;
        return r;
}

/* Worst first: the lowest share, then the most missing, then by code. */
static int collect_cmp(const void *a, const void *b)
{
        const struct srv_acollect *x = a, *y = b;
        int64_t rx = srv_acollect_rate(x->expected, x->collected);
        int64_t ry = srv_acollect_rate(y->expected, y->collected);

        if ((rx < 0) != (ry < 0))
                return rx < 0 ? 1 : -1;
        if (rx != ry)
                return rx < ry ? -1 : 1;
        if (x->expected - x->collected != y->expected - y->collected)
                return x->expected - x->collected > y->expected - y->collected ? -1 : 1;
        return strcmp(x->code, y->code);
}

static void count(struct srv_acollect *c, const struct srv_apoint *p, long i)
{
        c->expected++;
        if (srv_apoint_collected(&p[i]))
                c->collected++;
        else if (c->nmiss < (int)(sizeof(c->miss) / sizeof(c->miss[0])))
                c->miss[c->nmiss++] = i;
        else
                c->nmiss++;
}

static int region_cmp(const void *a, const void *b)
{
        return strcmp(((const struct srv_acollect *)a)->code,
                      ((const struct srv_acollect *)b)->code);
}

/* One entry per region of the meters that existed at T. */
static int by_region(const struct srv_ameters *m, const struct srv_apoint *p, int64_t T,
                     struct srv_acollect **out, size_t *n)
{
        struct srv_acollect *v = calloc(m->n ? m->n : 1, sizeof(*v));

        *out = v;
        *n = 0;
        if (v == NULL)
                return MB_ENOMEM;
        for (size_t i = 0; i < m->n; i++) {
                struct srv_acollect key, *c;

                if (m->v[i].bound_at >= T)
                        continue;
                memcpy(key.code, m->v[i].region, sizeof(m->v[i].region));
                c = *n ? bsearch(&key, v, *n, sizeof(*v), region_cmp) : NULL;
                if (c == NULL) { /* a new region: insert in order */
                        size_t k = *n;

                        while (k > 0 && strcmp(v[k - 1].code, key.code) > 0) {
                                v[k] = v[k - 1];
                                k--;
                        }
                        memset(&v[k], 0, sizeof(v[k]));
                        memcpy(v[k].code, key.code, sizeof(key.code));
                        c = &v[k];
                        (*n)++;
                }
                count(c, p, (long)i);
        }
        qsort(v, *n, sizeof(*v), collect_cmp);
        return MB_OK;
}

/* One entry per area: its meters standing in it on [t0, t1). */
static void by_area(const struct srv_asegs *segs, const struct srv_apoint *p,
                    const struct srv_area_row *rows, size_t nrows, struct srv_acollect *v)
{
        size_t k = 0;

        for (size_t a = 0; a < nrows; a++) {
                long last = -1;

                memset(&v[a], 0, sizeof(v[a]));
                memcpy(v[a].code, rows[a].code, sizeof(v[a].code));
                v[a].area = &rows[a];
                /* segments are by area id; rows by code: look each one up */
                for (k = 0; k < segs->n; k++)
                        if (segs->v[k].area_id == rows[a].id && segs->v[k].meter != last) {
                                last = segs->v[k].meter;
                                count(&v[a], p, last);
                        }
        }
        qsort(v, nrows, sizeof(*v), collect_cmp);
}

int srv_acollect_day(srv_db *db, int day, const struct srv_area_row *rows, size_t nrows,
                     struct srv_ameters *m, struct srv_acollect **regions, size_t *nregions,
                     struct srv_acollect **areas, int64_t *fleet_expected, int64_t *fleet_collected)
{
        int64_t t0 = mb_walk_day_start(day), T = mb_walk_day_start(mb_walk_day_add(day, 1));
        struct srv_asegs segs = {0};
        struct srv_apoint *p = NULL;
        int rc = srv_ameters_load(db, SRV_ASCOPE_ALL, 0, m);

        *regions = *areas = NULL;
        *nregions = 0;
        if (rc >= 0 && (p = calloc(m->n ? m->n : 1, sizeof(*p))) == NULL)
                rc = MB_ENOMEM;
        if (rc >= 0)
                rc = srv_apoints_at(db, SRV_ASCOPE_ALL, 0, m, T, p);
        if (rc >= 0)
                rc = srv_asegs_load(db, SRV_ASCOPE_ALL, 0, m, t0, T, &segs);
        if (rc >= 0)
                rc = by_region(m, p, T, regions, nregions);
        if (rc >= 0 && (*areas = calloc(nrows ? nrows : 1, sizeof(**areas))) == NULL)
                rc = MB_ENOMEM;
        if (rc >= 0)
                by_area(&segs, p, rows, nrows, *areas);
        *fleet_expected = *fleet_collected = 0;
        for (size_t i = 0; rc >= 0 && i < *nregions; i++) {
                *fleet_expected += (*regions)[i].expected;
                *fleet_collected += (*regions)[i].collected;
        }
        srv_asegs_free(&segs);
        free(p);
        if (rc < 0) {
                free(*regions);
                free(*areas);
                *regions = *areas = NULL;
        }
        return rc;
}
