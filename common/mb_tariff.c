/* SPDX-License-Identifier: Apache-2.0 */
/* Tariff lifetime and inspection: see mb_tariff.h. */
#include "mb_tariff_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        free(v->origin_id);
        for (size_t i = 0; i < v->nseasons; i++)
                free(v->seasons[i].name);
        free(v->seasons);
        for (size_t i = 0; i < v->nspecials; i++) {
                free(v->specials[i].name);
                free(v->specials[i].dates);
        }
        free(v->specials);
}

static char *dup_or_null(const char *s, int *fail)
{
        char *d = s ? strdup(s) : NULL;

        *fail |= s != NULL && d == NULL;
        return d;
}

static void *dup_mem(const void *p, size_t n, int *fail)
{
        void *d = p && n ? malloc(n) : NULL;

        if (d)
                memcpy(d, p, n);
        *fail |= p != NULL && n > 0 && d == NULL;
        return d;
}

int mbt_version_copy(struct mbt_version *dst, const struct mbt_version *src)
{
        int fail = 0;

        *dst = *src;
        dst->label = dup_or_null(src->label, &fail);
        dst->origin_id = dup_or_null(src->origin_id, &fail);
        dst->seasons = dup_mem(src->seasons, src->nseasons * sizeof(*src->seasons), &fail);
        dst->specials = dup_mem(src->specials, src->nspecials * sizeof(*src->specials), &fail);
        for (size_t i = 0; dst->seasons && i < src->nseasons; i++)
                dst->seasons[i].name = dup_or_null(src->seasons[i].name, &fail);
        for (size_t i = 0; dst->specials && i < src->nspecials; i++) {
                dst->specials[i].name = dup_or_null(src->specials[i].name, &fail);
                dst->specials[i].dates =
                    dup_mem(src->specials[i].dates,
                            src->specials[i].ndates * sizeof(*src->specials[i].dates), &fail);
        }
        if (!fail)
                return MB_OK;
        /* the copies made so far, and nothing of src */
        if (dst->seasons == NULL)
                dst->nseasons = 0;
        if (dst->specials == NULL)
                dst->nspecials = 0;
        mbt_version_clear(dst);
        memset(dst, 0, sizeof(*dst));
        return MB_ENOMEM;
}

int32_t mbt_line_version(const struct mbt_version *v)
{
        return v->origin_from ? v->origin_from : v->from;
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
        out->origin_tariff = v->origin_id ? v->origin_id : "";
        out->line_version = mbt_line_version(v);
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
