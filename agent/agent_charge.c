/* SPDX-License-Identifier: Apache-2.0 */
#include "agent_charge.h"

#include <string.h>

static int64_t total(const mb_tariff_acc *acc)
{
        int64_t t = 0;

        mb_tariff_acc_total(acc, &t);
        return t;
}

int agent_charge_start(struct agent_charge *c, const struct agent_snapshot *s)
{
        agent_charge_clear(c);
        if (!(c->acc = mb_tariff_acc_new()) || mb_tariff_acc_merge(c->acc, s->acc) != MB_OK)
                return MB_ENOMEM;
        c->balance0 = s->balance_fen;
        c->month = s->acc_month;
        c->pos = s->tier;
        c->ref = s->ref;
        c->base_fen = total(c->acc);
        return MB_OK;
}

/* cur ends in a later month: close this month's accumulator. */
static void roll_month(struct agent_charge *c, int month)
{
        c->done_fen += total(c->acc) - c->base_fen;
        mb_tariff_acc_reset(c->acc);
        c->base_fen = 0;
        c->month = month;
}

static int month_before(int yyyymm)
{
        return yyyymm % 100 == 1 ? yyyymm - 100 + 11 : yyyymm - 1;
}

int agent_charge_add(struct agent_charge *c, const mb_tariff *t, const mb_tariff_reading *cur,
                     int boundary, char *err, size_t len)
{
        int month = agent_local_month(cur->t);
        int rc;

        if (!c->acc || cur->t < c->ref.t)
                return MB_OK;
        if (cur->import_wh < c->ref.import_wh) {
                c->ref = *cur;
                return MB_OK;
        }
        if (boundary)
                month = month_before(month);
        if (month != c->month && month > c->month)
                roll_month(c, month);
        rc = mb_tariff_charge(t, &c->ref, cur, &c->pos, c->acc, err, len);
        if (rc == MB_OK)
                c->ref = *cur;
        return rc;
}

int64_t agent_charge_balance(const struct agent_charge *c)
{
        return c->balance0 - (c->done_fen + total(c->acc) - c->base_fen);
}

void agent_charge_clear(struct agent_charge *c)
{
        mb_tariff_acc_free(c->acc);
        memset(c, 0, sizeof(*c));
}
