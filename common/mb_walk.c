/* SPDX-License-Identifier: Apache-2.0 */
/* One step of the walk along a meter's readings: see mb_walk.h. */
#include "mb_walk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb_tariff_priv.h"

/* A wrap is believed when the energy across it is under a hundredth of the
 * register's range: 10 MWh on a 999999.99 kWh register.  A register that
 * drops from the middle of its range to near zero was reset or replaced. */
#define WRAP_SHARE 100

/* The month a time is in is asked at every step: each thread keeps the
 * last month's bounds, for the TZ they were computed under (as the
 * engine's midnights, mb_tariff_time.c). */
static _Thread_local struct {
        int64_t a, b;
        int month;
        char tz[64];
} last;

int mb_walk_month_of(int64_t t)
{
        const char *tz = getenv("TZ");
        time_t tt = (time_t)t;
        struct tm tm;
        int64_t a, b;
        int month;

        if (tz == NULL)
                tz = "";
        if (last.month && t >= last.a && t < last.b && strncmp(tz, last.tz, sizeof(last.tz)) == 0)
                return last.month;
        if (localtime_r(&tt, &tm) == NULL)
                return 0;
        month = (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
        if (mbt_midnight(tm.tm_year + 1900, tm.tm_mon + 1, 1, &a) == MB_OK &&
            mbt_midnight(tm.tm_year + 1900, tm.tm_mon + 2, 1, &b) == MB_OK && t >= a && t < b) {
                last.a = a;
                last.b = b;
                last.month = month;
                snprintf(last.tz, sizeof(last.tz), "%s", tz);
        }
        return month;
}

int64_t mb_walk_month_start(int yyyymm)
{
        int64_t t = 0;

        mbt_midnight(yyyymm / 100, yyyymm % 100, 1, &t);
        return t;
}

int mb_walk_month_add(int yyyymm, int delta)
{
        int m = (yyyymm / 100) * 12 + (yyyymm % 100 - 1) + delta;

        return (m / 12) * 100 + m % 12 + 1;
}

/* floor((a + b - 1) / 2) without overflow: the midpoint less half a second,
 * so a midpoint exactly on a month (or day) start (the reading after it as
 * near as the one before) counts to the period before.  A zero-length
 * interval is at its instant: then a reading at or after a period start
 * decides that period's end, whatever comes later. */
static int64_t midpoint(int64_t a, int64_t b)
{
        return b > a ? a + (b - a - 1) / 2 : a;
}

int mb_walk_month(int64_t a, int64_t b)
{
        return mb_walk_month_of(midpoint(a, b));
}

int mb_walk_day(int64_t a, int64_t b)
{
        return mb_walk_day_of(midpoint(a, b));
}

int mb_walk_day_of(int64_t t)
{
        int y, m, d;

        if (mbt_local_date(t, &y, &m, &d) != MB_OK)
                return 0;
        return y * 10000 + m * 100 + d;
}

int64_t mb_walk_day_start(int yyyymmdd)
{
        int64_t t = 0;

        mbt_midnight(yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100, &t);
        return t;
}

int mb_walk_day_add(int yyyymmdd, int delta)
{
        int64_t t = 0;

        /* mktime normalises the day of the month */
        if (mbt_midnight(yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100 + delta, &t) !=
            MB_OK)
                return 0;
        return mb_walk_day_of(t);
}

/* x's registers shifted by s (rates dropped: a shift says nothing of them). */
static void shifted(mb_tariff_reading *r, int64_t s)
{
        r->import_wh += s;
        r->has_rates = 0;
}

/* Registers of x as charged from ref: 1 charge, 0 backwards (not charged). */
static int registers(const mb_tariff_reading *ref, const mb_walk_point *x, int64_t range,
                     mb_tariff_reading *b, unsigned *ev)
{
        *b = x->r;
        if (x->fixed) {
                shifted(b, x->shift_wh);
                *ev |= MB_WALK_FIXED;
                if (b->import_wh >= ref->import_wh)
                        return 1;
                *ev |= MB_WALK_BACKWARDS;
                return 0;
        }
        if (b->import_wh < ref->import_wh) {
                if (range <= 0 || ref->import_wh >= range ||
                    b->import_wh + (range - ref->import_wh) >= range / WRAP_SHARE) {
                        *ev |= MB_WALK_BACKWARDS;
                        return 0;
                }
                *ev |= MB_WALK_ROLLOVER;
                b->import_wh += range;
                for (int i = 0; b->has_rates && ref->has_rates && i < MB_RATES; i++)
                        if (b->rate_wh[i] < ref->rate_wh[i])
                                b->rate_wh[i] += range;
        }
        for (int i = 0; b->has_rates && ref->has_rates && i < MB_RATES; i++)
                if (b->rate_wh[i] < ref->rate_wh[i]) {
                        *ev |= MB_WALK_RATES;
                        b->has_rates = 0;
                }
        return 1;
}

/* The month start T the frozen register of x stands for, when it lies in
 * (ref, b] and its value between the two registers: 1 and *at, else 0. */
static int frozen_cut(const mb_tariff_reading *ref, const mb_walk_point *x,
                      const mb_tariff_reading *b, unsigned ev, int64_t *at)
{
        int64_t T;

        if (!x->has_frozen || (ev & (MB_WALK_ROLLOVER | MB_WALK_FIXED)))
                return 0;
        T = mb_walk_month_start(mb_walk_month_of(x->frozen_t));
        /* a month-end freeze: on the first day (meters freeze at the
         * settlement hour of day 1), not a daily or mid-month one */
        if (x->frozen_t - T >= 86400 || T <= ref->t || T > b->t)
                return 0;
        if (x->frozen_wh < ref->import_wh || x->frozen_wh > b->import_wh)
                return 0;
        *at = T;
        return 1;
}

static void piece(mb_walk_step *st, const mb_tariff_reading *a, const mb_tariff_reading *b)
{
        mb_walk_piece *p = &st->p[st->n++];

        p->a = *a;
        p->b = *b;
        p->month = mb_walk_month(a->t, b->t);
}

void mb_walk_plan(const mb_tariff_reading *ref, const mb_walk_point *x, int64_t rollover_wh,
                  mb_walk_step *out)
{
        mb_tariff_reading b, f;
        int64_t at;

        memset(out, 0, sizeof(*out));
        out->ref = x->r;
        if (out->ref.t < ref->t) {
                out->ref.t = ref->t;
                out->events |= MB_WALK_CLOCK;
        }
        if (!registers(ref, x, rollover_wh, &b, &out->events))
                return;
        b.t = out->ref.t;
        if (frozen_cut(ref, x, &b, out->events, &at)) {
                memset(&f, 0, sizeof(f));
                f.t = at;
                f.import_wh = x->frozen_wh;
                out->events |= MB_WALK_FROZEN;
                piece(out, ref, &f);
                piece(out, &f, &b);
                return;
        }
        piece(out, ref, &b);
}

int mb_walk_charge(const mb_tariff *t, mb_walk_step *st, mb_tier_pos *pos,
                   mb_tariff_acc *(*acc_for)(void *ctx, int month), void *ctx, char *err,
                   size_t errlen)
{
        for (int i = 0; i < st->n; i++) {
                mb_tariff_acc *acc = acc_for(ctx, st->p[i].month);
                int rc;

                if (acc == NULL)
                        return MB_ENOMEM;
                rc = mb_tariff_charge(t, &st->p[i].a, &st->p[i].b, pos, acc, err, errlen);
                if (rc == MB_ENOENT)
                        st->events |= MB_WALK_NO_TARIFF;
                else if (rc < 0)
                        return rc;
        }
        return MB_OK;
}
