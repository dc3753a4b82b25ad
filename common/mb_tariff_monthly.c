/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Monthly charges: the fixed monthly charge, prorated by the days of supply
 * (mb_tariff_bill_fixed), and the demand charge on the month's maximum
 * demand (mb_tariff_bill_demand); docs/tariffs.md, "Monthly charges".
 */
#include "mb_tariff_priv.h"

#include <stdio.h>

#include "mb_money.h"

/* Days of one version's key in the month: a plan may come back to a
 * version it left, so days are summed by line key before rounding. */
struct fixed_days {
        int32_t version;
        int64_t price, days;
};

static void add_day(struct fixed_days *k, size_t *n, const struct mbt_version *v)
{
        int32_t key = mbt_line_version(v);

        for (size_t i = 0; i < *n; i++)
                if (k[i].version == key && k[i].price == v->fixed_e4) {
                        k[i].days++;
                        return;
                }
        k[(*n)++] = (struct fixed_days){key, v->fixed_e4, 1};
}

/* The fixed line of `days` of `of`: exact = price x 1000 x days / of,
 * rounded half up to e7.  That step never changes the fen the line rounds
 * to: price x 1000 x days is a multiple of 1000 and so is a half fen times
 * `of`, so no exact value lies within half an e7 of a half fen (of < 2000).
 * The line is still rounded once, to the fen, as the rule says. */
static int fixed_line(const struct fixed_days *k, int of, mb_tariff_line *l, char *err,
                      size_t errlen)
{
        int64_t num;

        if (__builtin_mul_overflow(k->price, (int64_t)MB_E7_PER_E4 * k->days, &num) ||
            __builtin_add_overflow(num, (int64_t)of / 2, &num)) {
                mbt_err(err, errlen, "fixed charge %lld over %lld days overflows",
                        (long long)k->price, (long long)k->days);
                return MB_ERANGE;
        }
        *l = (mb_tariff_line){.kind = MB_LINE_FIXED,
                              .version = k->version,
                              .qty = k->days,
                              .price = k->price,
                              .exact = num / of,
                              .of = of};
        return MB_OK;
}

int mb_tariff_bill_fixed(const mb_tariff *t, int64_t from, int64_t to, mb_tariff_acc *acc,
                         char *err, size_t errlen)
{
        struct fixed_days k[32];
        size_t nk = 0, vi;
        int y, m, d, ly, lm, last, of, rc;
        int64_t next, day, vend;
        mb_tariff_acc tmp;

        if (err && errlen)
                err[0] = '\0';
        if (t == NULL || acc == NULL || to < from) {
                mbt_err(err, errlen, "fixed charge: bad arguments");
                return MB_EINVAL;
        }
        if ((rc = mbt_local_date(from, &y, &m, &d)) < 0 ||
            (rc = mbt_midnight(y, m + 1, 1, &next)) < 0 ||
            (rc = mbt_local_date(next - 1, &ly, &lm, &of)) < 0)
                return rc;
        last = of + 1; /* the day after the month's last */
        if (to < next && (rc = mbt_local_date(to, &ly, &lm, &last)) < 0)
                return rc;
        for (; d < last; d++) {
                if ((rc = mbt_midnight(y, m, d, &day)) < 0)
                        return rc;
                rc = mbt_version_at(t, day, &vi, &vend);
                if (rc == MB_ENOENT)
                        continue; /* nothing in force: the close holds no_tariff */
                if (rc < 0)
                        return rc;
                if (t->v[vi].fixed_e4 > 0)
                        add_day(k, &nk, &t->v[vi]);
        }
        mbt_acc_init(&tmp);
        for (size_t i = 0; i < nk && rc >= 0; i++) {
                mb_tariff_line l;

                rc = fixed_line(&k[i], of, &l, err, errlen);
                if (rc == MB_OK)
                        rc = mbt_acc_add(&tmp, &l);
        }
        if (rc >= 0)
                rc = mb_tariff_acc_merge(acc, &tmp);
        mbt_acc_fini(&tmp);
        return rc < 0 ? rc : MB_OK;
}

int mbt_demand_line(const struct mbt_version *v, int64_t demand_w, mb_tariff_acc *acc, char *err,
                    size_t errlen)
{
        mb_tariff_line l = {.kind = MB_LINE_DEMAND,
                            .version = mbt_line_version(v),
                            .qty = demand_w,
                            .price = v->demand_e4};

        if (v->demand_e4 <= 0 || demand_w <= 0)
                return MB_OK;
        /* price per kW in e4 x W is already e7: exact */
        if (__builtin_mul_overflow(demand_w, l.price, &l.exact)) {
                mbt_err(err, errlen, "demand charge for %lld W overflows", (long long)demand_w);
                return MB_ERANGE;
        }
        return mbt_acc_add(acc, &l);
}

int mb_tariff_bill_demand(const mb_tariff *t, int64_t at, int64_t demand_w, mb_tariff_acc *acc,
                          char *err, size_t errlen)
{
        size_t vi;
        int64_t vend;
        mb_tariff_acc tmp;
        int rc;

        if (err && errlen)
                err[0] = '\0';
        if (t == NULL || acc == NULL || demand_w < 0) {
                mbt_err(err, errlen, "demand charge: bad arguments");
                return MB_EINVAL;
        }
        if ((rc = mbt_version_at(t, at, &vi, &vend)) < 0)
                return rc;
        mbt_acc_init(&tmp);
        rc = mbt_demand_line(&t->v[vi], demand_w, &tmp, err, errlen);
        if (rc == MB_OK)
                rc = mb_tariff_acc_merge(acc, &tmp);
        mbt_acc_fini(&tmp);
        return rc;
}
