/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_reading_check.h"

#include <stdio.h>

static int refuse(const char *path, const char *field, int64_t v, struct srv_err *e)
{
        char f[160];

        snprintf(f, sizeof(f), "%s.%s", path, field);
        srv_err_set(e, 422, "unbillable", f,
                    "%lld Wh is beyond any register a bill can price (at most %lld Wh)",
                    (long long)v, (long long)SRV_BILLABLE_MAX_WH);
        return -1;
}

int srv_reading_check(const struct srv_reading *r, const char *path, struct srv_err *e)
{
        static const char *const rate[MB_RATES] = {"rate_wh[0]", "rate_wh[1]", "rate_wh[2]",
                                                   "rate_wh[3]"};

        if (r->has_import && r->import_wh > SRV_BILLABLE_MAX_WH)
                return refuse(path, "import_wh", r->import_wh, e);
        for (int i = 0; r->has_rates && i < MB_RATES; i++)
                if (r->rate_wh[i] > SRV_BILLABLE_MAX_WH)
                        return refuse(path, rate[i], r->rate_wh[i], e);
        if (r->has_frozen && r->frozen_import_wh > SRV_BILLABLE_MAX_WH)
                return refuse(path, "frozen_import_wh", r->frozen_import_wh, e);
        return 0;
}
