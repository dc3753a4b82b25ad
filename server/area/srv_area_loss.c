/* SPDX-License-Identifier: Apache-2.0 */
/* An area's line loss over a period: see srv_area_loss.h. */
#include "srv_area_loss.h"

#include <stdlib.h>
#include <string.h>

#define ROWS_SQL(scope)                                                                            \
        "SELECT meter_id, effective_from, area_id, role FROM area_meters WHERE " scope             \
        " ORDER BY meter_id, effective_from"
static const char *const rows_sql[] = {
    NULL,
    ROWS_SQL("meter_id IN (SELECT meter_id FROM area_meters WHERE area_id = $1)"),
    ROWS_SQL("meter_id IN (SELECT meter_id FROM area_meters WHERE area_id IS NOT NULL)"
             " AND $1 = $1"),
    ROWS_SQL("$1 = $1"),
};

static int seg_add(struct srv_asegs *s, size_t *cap, const struct srv_aseg *g)
{
        if (s->n == *cap) {
                struct srv_aseg *v = realloc(s->v, (*cap = *cap ? *cap * 2 : 64) * sizeof(*v));

                if (v == NULL)
                        return MB_ENOMEM;
                s->v = v;
        }
        s->v[s->n++] = *g;
        return MB_OK;
}

static int seg_cmp(const void *a, const void *b)
{
        const struct srv_aseg *x = a, *y = b;

        if (x->area_id != y->area_id)
                return x->area_id < y->area_id ? -1 : 1;
        if (x->main != y->main)
                return y->main - x->main;
        if (x->meter != y->meter)
                return x->meter < y->meter ? -1 : 1;
        return x->from < y->from ? -1 : x->from > y->from;
}

int srv_asegs_load(srv_db *db, int scope, int64_t area_id, const struct srv_ameters *m, int64_t t0,
                   int64_t t1, struct srv_asegs *out)
{
        struct srv_aseg cur = {0}, g;
        int64_t meter_id = -1;
        srv_stmt *st = NULL;
        size_t cap = 0;
        int rc = srv_db_query(db, &st, rows_sql[scope], "i", area_id), open = 0;

        memset(out, 0, sizeof(*out));
        /* a row is in force from its date to the next row of its meter */
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                int64_t id = srv_stmt_i64(st, 0), from = srv_stmt_i64(st, 1);

                if (open) {
                        g = cur;
                        g.to = id == meter_id ? from : INT64_MAX;
                        open = 0;
                        if (g.from < t0)
                                g.from = t0;
                        if (g.to > t1)
                                g.to = t1;
                        if (g.from < g.to && (rc = seg_add(out, &cap, &g)) < 0)
                                break;
                }
                meter_id = id;
                if (srv_stmt_is_null(st, 2) ||
                    (scope == SRV_ASCOPE_AREA && srv_stmt_i64(st, 2) != area_id))
                        continue;
                cur.area_id = srv_stmt_i64(st, 2);
                cur.meter = srv_ameters_find(m, id);
                cur.main = strcmp(srv_stmt_text(st, 3), "main") == 0;
                cur.from = from;
                open = cur.meter >= 0;
        }
        srv_stmt_done(st);
        if (rc >= 0 && open) {
                g = cur;
                g.to = t1;
                if (g.from < t0)
                        g.from = t0;
                if (g.from < g.to)
                        rc = seg_add(out, &cap, &g);
        }
        if (rc < 0) {
                srv_asegs_free(out);
                return rc;
        }
        if (out->n)
                qsort(out->v, out->n, sizeof(*out->v), seg_cmp);
        return MB_OK;
}

void srv_asegs_free(struct srv_asegs *s)
{
        free(s->v);
        s->v = NULL;
        s->n = 0;
}

/* The point of meter i at T, or NULL with *rc set on a store error. */
static const struct srv_apoint *point(struct srv_apcache *pc, long i, int64_t T, int *rc)
{
        const struct srv_apoint *p = srv_apcache_get(pc, T, rc);

        return p ? &p[i] : NULL;
}

/* One part: *e += energy(from -> to) x k.  0, or an enum srv_aenergy_result
 * that ends the sum (BACKWARDS, RANGE); *res keeps ROLLOVER. */
static int part(const struct srv_apoint *from, const struct srv_apoint *to, int64_t range,
                int64_t k, int64_t *e, int *res)
{
        int64_t wh = 0;
        int rc = srv_aenergy(from, to, range, k, &wh);

        if (rc == SRV_AENERGY_BACKWARDS)
                return rc;
        if (rc == SRV_AENERGY_RANGE || __builtin_add_overflow(*e, wh, e))
                return SRV_AENERGY_RANGE;
        if (rc == SRV_AENERGY_ROLLOVER)
                *res = rc;
        return 0;
}

/* Energy from p0 to p1 of meter a, each part times the multiplier in force
 * for it: a change inside (a CT replaced) cuts the step at its register, as
 * the bill's supplies are cut.  An enum srv_aenergy_result. */
static int energy_k(const struct srv_ameter *a, const struct srv_amult *mult,
                    const struct srv_apoint *p0, const struct srv_apoint *p1, int64_t *wh)
{
        struct srv_apoint cur = *p0;
        int64_t k = 1, e = 0;
        int rc = 0, res = SRV_AENERGY_OK;

        for (size_t j = a->mult; rc == 0 && j < a->mult + a->nmult; j++) {
                const struct srv_amult *c = &mult[j];
                struct srv_apoint at = {SRV_APOINT_READING, c->t, c->wh, 0};

                if (c->has_point && c->t > p1->t)
                        break;
                if (c->has_point && c->t > p0->t) {
                        rc = part(&cur, &at, a->rollover_wh, k, &e, &res);
                        cur = at;
                }
                k = c->k; /* in force from here (or already at p0) */
        }
        if (rc == 0)
                rc = part(&cur, p1, a->rollover_wh, k, &e, &res);
        if (rc)
                return rc;
        *wh = e;
        return res;
}

int srv_aseg_energy(struct srv_apcache *pc, const struct srv_ameters *m, long i, int64_t s0,
                    int64_t s1, int64_t *wh, struct srv_amiss *miss, int *rc)
{
        const struct srv_apoint *p0 = point(pc, i, s0, rc), *p1;

        if (p0 == NULL || (p1 = point(pc, i, s1, rc)) == NULL)
                return -2;
        if (!srv_apoint_collected(p0) || !srv_apoint_collected(p1)) {
                *miss = srv_apoint_collected(p0) ? (struct srv_amiss){i, s1, p1->state}
                                                 : (struct srv_amiss){i, s0, p0->state};
                return -1;
        }
        return energy_k(&m->v[i], m->mults, p0, p1, wh);
}

static void note_miss(struct srv_aloss *o, const struct srv_amiss *x)
{
        if (o->nmiss < SRV_ALOSS_MISS_MAX)
                o->miss[o->nmiss] = *x;
        o->nmiss++;
}

/* Add one segment's energy to supply or sales; 0, or a store error.  *miss
 * is set when a point was not collected. */
static int add_segment(struct srv_apcache *pc, const struct srv_ameters *m,
                       const struct srv_aseg *g, int64_t s0, int64_t s1, struct srv_aloss *o,
                       int *miss, int *backwards, int *range)
{
        struct srv_amiss x;
        int64_t wh = 0;
        int rc = MB_OK, r = srv_aseg_energy(pc, m, g->meter, s0, s1, &wh, &x, &rc);

        if (r == -2)
                return rc;
        if (r == -1) {
                note_miss(o, &x);
                *miss = 1;
        } else if (r == SRV_AENERGY_BACKWARDS) {
                *backwards = 1;
        } else if (r == SRV_AENERGY_RANGE ||
                   __builtin_add_overflow(g->main ? o->supply_wh : o->sales_wh, wh,
                                          g->main ? &o->supply_wh : &o->sales_wh)) {
                *range = 1;
        } else {
                o->rollover |= r == SRV_AENERGY_ROLLOVER;
        }
        return MB_OK;
}

static const char *verdict(const struct srv_aloss *o, int64_t main_s, int64_t period, int backwards,
                           int range)
{
        int missing = 0;

        if (main_s != period)
                return "no_main_meter";
        for (int i = 0; i < o->nmiss && i < SRV_ALOSS_MISS_MAX; i++)
                missing |= o->miss[i].state == SRV_APOINT_MISSING;
        if (o->nmiss)
                return missing || o->nmiss > SRV_ALOSS_MISS_MAX ? "missing_reading" : "not_yet";
        if (backwards)
                return "register_backwards";
        return range ? "out_of_range" : NULL;
}

int srv_aloss_compute(struct srv_apcache *pc, const struct srv_ameters *m,
                      const struct srv_asegs *segs, int64_t area_id, int64_t from, int64_t to,
                      int64_t min_bp, int64_t max_bp, struct srv_aloss *out)
{
        int64_t main_s = 0;
        long last = -1;
        int backwards = 0, range = 0, miss = 0, rc;

        memset(out, 0, sizeof(*out));
        out->area_id = area_id;
        out->from = from;
        out->to = to;
        for (size_t k = 0; k < segs->n; k++) {
                const struct srv_aseg *g = &segs->v[k];
                int64_t s0 = g->from > from ? g->from : from, s1 = g->to < to ? g->to : to;

                if (g->area_id != area_id || s0 >= s1)
                        continue;
                if (g->meter != last) { /* a meter's segments come together */
                        if (last >= 0)
                                out->collected += !miss;
                        out->meters++;
                        last = g->meter;
                        miss = 0;
                }
                if (g->main)
                        main_s += s1 - s0;
                rc = add_segment(pc, m, g, s0, s1, out, &miss, &backwards, &range);
                if (rc < 0)
                        return rc;
        }
        if (last >= 0)
                out->collected += !miss;
        out->reason = verdict(out, main_s, to - from, backwards, range);
        if (out->reason) {
                out->state = SRV_ALOSS_NOT_COMPUTABLE;
                return MB_OK;
        }
        out->state = srv_aloss_rate(out->supply_wh, out->sales_wh, min_bp, max_bp, &out->loss_wh,
                                    &out->rate_bp);
        if (out->state == SRV_ALOSS_NOT_COMPUTABLE)
                out->reason = out->supply_wh <= 0 ? "no_supply" : "out_of_range";
        else
                out->outside_bp =
                    srv_aloss_outside_bp(out->supply_wh, out->loss_wh, min_bp, max_bp);
        return MB_OK;
}

const char *srv_aloss_state_name(int state)
{
        static const char *const names[] = {"ok", "out_of_band", "not_computable"};

        return state >= 0 && state < 3 ? names[state] : "not_computable";
}

const char *srv_apoint_state_name(int state)
{
        static const char *const names[] = {"pending", "missing", "reading", "frozen"};

        return state >= 0 && state < 4 ? names[state] : "missing";
}
