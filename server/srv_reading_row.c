/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_reading_row.h"

#include <string.h>

#define N SRV_DB_NULL_I64

static const char *const kind_names[] = {"routine", "boundary"};

int srv_reading_bulk_begin(srv_db *db, srv_bulk **out)
{
        return srv_db_bulk_begin(db, out, "readings", SRV_READING_COLUMNS,
                                 "iiitiIIIIIIIIIIIIIIIttIIIIIIIIIi");
}

int srv_reading_bulk_row(srv_bulk *bk, const struct srv_reading *r, int64_t now)
{
        unsigned h = r->has;

        return srv_db_bulk_row(
            bk, r->meter_id, r->seq, r->ts, kind_names[r->kind != 0], r->quality,
            r->has_import ? r->import_wh : N, h & SRV_R_EXPORT ? r->export_wh : N,
            r->has_rates ? r->rate_wh[0] : N, r->has_rates ? r->rate_wh[1] : N,
            r->has_rates ? r->rate_wh[2] : N, r->has_rates ? r->rate_wh[3] : N,
            h & SRV_R_POWER ? r->power_mw : N, r->n_voltage > 0 ? r->voltage_mv[0] : N,
            r->n_voltage > 1 ? r->voltage_mv[1] : N, r->n_voltage > 2 ? r->voltage_mv[2] : N,
            r->n_current > 0 ? r->current_ma[0] : N, r->n_current > 1 ? r->current_ma[1] : N,
            r->n_current > 2 ? r->current_ma[2] : N, h & SRV_R_PF ? r->pf_milli : N,
            h & SRV_R_FREQ ? r->freq_mhz : N, r->relay, r->address,
            h & SRV_R_METER_TIME ? r->meter_time : N, r->has_frozen ? r->frozen_import_wh : N,
            r->has_frozen ? r->frozen_time : N, h & SRV_R_REMAIN ? r->remain_fen : N,
            h & SRV_R_OVERDRAFT ? r->overdraft_fen : N, h & SRV_R_DEMAND ? r->demand_mw : N,
            h & SRV_R_DEMAND_TIME ? r->demand_time : N,
            h & SRV_R_FROZEN_DEMAND ? r->frozen_demand_mw : N,
            h & SRV_R_FROZEN_DEMAND_TIME ? r->frozen_demand_time : N, now);
}

/* Column col is NULL when absent, else v. */
static int same_i64(srv_stmt *st, int col, int present, int64_t v)
{
        if (srv_stmt_is_null(st, col))
                return !present;
        return present && srv_stmt_i64(st, col) == v;
}

static int same_text(srv_stmt *st, int col, const char *v)
{
        const char *s = srv_stmt_text(st, col);

        return s == NULL ? v == NULL : v != NULL && strcmp(s, v) == 0;
}

int srv_reading_row_same(srv_stmt *st, const struct srv_reading *r)
{
        unsigned h = r->has;
        int ok = srv_stmt_i64(st, 0) == r->seq && srv_stmt_i64(st, 1) == r->ts &&
                 same_text(st, 2, kind_names[r->kind != 0]) && srv_stmt_i64(st, 3) == r->quality &&
                 same_i64(st, 4, r->has_import, r->import_wh) &&
                 same_i64(st, 5, h & SRV_R_EXPORT, r->export_wh) &&
                 same_i64(st, 10, h & SRV_R_POWER, r->power_mw) &&
                 same_i64(st, 17, h & SRV_R_PF, r->pf_milli) &&
                 same_i64(st, 18, h & SRV_R_FREQ, r->freq_mhz) && same_text(st, 19, r->relay) &&
                 same_text(st, 20, r->address) &&
                 same_i64(st, 21, h & SRV_R_METER_TIME, r->meter_time) &&
                 same_i64(st, 22, r->has_frozen, r->frozen_import_wh) &&
                 same_i64(st, 23, r->has_frozen, r->frozen_time) &&
                 same_i64(st, 24, h & SRV_R_REMAIN, r->remain_fen) &&
                 same_i64(st, 25, h & SRV_R_OVERDRAFT, r->overdraft_fen) &&
                 same_i64(st, 26, h & SRV_R_DEMAND, r->demand_mw) &&
                 same_i64(st, 27, h & SRV_R_DEMAND_TIME, r->demand_time) &&
                 same_i64(st, 28, h & SRV_R_FROZEN_DEMAND, r->frozen_demand_mw) &&
                 same_i64(st, 29, h & SRV_R_FROZEN_DEMAND_TIME, r->frozen_demand_time);

        for (int i = 0; ok && i < MB_RATES; i++)
                ok = same_i64(st, 6 + i, r->has_rates, r->rate_wh[i]);
        for (int i = 0; ok && i < MB_PHASES; i++)
                ok = same_i64(st, 11 + i, i < r->n_voltage, r->voltage_mv[i]) &&
                     same_i64(st, 14 + i, i < r->n_current, r->current_ma[i]);
        return ok;
}

void srv_reading_row_rates(srv_stmt *st, int col, mb_tariff_reading *r)
{
        r->has_rates = !srv_stmt_is_null(st, col);
        for (int i = 0; r->has_rates && i < MB_RATES; i++)
                r->rate_wh[i] = srv_stmt_i64(st, col + i);
}
