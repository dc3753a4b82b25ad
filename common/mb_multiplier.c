/* SPDX-License-Identifier: Apache-2.0 */
/* Multipliers: see mb_multiplier.h. */
#include "mb_multiplier.h"

#include <stdio.h>
#include <string.h>

/* A whole number of 1..10 digits: 0 and *v, or -1. */
static int whole(const char *s, size_t n, int64_t *v)
{
        int64_t x = 0;

        if (n == 0 || n > 10)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                x = x * 10 + (s[i] - '0');
        }
        *v = x;
        return 0;
}

int mb_ratio_parse(const char *s, int64_t *ratio, char *err, size_t errlen)
{
        const char *slash = s ? strchr(s, '/') : NULL;
        int64_t p = 0, q = 1;

        if (s == NULL || (slash ? whole(s, (size_t)(slash - s), &p) < 0 ||
                                      whole(slash + 1, strlen(slash + 1), &q) < 0
                                : whole(s, strlen(s), &p) < 0)) {
                snprintf(err, errlen, "'%s' is not a ratio: write PRIMARY/SECONDARY (\"200/5\")",
                         s ? s : "");
                return MB_EINVAL;
        }
        if (p == 0 || q == 0) {
                snprintf(err, errlen, "'%s': a ratio has no zero side", s);
                return MB_EINVAL;
        }
        if (p % q) {
                snprintf(err, errlen, "'%s' is not a whole ratio (%lld / %lld)", s, (long long)p,
                         (long long)q);
                return MB_EINVAL;
        }
        if (p / q > MB_MULTIPLIER_MAX) {
                snprintf(err, errlen, "'%s': a ratio above %d", s, MB_MULTIPLIER_MAX);
                return MB_ERANGE;
        }
        *ratio = p / q;
        return MB_OK;
}

int mb_multiplier(int64_t ct, int64_t pt, int64_t *k)
{
        int64_t v;

        if (ct < 1 || pt < 1 || __builtin_mul_overflow(ct, pt, &v) || v > MB_MULTIPLIER_MAX)
                return MB_ERANGE;
        *k = v;
        return MB_OK;
}

int mb_multiplier_reading(mb_tariff_reading *r, int64_t k)
{
        mb_tariff_reading s = *r;

        if (__builtin_mul_overflow(r->import_wh, k, &s.import_wh))
                return MB_ERANGE;
        for (int i = 0; r->has_rates && i < MB_RATES; i++)
                if (__builtin_mul_overflow(r->rate_wh[i], k, &s.rate_wh[i]))
                        return MB_ERANGE;
        *r = s;
        return MB_OK;
}

int mb_multiplier_step(mb_walk_step *st, int64_t k)
{
        mb_walk_step s = *st;

        if (k == 1)
                return MB_OK;
        for (int i = 0; i < s.n; i++)
                if (mb_multiplier_reading(&s.p[i].a, k) != MB_OK ||
                    mb_multiplier_reading(&s.p[i].b, k) != MB_OK)
                        return MB_ERANGE;
        *st = s;
        return MB_OK;
}
