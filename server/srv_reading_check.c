/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_reading_check.h"

#include <stdio.h>

/* 422 naming readings[index].field: a value beyond what a bill can price. */
static int refuse(size_t index, const char *field, int64_t v, const char *unit, int64_t max,
                  struct srv_err *e)
{
        char f[160];

        snprintf(f, sizeof(f), "readings[%zu].%s", index, field);
        srv_err_set(e, 422, "unbillable", f,
                    "%lld %s is beyond any %s a bill can price (at most %lld %s)", (long long)v,
                    unit, unit[0] == 'W' ? "register" : "maximum demand", (long long)max, unit);
        return -1;
}

int srv_reading_check(const struct srv_reading *r, struct srv_err *e)
{
        static const char *const rate[MB_RATES] = {"rate_wh[0]", "rate_wh[1]", "rate_wh[2]",
                                                   "rate_wh[3]"};

        if (r->has_import && r->import_wh > SRV_BILLABLE_MAX_WH)
                return refuse(r->index, "import_wh", r->import_wh, "Wh", SRV_BILLABLE_MAX_WH, e);
        for (int i = 0; r->has_rates && i < MB_RATES; i++)
                if (r->rate_wh[i] > SRV_BILLABLE_MAX_WH)
                        return refuse(r->index, rate[i], r->rate_wh[i], "Wh", SRV_BILLABLE_MAX_WH,
                                      e);
        if (r->has_frozen && r->frozen_import_wh > SRV_BILLABLE_MAX_WH)
                return refuse(r->index, "frozen_import_wh", r->frozen_import_wh, "Wh",
                              SRV_BILLABLE_MAX_WH, e);
        if ((r->has & SRV_R_DEMAND) && r->demand_mw > SRV_BILLABLE_MAX_MW)
                return refuse(r->index, "demand_mw", r->demand_mw, "mW", SRV_BILLABLE_MAX_MW, e);
        if ((r->has & SRV_R_FROZEN_DEMAND) && r->frozen_demand_mw > SRV_BILLABLE_MAX_MW)
                return refuse(r->index, "frozen_demand_mw", r->frozen_demand_mw, "mW",
                              SRV_BILLABLE_MAX_MW, e);
        return 0;
}
