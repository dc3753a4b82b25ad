/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The charge accumulator: lines kept exact (e7 units) and sorted by key,
 * merged when their key is equal, rounded to fen only when read or totalled.
 */
#include "mb_tariff_priv.h"

#include <stdlib.h>
#include <string.h>

#include "mb_money.h"

static int key_cmp(const mb_tariff_line *a, const mb_tariff_line *b)
{
        if (a->kind != b->kind)
                return a->kind < b->kind ? -1 : 1;
        if (a->version != b->version)
                return a->version < b->version ? -1 : 1;
        if (a->tier != b->tier)
                return a->tier < b->tier ? -1 : 1;
        if (a->rate != b->rate)
                return a->rate < b->rate ? -1 : 1;
        if (a->price != b->price)
                return a->price < b->price ? -1 : 1;
        if (a->of != b->of) /* a prorated fixed line is not a whole month's */
                return a->of < b->of ? -1 : 1;
        return 0;
}

/* Binary search: index of l's key, or where it would go.  1 when found. */
static int find(const mb_tariff_acc *acc, const mb_tariff_line *l, size_t *at)
{
        size_t lo = 0, hi = acc->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = key_cmp(&acc->lines[mid], l);

                if (c == 0) {
                        *at = mid;
                        return 1;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *at = lo;
        return 0;
}

static int reserve(mb_tariff_acc *acc, size_t want)
{
        mb_tariff_line *p;
        size_t cap = acc->cap ? acc->cap : 8;

        if (want <= acc->cap)
                return MB_OK;
        while (cap < want)
                cap *= 2;
        p = realloc(acc->lines, cap * sizeof(*p));
        if (p == NULL)
                return MB_ENOMEM;
        acc->lines = p;
        acc->cap = cap;
        return MB_OK;
}

void mbt_acc_init(mb_tariff_acc *acc)
{
        memset(acc, 0, sizeof(*acc));
}

void mbt_acc_fini(mb_tariff_acc *acc)
{
        free(acc->lines);
        mbt_acc_init(acc);
}

int mbt_acc_add(mb_tariff_acc *acc, const mb_tariff_line *l)
{
        size_t at;
        mb_tariff_line *dst;
        int64_t qty, exact;

        if (find(acc, l, &at)) {
                dst = &acc->lines[at];
                if (__builtin_add_overflow(dst->qty, l->qty, &qty) ||
                    __builtin_add_overflow(dst->exact, l->exact, &exact))
                        return MB_ERANGE;
                dst->qty = qty;
                dst->exact = exact;
                return MB_OK;
        }
        if (reserve(acc, acc->n + 1) < 0)
                return MB_ENOMEM;
        memmove(&acc->lines[at + 1], &acc->lines[at], (acc->n - at) * sizeof(*l));
        acc->lines[at] = *l;
        acc->lines[at].fen = 0;
        acc->n++;
        return MB_OK;
}

mb_tariff_acc *mb_tariff_acc_new(void)
{
        return calloc(1, sizeof(mb_tariff_acc));
}

void mb_tariff_acc_free(mb_tariff_acc *acc)
{
        if (acc == NULL)
                return;
        free(acc->lines);
        free(acc);
}

void mb_tariff_acc_reset(mb_tariff_acc *acc)
{
        acc->n = 0;
        acc->flags = 0;
}

int mb_tariff_acc_merge(mb_tariff_acc *dst, const mb_tariff_acc *src)
{
        mb_tariff_acc tmp;
        int rc;

        /* Merge into a copy with room for every line, then swap: dst stays
         * as it was if a sum overflows. */
        mbt_acc_init(&tmp);
        rc = reserve(&tmp, dst->n + src->n);
        if (rc < 0)
                return rc;
        if (dst->n > 0)
                memcpy(tmp.lines, dst->lines, dst->n * sizeof(*dst->lines));
        tmp.n = dst->n;
        for (size_t i = 0; i < src->n && rc == MB_OK; i++)
                rc = mbt_acc_add(&tmp, &src->lines[i]);
        if (rc < 0) {
                mbt_acc_fini(&tmp);
                return rc;
        }
        free(dst->lines);
        dst->lines = tmp.lines;
        dst->n = tmp.n;
        dst->cap = tmp.cap;
        dst->flags |= src->flags;
        return MB_OK;
}

size_t mb_tariff_acc_count(const mb_tariff_acc *acc)
{
        return acc->n;
}

int mb_tariff_acc_line(const mb_tariff_acc *acc, size_t i, mb_tariff_line *out)
{
        if (i >= acc->n)
                return MB_ENOENT;
        *out = acc->lines[i];
        out->fen = mb_money_round_fen(out->exact);
        return MB_OK;
}

unsigned mb_tariff_acc_flags(const mb_tariff_acc *acc)
{
        return acc->flags;
}

int64_t mb_tariff_acc_energy(const mb_tariff_acc *acc)
{
        int64_t wh = 0;

        for (size_t i = 0; i < acc->n; i++)
                if (acc->lines[i].kind == MB_LINE_ENERGY)
                        wh += acc->lines[i].qty;
        return wh;
}

int mb_tariff_acc_total(const mb_tariff_acc *acc, int64_t *total_fen)
{
        int64_t sum = 0;

        /* Rounding rule: each line is rounded to fen on its own, half away
         * from zero (mb_money_round_fen); the total is the sum of the rounded
         * lines, as printed on the bill. */
        for (size_t i = 0; i < acc->n; i++)
                if (__builtin_add_overflow(sum, mb_money_round_fen(acc->lines[i].exact), &sum))
                        return MB_ERANGE;
        *total_fen = sum;
        return MB_OK;
}
