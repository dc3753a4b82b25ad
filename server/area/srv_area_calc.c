/* SPDX-License-Identifier: Apache-2.0 */
/* The arithmetic of line loss and collection success: see srv_area_calc.h. */
#include "srv_area_calc.h"

#include <string.h>

#include "mb_walk.h"

#define BP 10000 /* hundredths of a percent in a whole */

void srv_apoint_derive(int64_t T, int64_t window, const struct srv_aread *r, size_t n,
                       int has_frozen, int64_t frozen_wh, int later, struct srv_apoint *out)
{
        const struct srv_aread *a = NULL, *b = NULL, *p;
        int64_t at = 0, bt = 0, clock = INT64_MIN, pt;

        /* the last reading before T and the first at or after it, in
         * sequence order, each taken no earlier than the one before it */
        for (size_t i = 0; i < n && !b; i++) {
                clock = r[i].ts > clock ? r[i].ts : clock;
                if (clock < T) {
                        a = &r[i];
                        at = clock;
                } else {
                        b = &r[i];
                        bt = clock;
                }
        }
        memset(out, 0, sizeof(*out));
        out->state = later || b ? SRV_APOINT_MISSING : SRV_APOINT_PENDING;
        /* the frozen register, unless it lies outside the registers around it */
        if (has_frozen && (!a || frozen_wh >= a->wh) && (!b || frozen_wh <= b->wh)) {
                out->state = SRV_APOINT_FROZEN;
                out->t = T;
                out->wh = frozen_wh;
                return;
        }
        if (a && b) /* the interval's day by its midpoint, as a month's */
                p = mb_walk_day(at, bt) < mb_walk_day_of(T) ? b : a;
        else if (b || (a && later)) /* the other side is beyond the window */
                p = b ? b : a;
        else
                return;
        pt = p == b ? bt : at;
        if (pt - T > window || T - pt > window)
                return;
        out->state = SRV_APOINT_READING;
        out->t = pt;
        out->wh = p->wh;
        out->seq = p->seq;
}

int srv_aenergy(const struct srv_apoint *p0, const struct srv_apoint *p1, int64_t rollover_wh,
                int64_t multiplier, int64_t *wh)
{
        mb_tariff_reading ref = {.t = p0->t, .import_wh = p0->wh};
        mb_walk_point x = {.r = {.t = p1->t, .import_wh = p1->wh}};
        mb_walk_step st;
        int64_t e = 0;

        mb_walk_plan(&ref, &x, rollover_wh, &st);
        if (st.events & MB_WALK_BACKWARDS)
                return SRV_AENERGY_BACKWARDS;
        for (int i = 0; i < st.n; i++)
                if (__builtin_add_overflow(e, st.p[i].b.import_wh - st.p[i].a.import_wh, &e))
                        return SRV_AENERGY_RANGE;
        if (__builtin_mul_overflow(e, multiplier, wh))
                return SRV_AENERGY_RANGE;
        return st.events & MB_WALK_ROLLOVER ? SRV_AENERGY_ROLLOVER : SRV_AENERGY_OK;
}

int srv_area_muldiv(int64_t a, int64_t b, int64_t c, int64_t *out)
{
        int64_t p, q, r;

        if (c <= 0 || __builtin_mul_overflow(a, b, &p))
                return MB_ERANGE;
        q = p / c;
        r = p % c; /* same sign as p */
        if (r < 0 ? -r >= c + r : r >= c - r)
                q += p < 0 ? -1 : 1;
        *out = q;
        return MB_OK;
}

/* loss * BP, min_bp * supply and max_bp * supply: 0, or -1 on overflow. */
static int scaled(int64_t supply, int64_t loss, int64_t min_bp, int64_t max_bp, int64_t *l,
                  int64_t *lo, int64_t *hi)
{
        return __builtin_mul_overflow(loss, BP, l) || __builtin_mul_overflow(min_bp, supply, lo) ||
                       __builtin_mul_overflow(max_bp, supply, hi)
                   ? -1
                   : 0;
}

int srv_aloss_rate(int64_t supply_wh, int64_t sales_wh, int64_t min_bp, int64_t max_bp,
                   int64_t *loss_wh, int64_t *rate_bp)
{
        int64_t l, lo, hi;

        if (supply_wh <= 0 || __builtin_sub_overflow(supply_wh, sales_wh, loss_wh) ||
            srv_area_muldiv(*loss_wh, BP, supply_wh, rate_bp) != MB_OK ||
            scaled(supply_wh, *loss_wh, min_bp, max_bp, &l, &lo, &hi) < 0)
                return SRV_ALOSS_NOT_COMPUTABLE;
        return l < lo || l > hi ? SRV_ALOSS_OUT_OF_BAND : SRV_ALOSS_OK;
}

int64_t srv_aloss_outside_bp(int64_t supply_wh, int64_t loss_wh, int64_t min_bp, int64_t max_bp)
{
        int64_t l, lo, hi, d;

        if (supply_wh <= 0 || scaled(supply_wh, loss_wh, min_bp, max_bp, &l, &lo, &hi) < 0)
                return 0;
        if (l > hi)
                return __builtin_sub_overflow(l, hi, &d) ? INT64_MAX : d / supply_wh;
        if (l < lo)
                return __builtin_sub_overflow(lo, l, &d) ? INT64_MAX : d / supply_wh;
        return 0;
}
