/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Line loss and collection success as CSV (docs/dashboard.md, CSV exports):
 * one record per area and day, and per day one for the fleet, one per
 * region and one per area.  Energy as kWh with three decimals and as Wh,
 * rates as percent with two decimals and as hundredths of a percent, from
 * the same integers: no floating point.  Text fields go through the CSV
 * formula guard (srv_csv.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "mb_walk.h"
#include "srv_area_api.h"
#include "srv_areas.h"
#include "srv_export.h"

static void header(struct srv_csv *c, const char *const *cols)
{
        for (int i = 0; cols[i]; i++)
                srv_csv_str(c, cols[i]);
        srv_csv_end(c);
}

static void date_field(struct srv_csv *c, int64_t t, int with_time)
{
        char d[11], s[40];

        srv_area_day_text(mb_walk_day_of(t), d);
        snprintf(s, sizeof(s), with_time ? "%s 00:00:00" : "%s", d);
        srv_csv_str(c, s);
}

/* hundredths of a percent as "6.25" and as 625 (the money formatter writes
 * any integer of hundredths); empty when unknown */
static void rate(struct srv_csv *c, int known, int64_t bp)
{
        if (!known) {
                srv_csv_null(c);
                srv_csv_null(c);
                return;
        }
        srv_csv_yuan(c, bp);
        srv_csv_i64(c, bp);
}

static void energy(struct srv_csv *c, int known, int64_t wh)
{
        if (!known) {
                srv_csv_null(c);
                srv_csv_null(c);
                return;
        }
        srv_csv_kwh(c, wh);
        srv_csv_i64(c, wh);
}

/* "H3;H5": the meters whose points were not collected */
static void missing(struct srv_csv *c, const struct srv_ameters *m, const long *v, int n, int all)
{
        struct srv_buf b = {0};
        char *s;

        for (int i = 0; i < n; i++) {
                if (i)
                        srv_buf_add(&b, ";", 1);
                srv_buf_puts(&b, m->v[v[i]].address);
        }
        if (all > n)
                srv_buf_puts(&b, n ? ";..." : "...");
        s = srv_buf_take(&b);
        srv_csv_str(c, s ? s : "");
        free(s);
}

static void loss_record(struct srv_csv *c, const struct srv_area_row *a, const struct srv_aloss *o,
                        const struct srv_ameters *m)
{
        int known = o->state != SRV_ALOSS_NOT_COMPUTABLE, n = 0;
        long v[SRV_ALOSS_MISS_MAX];

        date_field(c, o->from, 0);
        srv_csv_str(c, a->code);
        srv_csv_str(c, a->name);
        srv_csv_str(c, a->region);
        srv_csv_str(c, srv_aloss_state_name(o->state));
        srv_csv_str(c, o->reason);
        energy(c, known, o->supply_wh);
        energy(c, known, o->sales_wh);
        energy(c, known, o->loss_wh);
        rate(c, known, o->rate_bp);
        rate(c, 1, a->min_bp);
        rate(c, 1, a->max_bp);
        srv_csv_i64(c, o->meters);
        srv_csv_i64(c, o->collected);
        for (; n < o->nmiss && n < SRV_ALOSS_MISS_MAX; n++)
                v[n] = o->miss[n].meter;
        missing(c, m, v, n, o->nmiss);
        srv_csv_end(c);
}

/* Every area's records for day d. */
static int loss_day(srv_db *db, struct srv_csv *c, int d, const struct srv_area_row *rows, size_t n)
{
        int64_t t0 = mb_walk_day_start(d), t1 = mb_walk_day_start(mb_walk_day_add(d, 1));
        struct srv_ameters m = {0};
        struct srv_asegs segs = {0};
        struct srv_apcache *pc = NULL;
        struct srv_aloss o;
        int rc = srv_ameters_load(db, SRV_ASCOPE_AREAS, 0, &m);

        if (rc >= 0)
                rc = srv_asegs_load(db, SRV_ASCOPE_AREAS, 0, &m, t0, t1, &segs);
        if (rc >= 0 && (pc = srv_apcache_new(db, SRV_ASCOPE_AREAS, 0, &m)) == NULL)
                rc = MB_ENOMEM;
        for (size_t i = 0; rc >= 0 && i < n; i++) {
                rc = srv_aloss_compute(pc, &m, &segs, rows[i].id, t0, t1, rows[i].min_bp,
                                       rows[i].max_bp, &o);
                if (rc >= 0)
                        loss_record(c, &rows[i], &o, &m);
        }
        srv_apcache_free(pc);
        srv_asegs_free(&segs);
        srv_ameters_free(&m);
        return rc;
}

static void period_name(char *buf, size_t len, int first, int last)
{
        char a[11], b[11];

        srv_area_day_text(first, a);
        srv_area_day_text(last, b);
        snprintf(buf, len, "%s_%s", a, b);
}

/* One export: the header cols, then day(...) for every day of ?from..to. */
static void
export_days(struct srv_req *rq, struct srv_resp *rs, const char *kind, const char *const *cols,
            int (*day)(srv_db *, struct srv_csv *, int, const struct srv_area_row *, size_t))
{
        struct srv_area_row *rows = NULL;
        struct srv_csv c;
        char name[32];
        size_t n = 0;
        int first, last, rc;

        if (srv_area_range_param(rq, rs, &first, &last) < 0)
                return;
        rc = srv_area_rows(rq->db, NULL, &rows, &n);
        srv_export_start(rq, &c);
        header(&c, cols);
        for (int d = first; rc >= 0 && d <= last; d = mb_walk_day_add(d, 1))
                rc = day(rq->db, &c, d, rows, n);
        period_name(name, sizeof(name), first, last);
        srv_export_finish(rq, rs, &c, rc, kind, name);
        free(rows);
}

void srv_h_export_line_loss(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const cols[] = {"date",
                                           "area",
                                           "name",
                                           "region",
                                           "state",
                                           "reason",
                                           "supply_kwh",
                                           "supply_wh",
                                           "sales_kwh",
                                           "sales_wh",
                                           "loss_kwh",
                                           "loss_wh",
                                           "rate_percent",
                                           "rate_bp",
                                           "band_min_percent",
                                           "band_min_bp",
                                           "band_max_percent",
                                           "band_max_bp",
                                           "meters",
                                           "collected",
                                           "missing",
                                           NULL};

        export_days(rq, rs, "line-loss", cols, loss_day);
}

static void collect_record(struct srv_csv *c, int d, const char *kind, const struct srv_acollect *x,
                           const struct srv_ameters *m, int64_t expected, int64_t collected)
{
        int64_t r = srv_acollect_rate(expected, collected);

        date_field(c, mb_walk_day_start(d), 0);
        date_field(c, mb_walk_day_start(mb_walk_day_add(d, 1)), 1);
        srv_csv_str(c, kind);
        srv_csv_str(c, x ? x->code : "");
        srv_csv_str(c, x && x->area ? x->area->name : "");
        srv_csv_str(c, x ? (x->area ? x->area->region : x->code) : "");
        srv_csv_i64(c, expected);
        srv_csv_i64(c, collected);
        rate(c, r >= 0, r);
        if (x)
                missing(c, m, x->miss, x->nmiss < 8 ? x->nmiss : 8, x->nmiss);
        else
                srv_csv_null(c);
        srv_csv_end(c);
}

static int collect_day(srv_db *db, struct srv_csv *c, int d, const struct srv_area_row *rows,
                       size_t n)
{
        struct srv_acollect *regions = NULL, *areas = NULL;
        struct srv_ameters m = {0};
        int64_t expected = 0, collected = 0;
        size_t nr = 0;
        int rc = srv_acollect_day(db, d, rows, n, &m, &regions, &nr, &areas, &expected, &collected);

        if (rc >= 0) {
                collect_record(c, d, "fleet", NULL, &m, expected, collected);
                for (size_t i = 0; i < nr; i++)
                        collect_record(c, d, "region", &regions[i], &m, regions[i].expected,
                                       regions[i].collected);
                for (size_t i = 0; i < n; i++)
                        collect_record(c, d, "area", &areas[i], &m, areas[i].expected,
                                       areas[i].collected);
        }
        free(regions);
        free(areas);
        srv_ameters_free(&m);
        return rc;
}

void srv_h_export_collection(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const cols[] = {"date",         "at",      "kind",     "code",
                                           "name",         "region",  "expected", "collected",
                                           "rate_percent", "rate_bp", "missing",  NULL};

        export_days(rq, rs, "collection", cols, collect_day);
}
