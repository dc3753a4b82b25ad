/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The month's monthly charges on a bill, after its energy is walked
 * (docs/tariffs.md, "Monthly charges"): the fixed monthly charge of every
 * version in force, prorated by the days the account was supplied in the
 * month.  The account is supplied from its opening to its final closing:
 * a meter exchange or a CT replaced in between restarts nothing, and the
 * day of a change belongs to what starts on it (mb_tariff_bill_fixed), so
 * holders of one meter share a month's days and never pay it twice.
 */
#define MB_LOG_MODULE "settle"
#include "srv_settle_impl.h"

#include <stdio.h>

#include "mb_log.h"
#include "srv_compare.h"

/* When the account was supplied in the month: [*a, *e). */
static void supplied(const struct srv_bill *b, int64_t *a, int64_t *e)
{
        struct srv_wpoint open;

        *a = b->t0;
        *e = b->t1;
        if (b->from_opening && srv_walk_begin(b->sup, b->nsup, &open) && open.ref.t > *a)
                *a = open.ref.t;
        if ((b->flags & SRV_FLAG_FINAL) && b->end.have && b->end.ref.t < *e)
                *e = b->end.ref.t;
        if (*e < *a)
                *e = *a;
}

int srv_settle_monthly(struct srv_bill *b)
{
        int64_t a, e;
        char err[256];
        int rc;

        supplied(b, &a, &e);
        rc = mb_tariff_bill_fixed(b->plan.t, a, e, b->acc, err, sizeof(err));
        if (rc < 0) {
                mb_warn("account %lld %s: held: %s", (long long)b->account_id, b->month, err);
                snprintf(b->reason, sizeof(b->reason), "unbillable: %s", err);
                b->flags |= SRV_FLAG_UNBILLABLE;
                return SRV_HELD;
        }
        return MB_OK;
}
