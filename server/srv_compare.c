/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_compare.h"

#include <string.h>

static const char *const names[] = {
    "jump",           "zero_use",         "register_backwards", "missing_boundary",
    "no_tariff",      "frozen_fallback",  "jump_year",          "previous_month",
    "unbillable",     "rollover",         "operator_fix",       "final",
    "meter_exchange", "multiplier_change"};
#define NNAMES (sizeof(names) / sizeof(names[0]))

/* Does cur differ from ref by more than ratio (x1000) either way? */
static int jumped(int64_t cur, int64_t ref, int64_t jump_milli)
{
        __int128 c = cur, r = ref;

        if (ref <= 0)
                return cur > 0;
        return c * 1000 > r * jump_milli || c * jump_milli < r * 1000;
}

unsigned srv_compare_flags(const struct srv_compare_in *in, int64_t jump_milli)
{
        unsigned f = 0;

        if (in->wh == 0)
                f |= SRV_FLAG_ZERO_USE;
        if (in->backwards)
                f |= SRV_FLAG_REGISTER_BACKWARDS;
        if (in->has_prev && jumped(in->wh, in->prev_wh, jump_milli))
                f |= SRV_FLAG_JUMP;
        if (in->has_last_year && jumped(in->wh, in->last_year_wh, jump_milli))
                f |= SRV_FLAG_JUMP_YEAR;
        return f;
}

json_object *srv_compare_flags_json(unsigned flags)
{
        json_object *a = json_object_new_array();

        for (unsigned i = 0; i < NNAMES; i++)
                if (flags & (1u << i))
                        json_object_array_add(a, json_object_new_string(names[i]));
        return a;
}

unsigned srv_compare_flags_parse(const char *text)
{
        json_object *a = text ? json_tokener_parse(text) : NULL;
        unsigned f = 0;

        if (a && json_object_is_type(a, json_type_array))
                for (size_t i = 0; i < json_object_array_length(a); i++) {
                        const char *s = json_object_get_string(json_object_array_get_idx(a, i));

                        for (unsigned k = 0; s && k < NNAMES; k++)
                                if (strcmp(s, names[k]) == 0)
                                        f |= 1u << k;
                }
        json_object_put(a);
        return f;
}
