/* SPDX-License-Identifier: Apache-2.0 */
/* Tariff lifetime and inspection: see mb_tariff.h. */
#include "mb_tariff_priv.h"

#include <stdio.h>
#include <stdlib.h>

void mbt_err(char *err, size_t errlen, const char *fmt, ...)
{
        va_list ap;

        if (err == NULL || errlen == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

void mbt_version_clear(struct mbt_version *v)
{
        free(v->label);
        for (size_t i = 0; i < v->nseasons; i++)
                free(v->seasons[i].name);
        free(v->seasons);
        for (size_t i = 0; i < v->nspecials; i++) {
                free(v->specials[i].name);
                free(v->specials[i].dates);
        }
        free(v->specials);
}

void mb_tariff_free(mb_tariff *t)
{
        if (t == NULL)
                return;
        for (size_t i = 0; i < t->nv; i++)
                mbt_version_clear(&t->v[i]);
        free(t->v);
        free(t->id);
        free(t->name);
        free(t->currency);
        free(t);
}

const char *mb_tariff_id(const mb_tariff *t)
{
        return t->id;
}

const char *mb_tariff_name(const mb_tariff *t)
{
        return t->name;
}

const char *mb_tariff_currency(const mb_tariff *t)
{
        return t->currency;
}

size_t mb_tariff_version_count(const mb_tariff *t)
{
        return t->nv;
}

int mb_tariff_version(const mb_tariff *t, size_t i, mb_tariff_version_info *out)
{
        const struct mbt_version *v;

        if (i >= t->nv)
                return MB_ENOENT;
        v = &t->v[i];
        out->from = v->from;
        out->label = v->label ? v->label : "";
        out->tier_period = v->tier_period;
        out->settlement_day = v->settle_day;
        out->settlement_month = v->settle_month;
        out->ntiers = v->ntiers;
        out->has_tou = v->has_tou;
        out->rates = v->rates;
        out->fixed_monthly = v->fixed_e4;
        out->demand_price = v->demand_e4;
        return MB_OK;
}

int mb_tariff_tier(const mb_tariff *t, size_t i, int k, mb_tariff_tier_info *out)
{
        if (i >= t->nv || k < 0 || k >= t->v[i].ntiers)
                return MB_ENOENT;
        out->upto_wh = t->v[i].tiers[k].upto_wh;
        for (int r = 0; r < MB_TARIFF_NRATES; r++)
                out->price[r] = t->v[i].tiers[k].price[r];
        return MB_OK;
}

int mb_tariff_version_at(const mb_tariff *t, int64_t at)
{
        size_t vi;
        int64_t vend;
        int rc = mbt_version_at(t, at, &vi, &vend);

        return rc < 0 ? rc : (int)vi;
}

int mb_tariff_tier_period(const mb_tariff *t, int64_t at, int64_t *start, int64_t *end)
{
        size_t vi;
        int64_t vend;
        int rc = mbt_version_at(t, at, &vi, &vend);

        return rc < 0 ? rc : mbt_tier_period(&t->v[vi], at, start, end);
}

int mb_tariff_rate_at(const mb_tariff *t, int64_t at)
{
        size_t vi;
        int64_t vend;
        int rc = mbt_version_at(t, at, &vi, &vend);

        return rc < 0 ? rc : mbt_rate_at(&t->v[vi], at);
}

const char *mb_tariff_rate_name(int rate)
{
        static const char *names[] = {"none", "sharp", "peak", "flat", "valley"};

        return rate >= 0 && rate < MB_TARIFF_NRATES ? names[rate] : "?";
}
