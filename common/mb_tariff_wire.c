/* SPDX-License-Identifier: Apache-2.0 */
/* The accumulator as JSON (docs/wire.md, "acc"). */
#include "mb_tariff_wire.h"

#include <stdio.h>
#include <string.h>

#include "mb_tariff_priv.h"

int mb_tariff_acc_add_line(mb_tariff_acc *acc, const mb_tariff_line *line)
{
        int64_t want;

        if (acc == NULL || line == NULL || line->kind < MB_LINE_ENERGY ||
            line->kind > MB_LINE_DEMAND || line->qty < 0 || line->price < 0)
                return MB_EINVAL;
        /* exact must be what charging would have written: price x qty, and
         * for a fixed line (price per month, qty whole months) x 1000 more.
         * A prorated fixed line (of days) is a bill's, never on the wire. */
        if (line->kind == MB_LINE_FIXED && line->of > 1)
                return MB_EINVAL;
        if (__builtin_mul_overflow(line->price, line->qty, &want))
                return MB_ERANGE;
        if (line->kind == MB_LINE_FIXED && __builtin_mul_overflow(want, (int64_t)1000, &want))
                return MB_ERANGE;
        if (want != line->exact)
                return MB_EINVAL;
        return mbt_acc_add(acc, line);
}

json_object *mb_tariff_wire_acc(const mb_tariff_acc *acc, const char *month)
{
        json_object *o = json_object_new_object(), *lines = json_object_new_array();
        mb_tariff_line l;

        if (o == NULL || lines == NULL) {
                json_object_put(o);
                json_object_put(lines);
                return NULL;
        }
        json_object_object_add(o, "month", json_object_new_string(month));
        for (size_t i = 0; mb_tariff_acc_line(acc, i, &l) == MB_OK; i++) {
                json_object *j = json_object_new_object();

                json_object_object_add(j, "kind", json_object_new_int(l.kind));
                json_object_object_add(j, "version", json_object_new_int(l.version));
                json_object_object_add(j, "tier", json_object_new_int(l.tier));
                json_object_object_add(j, "rate", json_object_new_int(l.rate));
                json_object_object_add(j, "qty", json_object_new_int64(l.qty));
                json_object_object_add(j, "price", json_object_new_int64(l.price));
                json_object_object_add(j, "exact", json_object_new_int64(l.exact));
                json_object_array_add(lines, j);
        }
        json_object_object_add(o, "lines", lines);
        return o;
}

int mb_tariff_wire_month_ok(const char *s)
{
        int y, m;
        char tail;

        if (s == NULL || strlen(s) != 7 || s[4] != '-')
                return 0;
        for (int i = 0; i < 7; i++)
                if (i != 4 && (s[i] < '0' || s[i] > '9'))
                        return 0;
        if (sscanf(s, "%4d-%2d%c", &y, &m, &tail) != 2)
                return 0;
        return y >= 1970 && m >= 1 && m <= 12;
}

/* An integer member within [min, max]; 0 or MB_EINVAL with err naming it. */
static int get_int(json_object *o, size_t i, const char *key, int64_t min, int64_t max,
                   int64_t *out, char *err, size_t errlen)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int)) {
                snprintf(err, errlen, "lines[%zu].%s: integer required", i, key);
                return MB_EINVAL;
        }
        *out = json_object_get_int64(v);
        if (*out < min || *out > max) {
                snprintf(err, errlen, "lines[%zu].%s: out of range", i, key);
                return MB_ERANGE;
        }
        return MB_OK;
}

static int parse_line(json_object *j, size_t i, mb_tariff_line *l, char *err, size_t errlen)
{
        int64_t kind, version, tier, rate;
        int rc;

        if (!json_object_is_type(j, json_type_object)) {
                snprintf(err, errlen, "lines[%zu]: object required", i);
                return MB_EINVAL;
        }
        if ((rc = get_int(j, i, "kind", 0, 2, &kind, err, errlen)) < 0 ||
            (rc = get_int(j, i, "version", 19000101, 99991231, &version, err, errlen)) < 0 ||
            (rc = get_int(j, i, "tier", 0, MB_TARIFF_MAX_TIERS, &tier, err, errlen)) < 0 ||
            (rc = get_int(j, i, "rate", 0, MB_RATES, &rate, err, errlen)) < 0 ||
            (rc = get_int(j, i, "qty", 0, INT64_MAX, &l->qty, err, errlen)) < 0 ||
            (rc = get_int(j, i, "price", 0, INT64_MAX, &l->price, err, errlen)) < 0 ||
            (rc = get_int(j, i, "exact", 0, INT64_MAX, &l->exact, err, errlen)) < 0)
                return rc;
        l->kind = (int)kind;
        l->version = (int32_t)version;
        l->tier = (int)tier;
        l->rate = (int)rate;
        l->of = kind == MB_LINE_FIXED; /* whole months */
        l->fen = 0;
        return MB_OK;
}

int mb_tariff_wire_acc_parse(json_object *o, mb_tariff_acc *acc, char month[8], char *err,
                             size_t errlen)
{
        json_object *m, *lines;
        mb_tariff_line l;
        int rc;

        if (err && errlen)
                err[0] = '\0';
        mb_tariff_acc_reset(acc);
        if (!json_object_is_type(o, json_type_object)) {
                snprintf(err, errlen, "acc: object required");
                return MB_EINVAL;
        }
        if (!json_object_object_get_ex(o, "month", &m) ||
            !json_object_is_type(m, json_type_string) ||
            !mb_tariff_wire_month_ok(json_object_get_string(m))) {
                snprintf(err, errlen, "month: \"YYYY-MM\" required");
                return MB_EINVAL;
        }
        if (!json_object_object_get_ex(o, "lines", &lines) ||
            !json_object_is_type(lines, json_type_array)) {
                snprintf(err, errlen, "lines: array required");
                return MB_EINVAL;
        }
        for (size_t i = 0; i < json_object_array_length(lines); i++) {
                rc = parse_line(json_object_array_get_idx(lines, i), i, &l, err, errlen);
                if (rc == MB_OK) {
                        rc = mb_tariff_acc_add_line(acc, &l);
                        if (rc < 0)
                                snprintf(err, errlen, "lines[%zu]: %s", i,
                                         rc == MB_EINVAL ? "exact is not price x qty"
                                                         : mb_strerror(rc));
                }
                if (rc < 0) {
                        mb_tariff_acc_reset(acc);
                        return rc;
                }
        }
        memcpy(month, json_object_get_string(m), 8);
        return MB_OK;
}
