/* SPDX-License-Identifier: Apache-2.0 */
#include "agent_charge.h"

#include <stdio.h>
#include <string.h>

#include "mb_multiplier.h"

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
        c->rollover_wh = s->rollover_wh;
        c->multiplier = s->multiplier > 0 ? s->multiplier : 1;
        c->base_fen = total(c->acc);
        return MB_OK;
}

void agent_charge_point(const mb_reading *r, int64_t ts, mb_walk_point *p)
{
        memset(p, 0, sizeof(*p));
        p->r.t = ts;
        p->r.import_wh = r->import_wh;
        p->r.has_rates = (r->fields & MB_F_RATES) != 0;
        for (int i = 0; i < MB_RATES; i++)
                p->r.rate_wh[i] = r->rate_wh[i];
        p->has_frozen = (r->fields & MB_F_FROZEN) != 0;
        p->frozen_t = r->frozen_time;
        p->frozen_wh = r->frozen_import_wh;
}

/* The accumulator for a piece of month: a later month closes this one's
 * (as the server's does); an earlier one is this month's. */
static mb_tariff_acc *acc_for(void *ctx, int month)
{
        struct agent_charge *c = ctx;

        if (month > c->month) {
                c->done_fen += total(c->acc) - c->base_fen;
                mb_tariff_acc_reset(c->acc);
                c->base_fen = 0;
                c->month = month;
        }
        return c->acc;
}

int agent_charge_add(struct agent_charge *c, const mb_tariff *t, const mb_walk_point *x, char *err,
                     size_t len)
{
        mb_walk_step st;
        int rc;

        if (!c->acc)
                return MB_OK;
        mb_walk_plan(&c->ref, x, c->rollover_wh, &st);
        /* as the server's walk: the pieces at the primary side's energy */
        rc = mb_multiplier_step(&st, c->multiplier ? c->multiplier : 1);
        if (rc == MB_OK)
                rc = mb_walk_charge(t, &st, &c->pos, acc_for, c, err, len);
        else
                snprintf(err, len, "energy times the multiplier %lld overflows",
                         (long long)c->multiplier);
        c->ref = st.ref;
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
