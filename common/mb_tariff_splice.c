/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tariff plan spliced into one tariff (mb_tariff_splice): an account on
 * tariff A until a date and on tariff B from it is charged by one tariff
 * whose versions are A's up to the date and B's from it.  A change of tariff
 * inside a month is then just another version change, and the engine's one
 * rule applies to it: the interval is cut at the change, each block is
 * priced by the version in force, and the tier position carries across
 * (docs/tariffs.md, "The seams of a month").
 */
#include "mb_tariff_priv.h"

#include <stdlib.h>
#include <string.h>

/* Index of the version of t in force on local date d (YYYYMMDD), or -1. */
static long in_force(const mb_tariff *t, int32_t d)
{
        long at = -1;

        for (size_t i = 0; i < t->nv && t->v[i].from <= d; i++)
                at = (long)i;
        return at;
}

static int check(const mb_tariff_plan_part *parts, size_t n, const char *id, char *err,
                 size_t errlen)
{
        if (n == 0 || id == NULL || id[0] == '\0' || strlen(id) > 64 ||
            strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                strlen(id)) {
                mbt_err(err, errlen,
                        "a plan needs parts and an id of letters, digits, '.', '_', '-'");
                return MB_EINVAL;
        }
        for (size_t k = 0; k < n; k++) {
                if (parts[k].t == NULL || (k > 0 && parts[k].from <= parts[k - 1].from)) {
                        mbt_err(err, errlen, "plan part %zu: dates must increase", k);
                        return MB_EINVAL;
                }
                if (strcmp(parts[k].t->currency, parts[0].t->currency) != 0) {
                        mbt_err(err, errlen, "plan part %zu: currency %s is not %s", k,
                                parts[k].t->currency, parts[0].t->currency);
                        return MB_EINVAL;
                }
                if (in_force(parts[k].t, parts[k].from) < 0) {
                        mbt_err(err, errlen,
                                "plan part %zu: tariff %s has no version in force on %d", k,
                                parts[k].t->id, parts[k].from);
                        return MB_ENOENT;
                }
        }
        return MB_OK;
}

/* Versions part k contributes: from the one in force on its date to the last
 * that starts before the next part's date. */
static void span(const mb_tariff_plan_part *parts, size_t n, size_t k, size_t *first, size_t *end)
{
        const mb_tariff *t = parts[k].t;
        size_t e = (size_t)in_force(t, parts[k].from) + 1;

        *first = e - 1;
        while (e < t->nv && (k + 1 == n || t->v[e].from < parts[k + 1].from))
                e++;
        *end = e;
}

/* Copy version src as the composite's version dst, dated from (0: keep). */
static int take(struct mbt_version *dst, const mb_tariff *t, const struct mbt_version *src,
                int32_t from)
{
        int rc = mbt_version_copy(dst, src);

        if (rc < 0)
                return rc;
        if (dst->origin_id == NULL) { /* a plan of plans keeps the first origin */
                dst->origin_id = strdup(t->id);
                dst->origin_from = src->from;
                if (dst->origin_id == NULL)
                        return MB_ENOMEM;
        }
        if (from)
                dst->from = from;
        return MB_OK;
}

static int fill(mb_tariff *out, const mb_tariff_plan_part *parts, size_t n)
{
        size_t total = 0, first, end, at = 0;
        int rc = MB_OK;

        for (size_t k = 0; k < n; k++) {
                span(parts, n, k, &first, &end);
                total += end - first;
        }
        out->v = calloc(total, sizeof(*out->v));
        if (out->v == NULL)
                return MB_ENOMEM;
        for (size_t k = 0; k < n && rc == MB_OK; k++) {
                span(parts, n, k, &first, &end);
                for (size_t i = first; i < end && rc == MB_OK; i++, at++) {
                        /* only the first is re-dated: the part starts on its date */
                        rc = take(&out->v[at], parts[k].t, &parts[k].t->v[i],
                                  i == first ? parts[k].from : 0);
                        out->nv = at + 1;
                }
        }
        return rc;
}

int mb_tariff_splice(const mb_tariff_plan_part *parts, size_t n, const char *id, const char *name,
                     mb_tariff **out, char *err, size_t errlen)
{
        mb_tariff *t;
        int rc = check(parts, n, id, err, errlen);

        if (rc < 0)
                return rc;
        t = calloc(1, sizeof(*t));
        if (t == NULL)
                return MB_ENOMEM;
        t->id = strdup(id);
        t->name = strdup(name ? name : id);
        t->currency = strdup(parts[0].t->currency);
        rc = t->id && t->name && t->currency ? fill(t, parts, n) : MB_ENOMEM;
        if (rc < 0) {
                mbt_err(err, errlen, "out of memory");
                mb_tariff_free(t);
                return rc;
        }
        *out = t;
        return MB_OK;
}
