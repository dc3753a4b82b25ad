/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The month's monthly charges on a bill, after its energy is walked
 * (docs/tariffs.md, "Monthly charges"):
 *
 *   - the fixed monthly charge of every version in force, prorated by the
 *     days the account was supplied in the month.  The account is supplied
 *     from its opening to its final closing: a meter exchange or a CT
 *     replaced in between restarts nothing, and the day of a change belongs
 *     to what starts on it (mb_tariff_bill_fixed), so holders of one meter
 *     share a month's days and never pay it twice;
 *   - the demand charge on the month's maximum demand times the multiplier:
 *     the meter's frozen maximum-demand register for the month where one
 *     supply measured the whole month, else the largest maximum its
 *     readings registered in the month, each times the multiplier of the
 *     supply in force when it occurred.
 */
#define MB_LOG_MODULE "settle"
#include "srv_settle_impl.h"

#include <stdio.h>

#include "mb_log.h"
#include "srv_compare.h"

/* When the account was supplied in the month: [*a, *e). */
static void supplied(const struct srv_bill *b, int64_t *a, int64_t *e)
{
        struct srv_wpoint open;

        *a = b->t0;
        *e = b->t1;
        if (b->from_opening && srv_walk_begin(b->sup, b->nsup, &open) && open.ref.t > *a)
                *a = open.ref.t;
        if ((b->flags & SRV_FLAG_FINAL) && b->end.have && b->end.ref.t < *e)
                *e = b->end.ref.t;
        if (*e < *a)
                *e = *a;
}

/* When supply s began: its opening register, else its first reading;
 * INT64_MIN when that is before the readings loaded (before the month). */
static int64_t began(const struct srv_wsupply *s)
{
        if (s->has_open)
                return s->open.t;
        if (s->n > 0 && s->r[0].seq == s->from_seq + 1)
                return s->r[0].p.r.t;
        return INT64_MIN;
}

/* The supply a maximum read through supply k and occurred at t belongs to:
 * the latest of the account's supplies on k's meter that began by t (a CT
 * replaced: the old multiplier's).  -1 when none did: the maximum is from
 * before the account's supply (another holder's, before a move-in). */
static int part_of(const struct srv_bill *b, size_t k, int64_t t)
{
        for (size_t j = k + 1; j-- > 0;)
                if (b->sup[j].meter_id == b->sup[k].meter_id && began(&b->sup[j]) <= t)
                        return (int)j;
        return -1;
}

/* v (mW on the meter) times supply s's multiplier into *best when larger:
 * 0, or -1 when it overflows. */
static int take(int64_t v, const struct srv_wsupply *s, int64_t *best)
{
        int64_t x;

        if (__builtin_mul_overflow(v, s->multiplier > 0 ? s->multiplier : 1, &x))
                return -1;
        if (x > *best)
                *best = x;
        return 0;
}

/* The frozen maximum demand of the month (frozen at its end, the next
 * month's settlement moment), read by supply s: 1 into *best, else 0. */
static int frozen(const struct srv_bill *b, const struct srv_wsupply *s, int64_t *best)
{
        for (size_t i = 0; i < s->n; i++) {
                const struct srv_wreading *r = &s->r[i];

                if (!r->skip && r->has_frozen_demand && r->frozen_demand_time >= b->t1 &&
                    r->frozen_demand_time - b->t1 < 86400)
                        return take(r->frozen_demand_mw, s, best) == 0;
        }
        return 0;
}

/* The month's maximum demand on the primary side, mW (0: none known):
 * MB_OK or MB_ERANGE. */
static int max_demand(const struct srv_bill *b, int whole, int64_t *best)
{
        *best = 0;
        /* one supply the whole month: the meter's own register for it */
        if (whole && b->nparts == 1 && b->part && frozen(b, b->part, best))
                return MB_OK;
        for (size_t k = 0; k < b->nsup; k++)
                for (size_t i = 0; i < b->sup[k].n; i++) {
                        const struct srv_wreading *r = &b->sup[k].r[i];
                        int64_t t = r->demand_time ? r->demand_time : r->p.r.t;
                        int j;

                        if (r->skip || !r->has_demand || t < b->t0 || t >= b->t1)
                                continue;
                        if ((j = part_of(b, k, t)) >= 0 && take(r->demand_mw, &b->sup[j], best))
                                return MB_ERANGE;
                }
        return MB_OK;
}

static int unbillable(struct srv_bill *b, const char *err)
{
        mb_warn("account %lld %s: held: %s", (long long)b->account_id, b->month, err);
        snprintf(b->reason, sizeof(b->reason), "unbillable: %s", err);
        b->flags |= SRV_FLAG_UNBILLABLE;
        return SRV_HELD;
}

int srv_settle_monthly(struct srv_bill *b)
{
        int64_t a, e, mw;
        char err[256];
        int rc;

        supplied(b, &a, &e);
        rc = mb_tariff_bill_fixed(b->plan.t, a, e, b->acc, err, sizeof(err));
        if (rc < 0)
                return unbillable(b, err);
        if (max_demand(b, a == b->t0 && e == b->t1, &mw) < 0)
                return unbillable(b, "the maximum demand times the multiplier overflows");
        /* billed in whole W (0.001 kW), half away from zero; priced by the
         * version in force at the end of the supply in the month */
        rc = mb_tariff_bill_demand(b->plan.t, e > a ? e - 1 : a, mw / 1000 + (mw % 1000 >= 500),
                                   b->acc, err, sizeof(err));
        if (rc < 0 && rc != MB_ENOENT)
                return unbillable(b, err);
        return MB_OK;
}
