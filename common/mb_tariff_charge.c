/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Public charging entry points: one interval, a sequence of readings, and
 * the bill of a month.  Each charges into scratch state first and commits to
 * the caller's tier position and accumulator only when everything succeeded.
 */
#include "mb_tariff_priv.h"

#include <stdio.h>

#include "mb_money.h"

static int begin(const mb_tariff *t, const void *r, mb_tier_pos *pos, mb_tariff_acc *acc, char *err,
                 size_t errlen)
{
        if (err != NULL && errlen > 0)
                err[0] = '\0';
        if (t == NULL || r == NULL || pos == NULL || acc == NULL) {
                mbt_err(err, errlen, "NULL argument");
                return MB_EINVAL;
        }
        return MB_OK;
}

/* Commit scratch results, or drop them. */
static int finish(int rc, mb_tariff_acc *tmp, const mb_tier_pos *p, mb_tier_pos *pos,
                  mb_tariff_acc *acc, char *err, size_t errlen)
{
        if (rc == MB_OK) {
                rc = mb_tariff_acc_merge(acc, tmp);
                if (rc < 0)
                        mbt_err(err, errlen, "cannot add lines: %s", mb_strerror(rc));
        }
        if (rc == MB_OK)
                *pos = *p;
        mbt_acc_fini(tmp);
        return rc;
}

int mb_tariff_charge(const mb_tariff *t, const mb_tariff_reading *r0, const mb_tariff_reading *r1,
                     mb_tier_pos *pos, mb_tariff_acc *acc, char *err, size_t errlen)
{
        mb_tariff_acc tmp;
        mb_tier_pos p;
        int rc = begin(t, r0, pos, acc, err, errlen);

        if (rc < 0 || r1 == NULL)
                return rc < 0 ? rc : MB_EINVAL;
        mbt_acc_init(&tmp);
        p = *pos;
        rc = mbt_charge(t, r0, r1, &p, &tmp, err, errlen);
        return finish(rc, &tmp, &p, pos, acc, err, errlen);
}

int mb_tariff_charge_readings(const mb_tariff *t, const mb_tariff_reading *r, size_t n,
                              mb_tier_pos *pos, mb_tariff_acc *acc, char *err, size_t errlen)
{
        mb_tariff_acc tmp;
        mb_tier_pos p;
        char msg[256] = "";
        int rc = begin(t, r, pos, acc, err, errlen);

        if (rc < 0)
                return rc;
        mbt_acc_init(&tmp);
        p = *pos;
        for (size_t i = 1; i < n && rc == MB_OK; i++) {
                rc = mbt_charge(t, &r[i - 1], &r[i], &p, &tmp, msg, sizeof(msg));
                if (rc < 0)
                        mbt_err(err, errlen, "readings %zu..%zu: %s", i - 1, i, msg);
        }
        return finish(rc, &tmp, &p, pos, acc, err, errlen);
}

/* Fixed monthly (one whole month) and demand lines of the version in
 * force at `at`. */
static int month_lines(const mb_tariff *t, int64_t at, int64_t demand_w, mb_tariff_acc *acc,
                       char *err, size_t errlen)
{
        const struct mbt_version *v;
        size_t vi;
        int64_t vend;
        int rc = mbt_version_at(t, at, &vi, &vend);

        if (rc < 0)
                return rc;
        v = &t->v[vi];
        if (v->fixed_e4 > 0) {
                mb_tariff_line l = {.kind = MB_LINE_FIXED,
                                    .version = mbt_line_version(v),
                                    .qty = 1,
                                    .of = 1,
                                    .price = v->fixed_e4,
                                    .exact = v->fixed_e4 * MB_E7_PER_E4};

                rc = mbt_acc_add(acc, &l);
        }
        return rc == MB_OK ? mbt_demand_line(v, demand_w, acc, err, errlen) : rc;
}

int mb_tariff_bill_month(const mb_tariff *t, const mb_tariff_reading *r0,
                         const mb_tariff_reading *r1, int64_t max_demand_w, mb_tier_pos *pos,
                         mb_tariff_acc *acc, char *err, size_t errlen)
{
        mb_tariff_acc tmp;
        mb_tier_pos p;
        int rc = begin(t, r0, pos, acc, err, errlen);

        if (rc < 0 || r1 == NULL)
                return rc < 0 ? rc : MB_EINVAL;
        if (max_demand_w < 0) {
                mbt_err(err, errlen, "negative maximum demand %lld W", (long long)max_demand_w);
                return MB_EINVAL;
        }
        mbt_acc_init(&tmp);
        p = *pos;
        rc = mbt_charge(t, r0, r1, &p, &tmp, err, errlen);
        if (rc == MB_OK)
                rc = month_lines(t, r0->t, max_demand_w, &tmp, err, errlen);
        return finish(rc, &tmp, &p, pos, acc, err, errlen);
}
